import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authHeader, bootstrapAdmin, createUser, tokenFor, TestUser } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, transition, versionIn } from './support/registry';
import { describeWithServers } from './support/servers';
import { freshDatabase, startTestApp, TestApp } from './support/test-app';

/**
 * PATCH /v1/models/{name}/versions/{version} (CONTRACT.md, "Changes to the above"): description,
 * labels, and the sunset of a deprecated version, audited; serving follows the change at once
 * (the resolver's cache is dropped by the registry event, here and, through Redis, on the other replicas).
 */
const DAY_MS = 86_400_000;
const instances = readFixtureReference('classifier').inputs.slice(0, 2);

type Inject = TestApp['app']['inject'];

function client(t: TestApp) {
  const inject = (opts: Parameters<Inject>[0]) => t.app.inject(opts);
  return {
    patch: (token: string, url: string, payload: unknown, headers: Record<string, string> = {}) =>
      inject({ method: 'PATCH', url, headers: { ...authHeader(token), ...headers }, payload: payload as object }),
    get: (token: string, url: string) => inject({ method: 'GET', url, headers: authHeader(token) }),
    predict: (token: string, model: string, version: number) =>
      inject({
        method: 'POST',
        url: `/v1/models/${model}/versions/${version}/predict`,
        headers: authHeader(token),
        payload: { instances },
      }),
  };
}

/** A model whose version 1 was deprecated by the promotion of version 2. */
async function deprecatedPair(t: TestApp, token: string, name: string): Promise<void> {
  await createModel(t, token, name, { task: 'classification' });
  await versionIn(t, token, name, 'production');
  await versionIn(t, token, name, 'production');
}

describe('PATCH a model version (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;
  let engineer: TestUser;
  let consumer: string;
  let http: ReturnType<typeof client>;

  beforeAll(async () => {
    t = await startTestApp({ SUNSET_SWEEP_INTERVAL_SECONDS: '0' });
    http = client(t);
    admin = await bootstrapAdmin(t);
    engineer = await createUser(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await deprecatedPair(t, engineer.accessToken, 'iris');
  });
  afterAll(() => t?.close());

  it('moves the sunset of a deprecated version; predictions on it carry the new Sunset at once', async () => {
    const before = (await http.get(engineer.accessToken, '/v1/models/iris/versions/1')).json();
    expect(before).toMatchObject({ stage: 'deprecated', successorVersion: 2 });
    // Served once with the old sunset: the resolver now holds the version.
    const first = await http.predict(consumer, 'iris', 1);
    expect(first.statusCode).toBe(200);
    expect(first.headers.sunset).toBe(new Date(before.sunsetAt).toUTCString());

    const sunsetAt = new Date(Math.ceil((Date.now() + 90 * DAY_MS) / 1000) * 1000).toISOString();
    const res = await http.patch(engineer.accessToken, '/v1/models/iris/versions/1', { sunsetAt });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...before, sunsetAt });
    expect(res.headers.etag).toEqual(expect.any(String));
    expect((await http.get(consumer, '/v1/models/iris/versions/1')).json().sunsetAt).toBe(sunsetAt);

    const after = await http.predict(consumer, 'iris', 1);
    expect(after.statusCode).toBe(200);
    expect(after.headers.sunset).toBe(new Date(sunsetAt).toUTCString());
    expect(after.headers.deprecation).toBe(first.headers.deprecation);
    expect(after.headers.link).toBe('</v1/models/iris/versions/2>; rel="successor-version"');
  });

  it('is audited with the actor and the fields before and after (GET /v1/audit-events)', async () => {
    const old = (await http.get(engineer.accessToken, '/v1/models/iris/versions/1')).json().sunsetAt as string;
    const sunsetAt = new Date(Math.ceil((Date.now() + 120 * DAY_MS) / 1000) * 1000).toISOString();
    expect(
      (await http.patch(engineer.accessToken, '/v1/models/iris/versions/1', { sunsetAt, description: 'kept for the batch jobs' }))
        .statusCode,
    ).toBe(200);
    const listed = await http.get(admin.accessToken, '/v1/audit-events?action=model-version.updated&limit=100');
    expect(listed.statusCode).toBe(200);
    const event = listed.json().items.find((e: { details: { after: { sunsetAt?: string } } }) => e.details.after.sunsetAt === sunsetAt);
    expect(event).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      action: 'model-version.updated',
      actor: { kind: 'user', id: engineer.id, email: engineer.email },
      target: { type: 'model-version', id: expect.any(String) },
      ip: expect.any(String),
      requestId: expect.any(String),
      details: {
        model: 'iris',
        version: 1,
        before: { description: null, sunsetAt: old },
        after: { description: 'kept for the batch jobs', sunsetAt },
      },
    });
  });

  it('changes description and labels (admins too); predictions answer with the new labels at once', async () => {
    const first = await http.predict(consumer, 'iris', 2);
    expect(first.json().labels.every((l: string) => ['setosa', 'versicolor', 'virginica'].includes(l))).toBe(true);
    const res = await http.patch(admin.accessToken, '/v1/models/iris/versions/2', { description: 'champion', labels: ['s', 'v', 'g'] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: 2, stage: 'production', description: 'champion', labels: ['s', 'v', 'g'], sunsetAt: null });
    const after = await http.predict(consumer, 'iris', 2);
    expect(after.json().predictions).toEqual(first.json().predictions);
    expect(after.json().labels).toEqual(first.json().labels.map((l: string) => ({ setosa: 's', versicolor: 'v', virginica: 'g' })[l]));
    // null clears them.
    expect((await http.patch(engineer.accessToken, '/v1/models/iris/versions/2', { description: null })).json().description).toBeNull();
  });

  it('409 MODEL_VERSION_NOT_DEPRECATED for a sunset on a version that is not deprecated', async () => {
    const sunsetAt = new Date(Date.now() + 10 * DAY_MS).toISOString();
    const production = await http.patch(engineer.accessToken, '/v1/models/iris/versions/2', { sunsetAt });
    expect(production.statusCode).toBe(409);
    expect(production.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(production.json()).toMatchObject({
      status: 409,
      code: 'MODEL_VERSION_NOT_DEPRECATED',
      stage: 'production',
      detail: expect.stringContaining('only a deprecated version has a sunset to move'),
    });
    await createModel(t, engineer.accessToken, 'drafty');
    await versionIn(t, engineer.accessToken, 'drafty', 'draft');
    const draft = await http.patch(engineer.accessToken, '/v1/models/drafty/versions/1', { sunsetAt });
    expect(draft.json()).toMatchObject({ status: 409, code: 'MODEL_VERSION_NOT_DEPRECATED', stage: 'draft' });
    expect((await http.get(engineer.accessToken, '/v1/models/iris/versions/2')).json().sunsetAt).toBeNull();
  });

  it('422 for a sunset in the past, and for labels that do not fit the output', async () => {
    const stored = (await http.get(engineer.accessToken, '/v1/models/iris/versions/1')).json();
    const past = await http.patch(engineer.accessToken, '/v1/models/iris/versions/1', {
      sunsetAt: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.statusCode).toBe(422);
    expect(past.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(past.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'sunsetAt', message: 'sunsetAt must be in the future' }],
    });
    const labels = await http.patch(engineer.accessToken, '/v1/models/iris/versions/1', { labels: ['a', 'b'] });
    expect(labels.statusCode).toBe(422);
    expect(labels.json().errors[0]).toMatchObject({ field: 'labels', message: expect.stringContaining('3 classes') });
    expect((await http.get(engineer.accessToken, '/v1/models/iris/versions/1')).json()).toEqual(stored);
  });

  it.each([
    ['an empty body', {}],
    ['a malformed sunsetAt', { sunsetAt: 'next tuesday' }],
    ['labels that are not strings', { labels: [1, 2, 3] }],
    ['empty labels', { labels: [] }],
    ['an unknown field', { stage: 'production' }],
  ])('400 VALIDATION_FAILED for %s', async (_what, body) => {
    const res = await http.patch(engineer.accessToken, '/v1/models/iris/versions/1', body);
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('403 for a consumer; 404 for an unknown model or version', async () => {
    const forbidden = await http.patch(consumer, '/v1/models/iris/versions/1', { description: 'mine now' });
    expect({ status: forbidden.statusCode, code: forbidden.json().code }).toEqual({ status: 403, code: 'INSUFFICIENT_ROLE' });
    const noVersion = await http.patch(engineer.accessToken, '/v1/models/iris/versions/99', { description: 'x' });
    expect({ status: noVersion.statusCode, code: noVersion.json().code }).toEqual({ status: 404, code: 'MODEL_VERSION_NOT_FOUND' });
    const noModel = await http.patch(engineer.accessToken, '/v1/models/nope/versions/1', { description: 'x' });
    expect({ status: noModel.statusCode, code: noModel.json().code }).toEqual({ status: 404, code: 'MODEL_NOT_FOUND' });
  });

  it('honours If-Match like a transition (412 on a stale ETag)', async () => {
    const current = await http.get(engineer.accessToken, '/v1/models/iris/versions/1');
    const stale = await http.patch(engineer.accessToken, '/v1/models/iris/versions/1', { description: 'x' }, { 'if-match': '"stale"' });
    expect({ status: stale.statusCode, code: stale.json().code }).toEqual({ status: 412, code: 'PRECONDITION_FAILED' });
    const fresh = await http.patch(
      engineer.accessToken,
      '/v1/models/iris/versions/1',
      { description: 'y' },
      { 'if-match': current.headers.etag as string },
    );
    expect(fresh.statusCode).toBe(200);
  });

  it('a retired version (after its transition) has no sunset to move', async () => {
    await createModel(t, engineer.accessToken, 'old-iris', { task: 'classification' });
    await versionIn(t, engineer.accessToken, 'old-iris', 'production');
    expect((await transition(t, engineer.accessToken, 'old-iris', 1, { to: 'deprecated' })).statusCode).toBe(200);
    expect((await transition(t, admin.accessToken, 'old-iris', 1, { to: 'retired' })).statusCode).toBe(200);
    const res = await http.patch(engineer.accessToken, '/v1/models/old-iris/versions/1', {
      sunsetAt: new Date(Date.now() + DAY_MS).toISOString(),
    });
    expect(res.json()).toMatchObject({ status: 409, code: 'MODEL_VERSION_NOT_DEPRECATED', stage: 'retired' });
  });
});

const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describeWithServers(['postgres', 'redis'], 'PATCH a model version: the other replicas follow (e2e)', () => {
  let database: { url: string; drop(): Promise<void> };
  let A: TestApp;
  let B: TestApp;
  let engineer: string;
  const model = `patched-${randomBytes(3).toString('hex')}`;
  // One disk for both replicas' artifacts: this suite is about caches, not artifact storage.
  const shared = mkdtempSync(join(tmpdir(), 'modelgate-replicas-'));

  beforeAll(async () => {
    database = (await freshDatabase(POSTGRES))!;
    const prefix = `mg-test-${randomBytes(4).toString('hex')}`;
    const env = {
      JWT_SECRET: randomBytes(32).toString('hex'), // one deployment: a token from A is valid on B
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `${prefix}:`,
      TRAINING_QUEUE_PREFIX: prefix,
      // A minute: only the invalidation relayed through Redis can explain B seeing the change.
      SERVING_RESOLVE_TTL_MS: '60000',
      SUNSET_SWEEP_INTERVAL_SECONDS: '0',
      TRAINING_SWEEP_INTERVAL_SECONDS: '0',
      PAYLOAD_PURGE_INTERVAL_SECONDS: '0',
      DATA_DIR: shared,
    };
    A = await startTestApp(env, { databaseUrl: database.url });
    B = await startTestApp(env, { databaseUrl: database.url });
    engineer = (await createUser(A, 'ml-engineer')).accessToken;
    await deprecatedPair(A, engineer, model);
  }, 120_000);

  afterAll(async () => {
    await B?.close();
    await A?.close();
    await database?.drop();
    rmSync(shared, { recursive: true, force: true });
  }, 60_000);

  it('a sunset moved on A is in the Sunset header of B’s next predictions', async () => {
    const b = client(B);
    const first = await b.predict(engineer, model, 1);
    expect(first.statusCode).toBe(200);
    const sunsetAt = new Date(Math.ceil((Date.now() + 45 * DAY_MS) / 1000) * 1000).toISOString();
    expect(first.headers.sunset).not.toBe(new Date(sunsetAt).toUTCString());
    expect((await client(A).patch(engineer, `/v1/models/${model}/versions/1`, { sunsetAt })).statusCode).toBe(200);
    // Pub/sub is asynchronous: B hears of it within milliseconds (bounded here by 2 s, far below the TTL).
    const deadline = Date.now() + 2_000;
    let sunset = first.headers.sunset;
    while (sunset !== new Date(sunsetAt).toUTCString() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      sunset = (await b.predict(engineer, model, 1)).headers.sunset;
    }
    expect(sunset).toBe(new Date(sunsetAt).toUTCString());
  });
});
