import { InferencePool, ModelCache, ServingRuntime } from '@app/inference';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference, readNamedFixtureReference } from './support/fixtures';
import { asMultipart, modByInputGraphModel } from './support/hostile-models';
import { createModel, fixtureFiles, transition, uploadVersion } from './support/registry';
import { expectClose } from './support/tensors';
import { startTestApp, TestApp } from './support/test-app';

/**
 * INFERENCE_THREADS=2: registered versions load and run on a pool of inference threads. Answers
 * equal TensorFlow.js' own through the pool, concurrent requests get their own rows back, a busy
 * model spreads to the idle thread (the cache counting each copy), an evicted model leaves every
 * thread, and a thread that dies (a wasm trap ends it) answers its batch
 * 503 at once and is replaced, while the replica keeps serving.
 */

const classifier = readFixtureReference('classifier');
const twoInput = readNamedFixtureReference('two-input');
const strings = readNamedFixtureReference('string-graph');
/** The two-input fixture's rows, keyed by input name. */
const rankerRows = (() => {
  const names = Object.keys(twoInput.inputs);
  return twoInput.inputs[names[0]].map((_, r) => Object.fromEntries(names.map((n) => [n, twoInput.inputs[n][r]])));
})();

describe('inference pool (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;
  let pool: InferencePool;

  const predict = (model: string, instances: unknown) =>
    t.app.inject({ method: 'POST', url: `/v1/models/${model}/predict`, headers: authHeader(consumer), payload: { instances } });

  /** Model copies on each thread, once the pool has answered every dispose sent so far. */
  const copies = () => pool.describe().map((thread) => thread.models);

  beforeAll(async () => {
    // Three models fit the cache; a batching window so that concurrent requests share batches, closed
    // by rows alone (the compute cut closes them at one row where a row is slow, as on a loaded runner).
    t = await startTestApp({
      INFERENCE_THREADS: '2',
      MODEL_CACHE_MAX_MODELS: '3',
      BATCH_MAX_DELAY_MS: '50',
      BATCH_MAX_COMPUTE_MS: '0',
      SERVING_WARM_ON_START: 'false',
      // Bursts of hundreds of requests from one caller.
      RATE_LIMIT_PER_MINUTE: '100000',
    });
    await bootstrapAdmin(t);
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    for (const [model, files] of [
      ['iris', fixtureFiles('classifier')],
      ['ranker', fixtureFiles('two-input')],
      ['texter', fixtureFiles('string-graph')],
      ['modulo', asMultipart(modByInputGraphModel())],
    ] as const) {
      await createModel(t, engineer, model);
      expect((await uploadVersion(t, engineer, model, [...files])).statusCode).toBe(201);
      for (const to of ['staging', 'production']) expect((await transition(t, engineer, model, 1, { to })).statusCode).toBe(200);
    }
    pool = t.app.get(ServingRuntime) as InferencePool;
  }, 120_000);

  afterAll(() => t?.close());

  it('is the serving runtime, with two threads', () => {
    expect(pool).toBeInstanceOf(InferencePool);
    expect(pool.size).toBe(2);
    const threads = new Set(pool.describe().map((d) => d.threadId));
    expect(threads.size).toBe(2);
  });

  it('answers as TensorFlow.js does, for one input, several inputs and strings, from the pool threads', async () => {
    expectClose((await predict('iris', classifier.inputs)).json().predictions, classifier.outputs);
    expectClose((await predict('ranker', rankerRows)).json().predictions, twoInput.outputs.class_probs);
    expectClose((await predict('texter', strings.inputs.text)).json().predictions, strings.outputs.embedding);
    // Three models, placed on the least-loaded thread: both threads hold some, the main thread none.
    expect(copies().reduce((a, b) => a + b, 0)).toBe(3);
    expect(copies().every((n) => n > 0)).toBe(true);
  });

  it('a busy model gains a copy on the idle thread, counted by the model cache, and batches run on both', async () => {
    const cache = t.app.get(ModelCache);
    const bytesBefore = cache.bytes;
    expect(copies().reduce((a, b) => a + b, 0)).toBe(3);
    // Requests pile up behind the first batch: every copy of iris is busy while the other thread idles.
    // (More rows than one batch holds, so that a second batch is formed while the first runs.)
    const rows = Array.from({ length: 200 }, (_, i) => i % classifier.inputs.length);
    for (let round = 0; round < 20 && copies().reduce((a, b) => a + b, 0) < 4; round++) {
      const answers = await Promise.all(rows.map((r) => predict('iris', [classifier.inputs[r]])));
      answers.forEach((res, i) => expectClose(res.json().predictions, [classifier.outputs[rows[i]]]));
    }
    // One copy more (iris on both threads), never more copies than threads.
    expect(copies()).toEqual([2, 2]);
    expect(cache.bytes).toBeGreaterThan(bytesBefore);
    // Only iris is asked for now: both threads running batches means both copies serve.
    const batchesBefore = pool.describe().map((d) => d.batches);
    await Promise.all(rows.map((r) => predict('iris', [classifier.inputs[r]])));
    pool.describe().forEach((d, i) => expect(d.batches).toBeGreaterThan(batchesBefore[i]));
    expect(cache.size).toBe(3);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`^modelgate_model_cache_bytes ${cache.bytes}$`, 'm'));
  });

  it('hands every concurrent request its own rows back, batched across requests', async () => {
    const answers = await Promise.all(classifier.inputs.map((row) => predict('iris', [row])));
    answers.forEach((res, i) => {
      expect(res.statusCode).toBe(200);
      expectClose(res.json().predictions, [classifier.outputs[i]]);
    });
    const batchRows = answers.map((res) => Number(/rows=(\d+)/.exec(String(res.headers['server-timing']))?.[1]));
    expect(Math.max(...batchRows)).toBeGreaterThan(1);
    // The model that ran these batches has measured its rows on its thread (the batcher sizes batches
    // by it: BATCH_MAX_COMPUTE_MS); a model's first batch is not counted, so one that ran once reads 0.
    const cache = t.app.get(ModelCache);
    const measured = cache.keys().map((key) => cache.peek(key)?.msPerRow ?? 0);
    expect(Math.max(...measured)).toBeGreaterThan(0);
  });

  it('an evicted model leaves every thread it ran on; a model loaded again answers the same', async () => {
    // A fourth model in a cache of three evicts the least recently used: iris (the others used since), with its two copies.
    expect((await predict('ranker', rankerRows.slice(0, 1))).statusCode).toBe(200);
    expect((await predict('texter', strings.inputs.text.slice(0, 1))).statusCode).toBe(200);
    expect(copies().reduce((a, b) => a + b, 0)).toBe(4);
    expect((await predict('modulo', [[1, 2]])).json().predictions).toEqual([[1, 1]]);
    const cache = t.app.get(ModelCache);
    expect(cache.size).toBe(3);
    // The dispose reaches its thread asynchronously: wait for the copies to settle at the cache's count.
    for (let i = 0; i < 50 && copies().reduce((a, b) => a + b, 0) !== 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(copies().reduce((a, b) => a + b, 0)).toBe(3);
    expectClose((await predict('iris', classifier.inputs.slice(0, 2))).json().predictions, classifier.outputs.slice(0, 2));
  });

  it('a thread that dies answers its batch 503 at once, is replaced, and the replica keeps serving', async () => {
    const before = pool.replaced;
    // x = -1 makes the divisor 0: the wasm backend traps; the rows batched with it fail with it.
    const batch = await Promise.all([predict('modulo', [[-1, -1]]), predict('modulo', [[1, 2]]), predict('modulo', [[3, 4]])]);
    for (const res of batch) {
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'INFERENCE_WORKER_FAILED' });
      expect(res.headers['retry-after']).toBe('1');
    }
    // The thread answers, then ends: its replacement follows its exit.
    for (let i = 0; i < 100 && pool.replaced === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.replaced).toBe(before + 1);
    expect(pool.size).toBe(2);
    // The model loads again on a live thread; the other models and readiness are untouched.
    expect((await predict('modulo', [[1, 2]])).json().predictions).toEqual([[1, 1]]);
    expectClose((await predict('texter', strings.inputs.text.slice(0, 3))).json().predictions, strings.outputs.embedding.slice(0, 3));
    expect((await t.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(new RegExp(`^modelgate_inference_pool_threads_replaced_total ${before + 1}$`, 'm'));
    // The main thread's engine was never touched.
    expect(metrics).toMatch(/^modelgate_inference_engine_up 1$/m);
  });

  it('a killed thread is replaced, and its models load again elsewhere', async () => {
    const before = pool.replaced;
    await Promise.all([0, 1].map((i) => pool.kill(i)));
    for (let i = 0; i < 50 && pool.replaced < before + 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pool.replaced).toBe(before + 2);
    expectClose((await predict('iris', classifier.inputs)).json().predictions, classifier.outputs);
    expectClose((await predict('texter', strings.inputs.text)).json().predictions, strings.outputs.embedding);
  });
});

describe('inference pool: small models stay on the main thread (e2e)', () => {
  const mlp = readFixtureReference('mlp-bench');
  let t: TestApp;
  let consumer: string;

  beforeAll(async () => {
    // classifier: 131 parameters; mlp-bench: 6,467.
    t = await startTestApp({ INFERENCE_THREADS: '1', INFERENCE_POOL_MIN_PARAMETERS: '1000', SERVING_WARM_ON_START: 'false' });
    await bootstrapAdmin(t);
    const engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    for (const [model, fixture] of [
      ['iris', 'classifier'],
      ['mlp', 'mlp-bench'],
    ] as const) {
      await createModel(t, engineer, model);
      expect((await uploadVersion(t, engineer, model, fixtureFiles(fixture))).statusCode).toBe(201);
      for (const to of ['staging', 'production']) expect((await transition(t, engineer, model, 1, { to })).statusCode).toBe(200);
    }
  }, 120_000);

  afterAll(() => t?.close());

  it('loads a model below INFERENCE_POOL_MIN_PARAMETERS on the main thread and a larger one on the pool; both answer as tfjs does', async () => {
    const pool = t.app.get(ServingRuntime) as InferencePool;
    const predict = (model: string, instances: unknown) =>
      t.app.inject({ method: 'POST', url: `/v1/models/${model}/predict`, headers: authHeader(consumer), payload: { instances } });
    expectClose((await predict('iris', classifier.inputs)).json().predictions, classifier.outputs);
    expect(pool.mainThreadLoads).toBe(1);
    expect(pool.describe().map((d) => d.models)).toEqual([0]);
    expectClose((await predict('mlp', mlp.inputs)).json().predictions, mlp.outputs);
    expect(pool.mainThreadLoads).toBe(1);
    expect(pool.describe().map((d) => d.models)).toEqual([1]);
  });
});
