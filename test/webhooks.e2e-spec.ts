import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventOutbox } from '@app/audit';
import { WebhookDeliveryQueue, WebhookDispatcher } from '@app/webhooks';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { describeWithServers } from './support/servers';
import { startTestApp, TestApp } from './support/test-app';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on loopback: records every request; each path answers as the test needs. */
class Receiver {
  readonly received: Received[] = [];
  private readonly server: Server;
  private readonly counts = new Map<string, number>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '/';
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const n = (this.counts.get(path) ?? 0) + 1;
        this.counts.set(path, n);
        if (path === '/flaky') return res.writeHead(n <= 2 ? 500 : 200).end();
        if (path === '/down') return res.writeHead(503).end('unavailable');
        if (path === '/redirect') return res.writeHead(302, { location: '/redirect-target' }).end();
        res.writeHead(204).end();
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function validSignature(r: Received, secret: string): boolean {
  const header = String(r.headers['x-modelgate-signature'] ?? '');
  const expected = `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`;
  return header.length === expected.length && timingSafeEqual(Buffer.from(header), Buffer.from(expected));
}

function webhooksSuite(env: () => Record<string, string>, sender: 'in-process' | 'bullmq'): void {
  let t: TestApp;
  let admin: string;
  let base: string;
  const receiver = new Receiver();
  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const create = (payload: object, token = admin) => inject({ method: 'POST', url: '/v1/webhooks', headers: authHeader(token), payload });
  const deliveries = async (id: string) => {
    const res = await inject({ method: 'GET', url: `/v1/webhooks/${id}/deliveries`, headers: authHeader(admin) });
    expect(res.statusCode).toBe(200);
    return res.json().items as { id: string; event: string; status: string; attempts: number; responseStatus: number | null }[];
  };
  /** Polls the deliveries until `done` holds (delivery runs in the background). */
  const until = async (id: string, done: (items: Awaited<ReturnType<typeof deliveries>>) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const items = await deliveries(id);
      if (done(items)) return items;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`deliveries of ${id} never settled: ${JSON.stringify(await deliveries(id))}`);
  };
  const settled = (items: { status: string }[]) => items.length > 0 && items.every((d) => d.status !== 'pending');

  beforeAll(async () => {
    base = await receiver.start();
    t = await startTestApp({
      ...env(),
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_POLL_INTERVAL_MS: '50',
      WEBHOOK_RETRY_BASE_MS: '20',
      WEBHOOK_RETRY_MAX_MS: '100',
      WEBHOOK_MAX_ATTEMPTS: '4',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    admin = (await bootstrapAdmin(t)).accessToken;
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  it(`sends through the ${sender} delivery queue`, () => {
    // With BullMQ the poller only fans out and offers due deliveries: every send below went through a job.
    expect(t.app.get(WebhookDeliveryQueue).kind).toBe(sender);
  });

  it('creates a webhook whose secret is shown once, never in the listing', async () => {
    const res = await create({ url: `${base}/ok`, events: ['model.version.created'], description: 'release channel' });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toEqual({
      id: expect.any(String),
      url: `${base}/ok`,
      events: ['model.version.created'],
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(String),
    });
    const list = await inject({ method: 'GET', url: '/v1/webhooks', headers: authHeader(admin) });
    expect(list.statusCode).toBe(200);
    const listed = list.json().items.find((w: { id: string }) => w.id === created.id);
    expect(listed).toMatchObject({ url: `${base}/ok`, events: ['model.version.created'], description: 'release channel' });
    expect(listed).not.toHaveProperty('secret');
    expect(list.body).not.toContain(created.secret);
  });

  it('refuses destinations off the allow-list (422), bad input (400) and non-admins (403)', async () => {
    const offList = await create({ url: 'http://localhost:9/hook', events: ['model.version.created'] });
    expect(offList.statusCode).toBe(422);
    expect(offList.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(offList.json().code).toBe('WEBHOOK_DESTINATION_NOT_ALLOWED');
    expect((await create({ url: 'ftp://127.0.0.1/x', events: ['model.version.created'] })).json().code).toBe(
      'WEBHOOK_DESTINATION_NOT_ALLOWED',
    );

    for (const payload of [
      { url: `${base}/ok`, events: ['model.deleted'] },
      { url: `${base}/ok`, events: ['ping'] },
      { url: `${base}/ok`, events: [] },
      { url: 'not a url', events: ['model.version.created'] },
      { url: `http://user:pw@127.0.0.1/x`, events: ['model.version.created'] },
    ]) {
      const res = await create(payload);
      expect({ payload, status: res.statusCode }).toEqual({ payload, status: 400 });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }

    const engineer = await tokenFor(t, 'ml-engineer');
    expect((await create({ url: `${base}/ok`, events: ['model.version.created'] }, engineer)).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: '/v1/webhooks', headers: authHeader(engineer) })).statusCode).toBe(403);

    expect((await inject({ method: 'GET', url: '/v1/webhooks/nope/deliveries', headers: authHeader(admin) })).statusCode).toBe(400);
    expect((await inject({ method: 'DELETE', url: '/v1/webhooks/nope', headers: authHeader(admin) })).statusCode).toBe(400);
    const missing = await inject({
      method: 'POST',
      url: '/v1/webhooks/00000000-0000-4000-8000-000000000000/test',
      headers: authHeader(admin),
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('WEBHOOK_NOT_FOUND');
  });

  it('delivers a test ping, signed with the secret', async () => {
    const hook = (await create({ url: `${base}/ping`, events: ['training.job.finished'] })).json();
    const ping = await inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: authHeader(admin) });
    expect(ping.statusCode).toBe(202);
    expect(ping.json()).toMatchObject({ id: expect.any(String), event: 'ping', status: 'pending', attempts: 0 });

    const [done] = await until(hook.id, settled);
    expect(done).toMatchObject({ id: ping.json().id, event: 'ping', status: 'delivered', attempts: 1, responseStatus: 204 });
    const [got] = receiver.to('/ping');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-modelgate-event']).toBe('ping');
    expect(got.headers['x-modelgate-delivery']).toBe(done.id);
    expect(validSignature(got, hook.secret)).toBe(true);
    expect(validSignature(got, 'another secret')).toBe(false);
    expect(JSON.parse(got.body)).toEqual({ id: done.id, event: 'ping', occurredAt: expect.any(String), data: { webhookId: hook.id } });
  });

  it('delivers an outbox event once, to the webhooks subscribed to it only', async () => {
    const hook = (await create({ url: `${base}/events`, events: ['model.version.created', 'model.version.transitioned'] })).json();
    const other = (await create({ url: `${base}/other`, events: ['training.job.finished'] })).json();
    await t.app.get(EventOutbox).add('model.version.created', { model: 'fraud', version: 3 });

    const [done] = await until(hook.id, settled);
    expect(done).toMatchObject({ event: 'model.version.created', status: 'delivered', attempts: 1 });
    // Fanning out again finds nothing new: one delivery per (webhook, event).
    await t.app.get(WebhookDispatcher).runOnce();
    expect(await deliveries(hook.id)).toHaveLength(1);
    expect(await deliveries(other.id)).toEqual([]);

    const got = receiver.to('/events');
    expect(got).toHaveLength(1);
    expect(got[0].headers['x-modelgate-event']).toBe('model.version.created');
    expect(got[0].headers['x-modelgate-delivery']).toBe(done.id);
    expect(validSignature(got[0], hook.secret)).toBe(true);
    const body = JSON.parse(got[0].body);
    expect(body).toEqual({
      id: done.id,
      event: 'model.version.created',
      occurredAt: expect.any(String),
      data: { model: 'fraud', version: 3 },
    });
    expect(new Date(body.occurredAt).toISOString()).toBe(body.occurredAt);
    expect(receiver.to('/other')).toEqual([]);
  });

  it('retries a failing receiver with backoff until it answers 2xx', async () => {
    const hook = (await create({ url: `${base}/flaky`, events: ['promotion.decided'] })).json();
    await inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: authHeader(admin) });
    const [done] = await until(hook.id, settled);
    expect(done).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 200 });
    const got = receiver.to('/flaky');
    expect(got.map((r) => r.headers['x-modelgate-delivery'])).toEqual([done.id, done.id, done.id]);
    // Every attempt sends the same signed bytes.
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
  });

  it('gives up after the maximum attempts: failed', async () => {
    const hook = (await create({ url: `${base}/down`, events: ['promotion.decided'] })).json();
    await inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: authHeader(admin) });
    const [done] = await until(hook.id, settled);
    expect(done).toMatchObject({ status: 'failed', attempts: 4, responseStatus: 503, deliveredAt: null });
    expect(receiver.to('/down')).toHaveLength(4);
  });

  it('does not follow redirects (a 3xx is a failed attempt)', async () => {
    const hook = (await create({ url: `${base}/redirect`, events: ['promotion.decided'] })).json();
    await inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: authHeader(admin) });
    const [done] = await until(hook.id, settled);
    expect(done).toMatchObject({ status: 'failed', attempts: 4, responseStatus: 302 });
    expect(receiver.to('/redirect')).toHaveLength(4);
    expect(receiver.to('/redirect-target')).toEqual([]);
  });

  it('deletes a webhook with its deliveries; nothing more is sent to it', async () => {
    const hook = (await create({ url: `${base}/deleted`, events: ['model.version.transitioned'] })).json();
    await inject({ method: 'POST', url: `/v1/webhooks/${hook.id}/test`, headers: authHeader(admin) });
    await until(hook.id, settled);
    const del = await inject({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: authHeader(admin) });
    expect(del.statusCode).toBe(204);
    const gone = await inject({ method: 'GET', url: `/v1/webhooks/${hook.id}/deliveries`, headers: authHeader(admin) });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('WEBHOOK_NOT_FOUND');
    expect((await inject({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: authHeader(admin) })).statusCode).toBe(404);

    await t.app.get(EventOutbox).add('model.version.transitioned', { model: 'fraud', version: 3, to: 'production' });
    await t.app.get(WebhookDispatcher).runOnce();
    expect(receiver.to('/deleted')).toHaveLength(1); // the ping only
  });
}

describe('webhooks, delivered by the in-process poller (e2e)', () => webhooksSuite(() => ({}), 'in-process'));

// With REDIS_URL the same rules hold, the attempts going through BullMQ (a job per attempt, delayed to its time).
describeWithServers(['redis'], 'webhooks, delivered through BullMQ (e2e)', () =>
  webhooksSuite(() => {
    const prefix = `mg-test-${randomBytes(4).toString('hex')}`;
    return {
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${prefix}:`,
      TRAINING_QUEUE_PREFIX: prefix,
      WEBHOOK_QUEUE_PREFIX: prefix,
    };
  }, 'bullmq'),
);
