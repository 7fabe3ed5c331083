import {
  DynamicBatcher,
  InferenceQueueFullError,
  InferenceRuntime,
  InputColumns,
  ModelCache,
  TF_BACKEND_SELECTION,
  TfBackendSelection,
} from '@app/inference';
import { readFixtureArtifact, readFixtureReference } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';

/** The inference runtime as wired into the application: backend choice, metrics, cache + batcher. */
describe('inference runtime in the app (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Batches closed by rows alone (no BATCH_MAX_COMPUTE_MS cut): this suite counts their rows.
    t = await startTestApp({ BATCH_MAX_ROWS: '8', BATCH_MAX_QUEUE_ROWS: '16', BATCH_MAX_COMPUTE_MS: '0' });
  });
  afterAll(() => t?.close());

  it('chooses a backend at start-up and exposes it as runtime.backend and modelgate_tf_backend_info', async () => {
    const runtime = t.app.get(InferenceRuntime);
    const selection = t.app.get<TfBackendSelection>(TF_BACKEND_SELECTION);
    expect(runtime.backend).toBe(selection.backend);
    // tfjs-node is an optional dependency that is not installed here: auto lands on wasm.
    expect(selection.skipped.map((s) => s.backend)).toEqual(selection.backend === 'tensorflow' ? [] : ['tensorflow']);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain(`modelgate_tf_backend_info{backend="${runtime.backend}"} 1`);
    expect(metrics.body).toContain('modelgate_model_cache_loaded_models');
    expect(metrics.body).toContain('modelgate_inference_batch_size_bucket');
  });

  it('serves a fixture model through the cache and the batcher with tfjs’ own results', async () => {
    const runtime = t.app.get(InferenceRuntime);
    const cache = t.app.get(ModelCache);
    const batcher = t.app.get(DynamicBatcher);
    const reference = readFixtureReference('classifier');
    const loader = jest.fn(() => runtime.load(readFixtureArtifact('classifier')));
    const execute = (inputs: InputColumns) => cache.use('classifier:1:sha', loader, (model) => model.predictOutputs(inputs));
    const results = await Promise.all(reference.inputs.map((row) => batcher.submit('classifier:1:sha', [[row]], execute)));
    expect(loader).toHaveBeenCalledTimes(1);
    results.forEach((r, i) =>
      (r.outputs[0][0] as number[]).forEach((v, j) => expect(Math.abs(v - reference.outputs[i][j])).toBeLessThan(1e-5)),
    );
    // 24 concurrent one-row requests with BATCH_MAX_ROWS=8 ran as batches of up to 8 rows.
    expect(Math.max(...results.map((r) => r.batchRows))).toBe(8);

    // BATCH_MAX_QUEUE_ROWS=16: beyond that, requests are refused instead of queued.
    const flood = Array.from({ length: 40 }, () => batcher.submit('classifier:1:sha', [[reference.inputs[0]]], execute));
    const settled = await Promise.allSettled(flood);
    const refused = settled.filter((s) => s.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((s) => (s as PromiseRejectedResult).reason instanceof InferenceQueueFullError)).toBe(true);

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/modelgate_model_cache_loaded_models 1/);
    expect(metrics).toMatch(/modelgate_inference_queue_rejections_total [1-9]/);
  });
});

describe('TF_BACKEND forces a backend (e2e)', () => {
  it('TF_BACKEND=cpu runs on the pure JS backend', async () => {
    const t = await startTestApp({ TF_BACKEND: 'cpu' });
    try {
      expect(t.app.get(InferenceRuntime).backend).toBe('cpu');
      expect((await t.app.inject({ method: 'GET', url: '/metrics' })).body).toContain('modelgate_tf_backend_info{backend="cpu"} 1');
    } finally {
      await t.close();
    }
  });
});
