import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { authHeader, tokenFor } from './support/auth';
import { startTcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';
import { describeWithServers } from './support/servers';

describe('platform (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ BODY_LIMIT_BYTES: '2048' });
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);

  it('GET /health/live answers ok', async () => {
    const res = await inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /health/ready reports the database up', async () => {
    const res = await inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json().details.database.status).toBe('up');
  });

  it('echoes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const ok = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'client-abc-123456' } });
    expect(ok.headers['x-request-id']).toBe('client-abc-123456');
    const bad = await inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'no spaces\tallowed' } });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with a 404 problem document', async () => {
    const res = await inject({ method: 'GET', url: '/v1/does-not-exist', headers: { 'x-request-id': 'req-404-abcdef' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toEqual({
      type: 'https://modelgate.dev/problems/route-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'No route matches GET /v1/does-not-exist.',
      instance: '/v1/does-not-exist',
      code: 'ROUTE_NOT_FOUND',
      requestId: 'req-404-abcdef',
    });
  });

  it('answers a body that is not JSON with a 415 problem (text/plain included)', async () => {
    for (const type of ['text/plain', 'application/xml']) {
      const res = await inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': type }, payload: 'email=a' });
      expect({ type, status: res.statusCode, code: res.json().code }).toEqual({ type, status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('answers malformed JSON with a 400 problem', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-bad-json-1' },
      payload: '{"broken": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'MALFORMED_JSON', instance: '/v1/auth/login', requestId: 'req-bad-json-1' });
  });

  it('answers a body over BODY_LIMIT_BYTES with a 413 problem', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(4096) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('serves Prometheus metrics with the route template, not the raw URL', async () => {
    await inject({ method: 'GET', url: '/v1/some/raw/path?x=1' });
    const res = await inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('process_cpu_user_seconds_total');
    expect(res.body).toMatch(/modelgate_http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} \d+/);
    expect(res.body).not.toContain('/v1/some/raw/path');
    expect(res.body).toContain('route="unmatched"');
  });

  it('serves Swagger UI and the OpenAPI document', async () => {
    const ui = await inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    const spec = await inject({ method: 'GET', url: '/docs/openapi.json' });
    expect(spec.statusCode).toBe(200);
    expect(spec.json().openapi).toMatch(/^3\./);
  });

  it('keeps the committed openapi.json identical to what the code generates (run `npm run openapi`)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    expect(buildOpenApiDocument(t.app)).toEqual(committed);
  });

  it('gives every operation a unique operationId, a success response and documented problems', () => {
    const doc = buildOpenApiDocument(t.app);
    const ids: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops as Record<string, { operationId: string; responses: Record<string, unknown> }>)) {
        ids.push(op.operationId);
        const statuses = Object.keys(op.responses);
        expect({ path, method, success: statuses.some((s) => /^2\d\d$/.test(s)) }).toEqual({ path, method, success: true });
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has applied every migration and the schema matches the entities (no drift)', async () => {
    const ds = t.app.get(DataSource);
    expect(await ds.showMigrations()).toBe(false);
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });
});

describeWithServers(['redis'], 'readiness with Redis (e2e)', () => {
  afterAll(async () => {
    // Both apps below use this process's prefixes (BullMQ meta keys, rate-limit counters).
    const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`mg-ready-${process.pid}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('reports Redis in the readiness details when it is configured', async () => {
    const t = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:6379', TRAINING_QUEUE_PREFIX: `mg-ready-${process.pid}` });
    try {
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(200);
      expect(res.json().details.redis.status).toBe('up');
      expect(res.json().details.rateLimit).toEqual({ status: 'up', storage: 'redis' });
    } finally {
      await t.close();
    }
  });

  it('starts while Redis is unreachable, serves, and becomes ready when Redis answers', async () => {
    const target = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    proxy.cut();
    const t = await startTestApp({
      REDIS_URL: `redis://${proxy.address}`,
      TRAINING_QUEUE_PREFIX: `mg-ready-${process.pid}`,
      REDIS_KEY_PREFIX: `mg-ready-${process.pid}:`,
    });
    try {
      const token = await tokenFor(t, 'consumer');
      expect((await t.app.inject({ method: 'GET', url: '/v1/models', headers: authHeader(token) })).statusCode).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503);
      proxy.restore();
      const deadline = Date.now() + 15_000;
      let status = 503;
      while (status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode;
      }
      expect(status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      proxy.restore();
      await t.close();
      await proxy.close();
    }
  });

  it('is not ready while Redis is unreachable (CONTRACT.md), yet serves, and says how it copes', async () => {
    const target = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    const t = await startTestApp({
      REDIS_URL: `redis://${proxy.address}`,
      TRAINING_QUEUE_PREFIX: `mg-ready-${process.pid}`,
      REDIS_KEY_PREFIX: `mg-ready-${process.pid}:`,
    });
    try {
      proxy.cut();
      const token = await tokenFor(t, 'consumer');
      expect((await t.app.inject({ method: 'GET', url: '/v1/models', headers: authHeader(token) })).statusCode).toBe(200);
      const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({
        code: 'NOT_READY',
        checks: {
          database: { status: 'up' },
          rateLimit: { status: 'up', storage: 'memory-fallback' },
          redis: { status: 'down' },
          clusterEvents: { status: 'down' },
        },
      });
      expect(res.json().detail).toMatch(/redis/);
      proxy.restore();
      // Back on Redis by itself (and only then closed: a client torn down mid-reconnect rejects its resubscription).
      const deadline = Date.now() + 10_000;
      let back: Record<string, { status: string; storage?: string }> = {};
      while (Date.now() < deadline) {
        const again = await t.app.inject({ method: 'GET', url: '/health/ready' });
        back = again.statusCode === 200 ? again.json().details : again.json().checks;
        if (
          again.statusCode === 200 &&
          back.redis.status === 'up' &&
          back.clusterEvents.status === 'up' &&
          back.rateLimit.storage === 'redis'
        )
          break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(back).toMatchObject({ redis: { status: 'up' }, clusterEvents: { status: 'up' }, rateLimit: { storage: 'redis' } });
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      proxy.restore();
      await t.close();
      await proxy.close();
    }
  });
});
