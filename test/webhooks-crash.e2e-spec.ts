import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess, startApiProcess } from './support/api-process';
import { multipart } from './support/multipart';
import { fixtureFiles } from './support/registry';
import { describeWithServers } from './support/servers';
import { freshDatabase } from './support/test-app';

/**
 * The transactional outbox across a crash (CONTRACT.md, "Governance and rollout (v1)", Webhooks):
 * an event committed with its change is delivered even when the API is killed -9 before sending
 * it, by the next process on the same database, exactly once as the receiver counts after dedupe.
 * Process A sends nothing (WEBHOOK_POLL_INTERVAL_MS=0), so the kill always falls between the
 * commit and the delivery; process B, on the same data, delivers.
 */
const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ADMIN = { email: 'crash-admin@modelgate.test', password: 'crash-admin-password-1' };

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

function receiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }),
    ),
  );
}

async function call(api: ApiProcess, method: string, path: string, headers: Record<string, string> = {}, body?: BodyInit) {
  const res = await fetch(api.base + path, { method, headers, body });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function crashSuite(database: () => Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>): void {
  let processes: ApiProcess[] = [];
  let hook: Awaited<ReturnType<typeof receiver>>;
  let setup: Awaited<ReturnType<typeof database>>;

  beforeAll(async () => {
    hook = await receiver();
    setup = await database();
  });
  afterAll(async () => {
    for (const p of processes) await p.kill();
    hook?.server.close();
    await setup?.cleanup();
  });

  const start = async (pollMs: string) => {
    const api = await startApiProcess({
      ...setup.env,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      PASSWORD_SCRYPT_COST: '14',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_POLL_INTERVAL_MS: pollMs,
      WEBHOOK_RETRY_BASE_MS: '200',
      SUNSET_SWEEP_INTERVAL_SECONDS: '0',
      TRAINING_SWEEP_INTERVAL_SECONDS: '0',
    });
    processes.push(api);
    return api;
  };

  it('delivers an event committed before a kill -9, once, signed, from the next process', async () => {
    const a = await start('0');
    const { accessToken } = (await call(a, 'POST', '/v1/auth/login', { 'content-type': 'application/json' }, JSON.stringify(ADMIN))) as {
      accessToken: string;
    };
    const auth = { authorization: `Bearer ${accessToken}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const webhook = (await call(a, 'POST', '/v1/webhooks', json, JSON.stringify({ url: hook.url, events: ['model.version.created'] }))) as {
      id: string;
      secret: string;
    };
    await call(a, 'POST', '/v1/models', json, JSON.stringify({ name: 'crash-iris', task: 'classification' }));
    const upload = await multipart(fixtureFiles('classifier'));
    await call(a, 'POST', '/v1/models/crash-iris/versions', { ...auth, ...upload.headers }, new Uint8Array(upload.payload));
    // Committed (the upload answered 201), not sent: A polls nothing. Now the crash.
    await a.kill();
    processes = processes.filter((p) => p !== a);
    expect(hook.received).toEqual([]);

    const b = await start('200');
    await until(() => hook.received.length >= 1, 30_000);
    // A little longer: a second send of the same event would show up here.
    await new Promise((r) => setTimeout(r, 1500));
    const ids = new Set(hook.received.map((r) => r.headers['x-modelgate-delivery']));
    expect(ids.size).toBe(1);
    const [delivery] = hook.received;
    expect(delivery.headers['x-modelgate-event']).toBe('model.version.created');
    const signature = `sha256=${createHmac('sha256', webhook.secret).update(delivery.body).digest('hex')}`;
    expect(delivery.headers['x-modelgate-signature']).toBe(signature);
    expect(JSON.parse(delivery.body)).toMatchObject({
      id: delivery.headers['x-modelgate-delivery'],
      event: 'model.version.created',
      data: { model: 'crash-iris', version: 1 },
    });
    const login = (await call(b, 'POST', '/v1/auth/login', { 'content-type': 'application/json' }, JSON.stringify(ADMIN))) as {
      accessToken: string;
    };
    const history = (await call(b, 'GET', `/v1/webhooks/${webhook.id}/deliveries`, { authorization: `Bearer ${login.accessToken}` })) as {
      items: { status: string; attempts: number }[];
    };
    expect(history.items).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  }, 180_000);
}

describe('webhooks across a kill -9, embedded database (e2e)', () => {
  crashSuite(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-crash-'));
    return {
      env: { DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex') },
      cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
    };
  });
});

describeWithServers(['postgres'], 'webhooks across a kill -9, Postgres (e2e)', () => {
  crashSuite(async () => {
    const database = (await freshDatabase(POSTGRES))!;
    const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-crash-'));
    return {
      env: { DATABASE_URL: database.url, DATA_DIR: dataDir, JWT_SECRET: randomBytes(32).toString('hex') },
      cleanup: async () => {
        await database.drop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
});
