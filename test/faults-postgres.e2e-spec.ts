import { DataSource } from 'typeorm';
import { CallerDirectory } from '@app/auth';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, TestUser, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, versionIn } from './support/registry';
import { startTcpProxy, TcpProxy } from './support/tcp-proxy';
import { startTestApp, TestApp } from './support/test-app';
import { describeWithServers } from './support/servers';

/**
 * Postgres going away and coming back, with the app's connections running through a loopback
 * proxy that the suite cuts and restores. Always on Postgres (TEST_DATABASE_URL or the local one):
 * the embedded database is in-process and cannot be cut.
 */
const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Far above the 1 s connect timeout configured here: an answer later than this is a hang. */
const ANSWER_DEADLINE_MS = 15_000;
const RECOVERY_DEADLINE_MS = 30_000;

/** Fails instead of waiting forever: what is under test is that nothing hangs. */
function answered<T>(what: string, work: Promise<T>): Promise<T> {
  let timer!: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ANSWER_DEADLINE_MS} ms`)), ANSWER_DEADLINE_MS);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

async function pollUntil(what: string, check: () => Promise<boolean>, deadlineMs = RECOVERY_DEADLINE_MS): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeWithServers(['postgres'], 'faults: Postgres becomes unreachable and comes back (e2e)', () => {
  let proxy: TcpProxy;
  let t: TestApp;
  let admin: TestUser;
  let engineer: string;
  let consumerKey: string;
  const reference = readFixtureReference('classifier');
  let outageWrite: number;
  let predictedDuringOutage = 0;

  const request = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}, payload?: object) =>
    answered(`${method} ${url}`, t.app.inject({ method, url, headers, payload }));
  const predict = () => request('POST', '/v1/models/iris/predict', apiKeyHeader(consumerKey), { instances: [reference.inputs[0]] });
  const login = () => request('POST', '/v1/auth/login', {}, { email: admin.email, password: admin.password });
  const usageCount = async () =>
    Number(
      (
        await t.app
          .get(DataSource)
          .query(`SELECT coalesce(sum(requests), 0) AS n FROM usage_events WHERE model_name = 'iris' AND status = 200`)
      )[0].n,
    );

  beforeAll(async () => {
    const target = new URL(POSTGRES);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
    t = await startTestApp(
      // Every prediction resolves its version again, so the resolver's outage fallback is what serves it.
      { DATABASE_CONNECT_TIMEOUT_MS: '1000', SERVING_RESOLVE_TTL_MS: '0', USAGE_FLUSH_INTERVAL_MS: '100' },
      { postgresUrl: POSTGRES, databasePort: proxy.port },
    );
    admin = await bootstrapAdmin(t);
    engineer = await tokenFor(t, 'ml-engineer');
    consumerKey = (await createApiKey(t, 'consumer')).key;
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
    // Loads the model and caches the caller, the version and the serving settings.
    expect((await predict()).statusCode).toBe(200);
  });

  afterAll(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.close();
  });

  describe('while the connection to Postgres is cut', () => {
    beforeAll(() => proxy.cut());

    it('is not ready, naming the database', async () => {
      const res = await request('GET', '/health/ready');
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(body.code).toBe('NOT_READY');
      expect(body.checks.database.status).toBe('down');
      expect(res.headers['retry-after']).toBeDefined();
    });

    it.each([
      ['a registry read', () => request('GET', '/v1/models', authHeader(engineer))],
      ['a login', () => login()],
    ])('answers %s with a 503 DATABASE_UNAVAILABLE problem and Retry-After', async (_what, send) => {
      const res = await send();
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('answers a write with 503 (or completes it), never 500', async () => {
      const res = await request('POST', '/v1/models', authHeader(engineer), { name: 'made-during-outage', task: 'classification' });
      outageWrite = res.statusCode;
      expect([201, 503]).toContain(res.statusCode);
    });

    it('keeps serving a loaded production model from what it already knows, past every lookup cache TTL', async () => {
      const until = Date.now() + CallerDirectory.TTL_MS + 1_000;
      const statuses = new Set<number>();
      do {
        const res = await predict();
        statuses.add(res.statusCode);
        if (res.statusCode === 200) predictedDuringOutage++;
        await new Promise((r) => setTimeout(r, 100));
      } while (Date.now() < until);
      expect([...statuses]).toEqual([200]);
    });

    it('answers a credential it cannot check with a 503, not a 401 or a 500', async () => {
      const res = await request('GET', '/v1/models', apiKeyHeader(`mgk_${'0'.repeat(43)}`));
      expect(res.statusCode).toBe(503);
      expect(res.json().code).toBe('DATABASE_UNAVAILABLE');
    });
  });

  describe('after Postgres is reachable again', () => {
    beforeAll(() => proxy.restore());

    it('becomes ready by itself, without a restart', async () => {
      await pollUntil('ready', async () => (await request('GET', '/health/ready')).statusCode === 200);
    });

    it('answers reads, logins, writes and predictions again', async () => {
      expect((await request('GET', '/v1/models', authHeader(engineer))).statusCode).toBe(200);
      expect((await login()).statusCode).toBe(200);
      expect((await predict()).statusCode).toBe(200);
      const created = await request('POST', '/v1/models', authHeader(engineer), { name: 'made-after-outage', task: 'classification' });
      expect(created.statusCode).toBe(201);
    });

    it('lost nothing: the outage write exists exactly when it succeeded, and every prediction is metered', async () => {
      const res = await request('GET', '/v1/models/made-during-outage', authHeader(engineer));
      expect(res.statusCode).toBe(outageWrite === 201 ? 200 : 404);
      // Two predictions before the outage (the set-up and the one above) plus those served during it.
      const expected = predictedDuringOutage + 2;
      await pollUntil('usage events written', async () => (await usageCount()) >= expected);
      expect(await usageCount()).toBe(expected);
    });
  });
});
