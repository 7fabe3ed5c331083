import { UsageRecorder } from '@app/predictions';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, createUser, TestApiKey, tokenFor, TestUser } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * GET /v1/usage over time: `interval=hour|day` (one item per group and UTC bucket), caller names
 * for groupBy=caller, and the `model` filter, on the real app over its embedded database. Real
 * predictions land in the hour they are made; older traffic is recorded through the same
 * recorder the serving path uses, with the times the test needs.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const instances = readFixtureReference('classifier').inputs.slice(0, 2);

type Item = { key: string; name?: string | null; bucket?: string; requests: number; rows: number; errors: number };

const floorTo = (ms: number, size: number) => Math.floor(ms / size) * size;
const iso = (ms: number) => new Date(ms).toISOString();

describe('usage over time: buckets, caller names, model filter (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let user: TestUser;
  let key: TestApiKey;
  /** When the real predictions were made: their events are in the hours between. */
  let madeFrom: number;
  let madeTo: number;
  /** A UTC midnight three days back: the recorded (older) traffic is placed from there. */
  let past: number;

  const usage = async (query: string, token = admin) =>
    t.app.inject({ method: 'GET', url: `/v1/usage?${query}`, headers: authHeader(token) });
  const items = async (query: string): Promise<Item[]> => {
    const res = await usage(query);
    if (res.statusCode !== 200) throw new Error(`GET /v1/usage?${query}: ${res.statusCode} ${res.body}`);
    return res.json().items as Item[];
  };

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    user = await createUser(t, 'consumer');
    key = await createApiKey(t, 'consumer', { name: 'batch-scorer' });
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
    await versionIn(t, engineer, 'iris', 'production'); // version 1 is now deprecated, still serving
    await createModel(t, engineer, 'wine', { task: 'classification' });
    await versionIn(t, engineer, 'wine', 'production');

    const predict = async (url: string, headers: Record<string, string>, payload: object = { instances }) => {
      const res = await t.app.inject({ method: 'POST', url, headers, payload });
      return res.statusCode;
    };
    madeFrom = Date.now();
    for (let i = 0; i < 3; i++) expect(await predict('/v1/models/iris/predict', apiKeyHeader(key.key))).toBe(200);
    for (let i = 0; i < 2; i++) expect(await predict('/v1/models/iris/versions/1/predict', authHeader(user.accessToken))).toBe(200);
    expect(await predict('/v1/models/wine/predict', authHeader(user.accessToken))).toBe(200);
    expect(await predict('/v1/models/wine/predict', authHeader(user.accessToken), { instances: [[1, 2]] })).toBe(422);
    madeTo = Date.now();

    // Older traffic, three and two days ago: a gap of a day (and of many hours) between.
    past = floorTo(madeFrom, DAY) - 3 * DAY;
    const recorder = t.app.get(UsageRecorder);
    const event = (at: number, changes: object = {}) =>
      recorder.record({
        at: new Date(at),
        modelName: 'iris',
        version: 1,
        callerId: key.id,
        callerKind: 'api-key',
        api: 'v1',
        status: 200,
        rows: 4,
        latencyMs: 3,
        computeMs: 1,
        ...changes,
      });
    event(past + 10 * 60_000);
    event(past + 50 * 60_000, { status: 500 });
    event(past + 2 * HOUR, { callerId: null, callerKind: null });
    event(past + DAY + 5 * HOUR, { modelName: 'wine' });
  });
  afterAll(() => t?.close());

  /** The hours the real predictions may have landed in (one, unless an hour turned meanwhile). */
  const madeHours = () => [...new Set([floorTo(madeFrom, HOUR), floorTo(madeTo, HOUR)])].map(iso);
  const total = (rows: Item[], key: string) => rows.filter((r) => r.key === key).reduce((n, r) => n + r.requests, 0);

  it('interval=hour: one item per model and hour the predictions were made in, with that hour’s totals', async () => {
    const from = iso(floorTo(madeFrom, HOUR));
    const rows = await items(`groupBy=model&interval=hour&from=${from}&to=${iso(madeTo + 1)}`);
    expect(rows.every((r) => madeHours().includes(r.bucket!))).toBe(true);
    expect(total(rows, 'iris')).toBe(5);
    expect(total(rows, 'wine')).toBe(2);
    expect(rows.filter((r) => r.key === 'wine').reduce((n, r) => n + r.errors, 0)).toBe(1);
    expect(rows.filter((r) => r.key === 'iris').reduce((n, r) => n + r.rows, 0)).toBe(10);
    for (const r of rows) {
      expect(r).toEqual({
        key: r.key,
        bucket: r.bucket,
        requests: expect.any(Number),
        rows: expect.any(Number),
        errors: expect.any(Number),
        p50Ms: expect.any(Number),
        p95Ms: expect.any(Number),
        computeMs: expect.any(Number),
      });
    }
    if (madeHours().length === 1) expect(rows.map((r) => r.key)).toEqual(['iris', 'wine']); // most requests first
  });

  it('buckets without events are absent; items are ordered by bucket, then most requests', async () => {
    const rows = await items(`groupBy=model&interval=hour&from=${iso(past)}&to=${iso(past + 2 * DAY)}`);
    expect(rows.map((r) => [r.bucket, r.key, r.requests, r.errors])).toEqual([
      [iso(past), 'iris', 2, 1],
      [iso(past + 2 * HOUR), 'iris', 1, 0],
      [iso(past + DAY + 5 * HOUR), 'wine', 1, 0],
    ]);
    const daily = await items(`groupBy=model&interval=day&from=${iso(past)}&to=${iso(madeTo + 1)}`);
    const buckets = daily.map((r) => r.bucket!);
    expect(buckets).toEqual([...buckets].sort());
    expect(daily.slice(0, 2).map((r) => [r.bucket, r.key, r.requests])).toEqual([
      [iso(past), 'iris', 3],
      [iso(past + DAY), 'wine', 1],
    ]);
    // Today (or, at midnight, the two days the predictions straddled): nothing on the day between.
    expect(buckets).not.toContain(iso(past + 2 * DAY));
    expect(total(daily, 'iris')).toBe(8);
  });

  it('groupBy=caller names each caller: the user’s email, the API key’s name, anonymous for none', async () => {
    const rows = await items(`groupBy=caller&from=${iso(past)}&to=${iso(madeTo + 1)}`);
    expect(rows).toEqual([
      expect.objectContaining({ key: key.id, name: 'batch-scorer', requests: 6 }),
      expect.objectContaining({ key: user.id, name: user.email, requests: 4 }),
      expect.objectContaining({ key: 'anonymous', name: 'anonymous', requests: 1 }),
    ]);
    const hourly = await items(`groupBy=caller&interval=day&from=${iso(past)}&to=${iso(past + DAY)}`);
    expect(hourly).toEqual([
      { key: key.id, name: 'batch-scorer', bucket: iso(past), requests: 2, rows: 8, errors: 1, p50Ms: 3, p95Ms: 3, computeMs: 2 },
      { key: 'anonymous', name: 'anonymous', bucket: iso(past), requests: 1, rows: 4, errors: 0, p50Ms: 3, p95Ms: 3, computeMs: 1 },
    ]);
  });

  it("model=<name> keeps only that model's events (its versions, with groupBy=version)", async () => {
    const range = `from=${iso(past)}&to=${iso(madeTo + 1)}`;
    const versions = await items(`groupBy=version&model=iris&${range}`);
    expect(versions.map((r) => [r.key, r.requests])).toEqual([
      ['iris:1', 5],
      ['iris:2', 3],
    ]);
    const wine = await items(`groupBy=model&interval=day&model=wine&${range}`);
    expect(wine.every((r) => r.key === 'wine')).toBe(true);
    expect(total(wine, 'wine')).toBe(3);
    expect(await items(`groupBy=model&model=no-such-model&${range}`)).toEqual([]);
  });

  it('without interval the answer is as before: one item per group, no bucket, no name outside groupBy=caller', async () => {
    const rows = await items(`groupBy=model&from=${iso(past)}&to=${iso(madeTo + 1)}`);
    expect(rows.map((r) => [r.key, r.requests])).toEqual([
      ['iris', 8],
      ['wine', 3],
    ]);
    expect(Object.keys(rows[0]).sort()).toEqual(['computeMs', 'errors', 'key', 'p50Ms', 'p95Ms', 'requests', 'rows']);
  });

  it('422 problem naming the limit for a range of more than 1000 buckets', async () => {
    const hourly = await usage('groupBy=model&interval=hour&from=2030-01-01T00:00:00Z&to=2030-02-11T16:00:01Z');
    expect(hourly.statusCode).toBe(422);
    expect(hourly.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(hourly.json()).toMatchObject({
      status: 422,
      code: 'VALIDATION_FAILED',
      detail: 'The range holds 1001 buckets at interval=hour; at most 1000 are allowed.',
      errors: [{ field: 'interval', message: expect.stringContaining('at most 1000 buckets') }],
    });
    // The same range by day is 42 buckets; 1000 hours exactly is allowed.
    expect((await usage('groupBy=model&interval=day&from=2030-01-01T00:00:00Z&to=2030-02-11T16:00:01Z')).statusCode).toBe(200);
    expect((await usage('groupBy=model&interval=hour&from=2030-01-01T00:00:00Z&to=2030-02-11T16:00:00Z')).statusCode).toBe(200);
    expect((await usage('groupBy=model&interval=day&from=2030-01-01T00:00:00Z&to=2033-01-01T00:00:00Z')).statusCode).toBe(422);
  });

  it.each([
    ['an unknown interval', 'interval=week'],
    ['an empty interval', 'interval='],
    ['a model name that cannot exist', 'model=Not%20a%20name'],
  ])('400 problem for %s', async (_what, query) => {
    const res = await usage(`groupBy=model&${query}`);
    expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('403 for anyone but an admin', async () => {
    for (const token of [engineer, user.accessToken]) {
      const res = await usage('groupBy=caller&interval=hour', token);
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 403, code: 'INSUFFICIENT_ROLE' });
    }
  });
});
