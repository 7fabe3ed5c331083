import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Every prediction answer says why the caller waited: `Server-Timing` with the batching queue, the
 * batch's compute and the rows of the batch it ran in. Batches are made deterministic here: a batch
 * closes when it holds 6 rows (BATCH_MAX_ROWS), and the delay is long enough that concurrent
 * requests of 2 rows always meet in one batch.
 */

const TIMING = /^queue;dur=(\d+\.\d{3}), compute;dur=(\d+\.\d{3}), batch;desc="rows=(\d+)"$/;

function timing(header: unknown): { queue: number; compute: number; rows: number } {
  const match = TIMING.exec(String(header));
  if (!match) throw new Error(`Server-Timing not in the expected form: ${String(header)}`);
  return { queue: Number(match[1]), compute: Number(match[2]), rows: Number(match[3]) };
}

describe('Server-Timing on prediction answers (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;
  let inputName: string;
  const reference = readFixtureReference('classifier');
  const rows = (n: number) => reference.inputs.slice(0, n);

  beforeAll(async () => {
    // Batches closed by rows alone (no BATCH_MAX_COMPUTE_MS cut): this suite counts their rows.
    t = await startTestApp({ BATCH_MAX_ROWS: '6', BATCH_MAX_DELAY_MS: '1000', BATCH_MAX_COMPUTE_MS: '0', SERVING_RESOLVE_TTL_MS: '60000' });
    await bootstrapAdmin(t);
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, 'timed', { task: 'classification' });
    await versionIn(t, engineer, 'timed', 'production');
    inputName = (await t.app.inject({ method: 'GET', url: '/v2/models/timed', headers: authHeader(consumer) })).json().inputs[0].name;
  });
  afterAll(() => t?.close());

  const post = (url: string, payload: unknown, token = consumer) =>
    t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: payload as object });
  const v2 = (n: number) => ({ inputs: [{ name: inputName, shape: [n, 4], datatype: 'FP32', data: rows(n).flat() }] });

  it.each([
    ['v1 production', '/v1/models/timed/predict', { instances: rows(6) }],
    ['v1 version', '/v1/models/timed/versions/1/predict', { instances: rows(6) }],
    ['v1 alias', '/v1/models/timed/aliases/production/predict', { instances: rows(6) }],
    ['v2 production', '/v2/models/timed/infer', undefined],
    ['v2 version', '/v2/models/timed/versions/1/infer', undefined],
  ])('%s: queue and compute milliseconds and the rows of its batch', async (_route, url, payload) => {
    const res = await post(url, payload ?? v2(6));
    expect(res.statusCode).toBe(200);
    const { queue, compute, rows: batchRows } = timing(res.headers['server-timing']);
    // A request of 6 rows fills a batch alone: it ran in a batch of exactly its rows.
    expect(batchRows).toBe(6);
    expect(queue).toBeGreaterThanOrEqual(0);
    expect(compute).toBeGreaterThan(0);
  });

  it('reports the shared batch: three concurrent requests of 2 rows ran in one batch of 6, with the same compute', async () => {
    const answers = await Promise.all([
      post('/v1/models/timed/predict', { instances: rows(2) }),
      post('/v2/models/timed/infer', v2(2)),
      post('/v1/models/timed/predict', { instances: rows(2) }),
    ]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const timings = answers.map((r) => timing(r.headers['server-timing']));
    expect(timings.map((x) => x.rows)).toEqual([6, 6, 6]);
    // One batch computed for all three: each answer reports that batch's compute time.
    expect(new Set(timings.map((x) => x.compute)).size).toBe(1);
    // The predictions are still each request's own rows.
    expect(answers[0].json().predictions).toHaveLength(2);
    expect(answers[1].json().outputs[0].shape).toEqual([2, 3]);
  });

  it('the statistics extension counts the shared batch once: 8 requests, 36 rows, 6 batches', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v2/models/timed/versions/1/stats', headers: authHeader(consumer) });
    expect(res.statusCode).toBe(200);
    const [stats] = res.json().model_stats;
    expect(stats).toMatchObject({ name: 'timed', version: '1', inference_count: 36, execution_count: 6 });
    expect(stats.inference_stats.success.count).toBe(8);
    expect(stats.inference_stats.queue.count).toBe(8);
    expect(stats.inference_stats.compute_infer.count).toBe(8);
    expect(stats.inference_stats.fail.count).toBe(0);
  });

  it('carries no Server-Timing on an error answer, and says nothing ran on a response-cache hit', async () => {
    const bad = await post('/v2/models/timed/infer', { inputs: [{ name: inputName, shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['server-timing']).toBeUndefined();

    const cache = await t.app.inject({
      method: 'PUT',
      url: '/v1/models/timed/serving',
      headers: authHeader(engineer),
      payload: { responseCacheTtlSeconds: 60 },
    });
    expect(cache.statusCode).toBe(200);
    const miss = await post('/v1/models/timed/predict', { instances: rows(6) });
    expect(miss.headers['x-cache']).toBe('miss');
    expect(timing(miss.headers['server-timing']).rows).toBe(6);
    const hit = await post('/v1/models/timed/predict', { instances: rows(6) });
    expect(hit.headers['x-cache']).toBe('hit');
    expect(hit.headers['server-timing']).toBe('queue;dur=0.000, compute;dur=0.000, batch;desc="rows=0"');
  });

  it('lets a browser console read it (CORS exposes Server-Timing)', async () => {
    const origin = 'https://console.example';
    const app = await startTestApp({ CORS_ORIGINS: origin });
    try {
      await bootstrapAdmin(app);
      const engineerToken = await tokenFor(app, 'ml-engineer');
      await createModel(app, engineerToken, 'cors', { task: 'classification' });
      await versionIn(app, engineerToken, 'cors', 'production');
      const res = await app.app.inject({
        method: 'POST',
        url: '/v1/models/cors/predict',
        headers: { ...authHeader(engineerToken), origin },
        payload: { instances: rows(1) },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(String(res.headers['access-control-expose-headers']).split(/,\s*/)).toContain('Server-Timing');
      expect(timing(res.headers['server-timing']).rows).toBe(1);
    } finally {
      await app.close();
    }
  });
});
