import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess, startApiProcess } from './support/api-process';
import { authHeader, tokenFor } from './support/auth';
import { ensureFixtures, readFixtureReference } from './support/fixtures';
import { asMultipart, hugeFirstLayerModel, modByInputGraphModel, repeatVectorModel, tiledGraphModel } from './support/hostile-models';
import { multipart } from './support/multipart';
import { createModel, fixtureFiles, uploadVersion, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Uploads that attack the inference engine (hardening issue, critical and high findings): each is
 * refused with a 422 naming the reason, and serving, readiness and later uploads are untouched.
 */
describe('model uploads that attack the engine (e2e)', () => {
  let t: TestApp;
  let token: string;
  const reference = readFixtureReference('classifier');

  beforeAll(async () => {
    await ensureFixtures();
    // A small output cap, so that the per-request check shows with small models.
    t = await startTestApp({ MAX_OUTPUT_VALUES_PER_REQUEST: '9000', INSPECTION_MAX_MEMORY_MB: '256' });
    token = await tokenFor(t, 'admin');
    await createModel(t, token, 'iris', { task: 'classification' });
    await versionIn(t, token, 'iris', 'production');
    await createModel(t, token, 'hostile');
  }, 120_000);
  afterAll(() => t?.close());

  async function servingIsSound(): Promise<void> {
    const predicted = await t.app.inject({
      method: 'POST',
      url: '/v1/models/iris/predict',
      headers: authHeader(token),
      payload: { instances: reference.inputs },
    });
    expect(predicted.statusCode).toBe(200);
    predicted
      .json()
      .predictions.forEach((row: number[], i: number) => row.forEach((v, j) => expect(v).toBeCloseTo(reference.outputs[i][j], 5)));
    for (const url of ['/health/ready', '/v2/health/ready', '/v2/models/iris/ready']) {
      const ready = await t.app.inject({ method: 'GET', url, headers: authHeader(token) });
      expect({ url, status: ready.statusCode }).toEqual({ url, status: 200 });
    }
  }

  it.each([
    ['Dense(3) + RepeatVector(1.8e8), weights for the Dense only', repeatVectorModel(1.8e8), 'too-much-memory'],
    ['Dense(3) + RepeatVector(1.5e8)', repeatVectorModel(1.5e8), 'too-much-memory'],
    ['Dense(3) + RepeatVector(9e7) (2 GiB per row)', repeatVectorModel(9e7), 'too-much-memory'],
    ['Dense(3) + RepeatVector(1e6): 3,000,000 outputs per row', repeatVectorModel(1e6), 'output-too-large'],
    ['a 20,000-unit first layer and an empty weights manifest', hugeFirstLayerModel(20_000), 'parameter-mismatch'],
    ['a 50,000-unit first layer and an empty weights manifest', hugeFirstLayerModel(50_000), 'parameter-mismatch'],
    ['a graph that tiles each row to 200 M values', tiledGraphModel(50_000_000), /inspection-(crashed|out-of-memory)|run-failed/],
  ])('%s: 422 with a reason, and every other model keeps serving', async (_name, files, reason) => {
    const res = await uploadVersion(t, token, 'hostile', asMultipart(files));
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'INVALID_MODEL_ARTIFACT', reason: expect.stringMatching(reason) });
    expect(res.json().detail.length).toBeLessThan(400);
    await servingIsSound();
  });

  it('later uploads are inspected normally', async () => {
    const res = await uploadVersion(t, token, 'hostile', fixtureFiles('classifier'));
    expect(res.statusCode).toBe(201);
  });

  describe('output values per request are capped before anything runs', () => {
    let version: number;
    beforeAll(async () => {
      // 3 × 1000 = 3,000 output values per row: 3 rows fit MAX_OUTPUT_VALUES_PER_REQUEST=9000, 4 do not.
      const res = await uploadVersion(t, token, 'hostile', asMultipart(repeatVectorModel(1000)));
      expect(res.statusCode).toBe(201);
      version = res.json().version;
    });

    it('v1: rows × outputs over the cap is a 422 OUTPUT_TOO_LARGE naming the rows allowed', async () => {
      const rows = (n: number) => Array.from({ length: n }, () => [1, 2, 3, 4]);
      const url = `/v1/models/hostile/versions/${version}/predict`;
      const ok = await t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: { instances: rows(3) } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().predictions).toHaveLength(3);
      const tooMany = await t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: { instances: rows(4) } });
      expect(tooMany.statusCode).toBe(422);
      expect(tooMany.json()).toMatchObject({ code: 'OUTPUT_TOO_LARGE', maxRows: 3 });
    });

    it('v2: the same cap, as a 400 (invalid inference input on the Open Inference Protocol)', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v2/models/hostile/versions/${version}/infer`,
        headers: authHeader(token),
        payload: { inputs: [{ name: 'dense_a_input', datatype: 'FP32', shape: [10, 4], data: new Array(40).fill(1) }] },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'OUTPUT_TOO_LARGE', maxRows: 3 });
      expect(res.json().error).toBe(res.json().detail);
    });
  });
});

// On the main thread's engine (INFERENCE_THREADS=0): on the pool, a fatal error ends one inference
// thread, which is replaced while the process serves on (test/inference-pool.e2e-spec.ts).
describe('a fatal engine error on the main thread: readiness 503, then the process is replaced (e2e, real process)', () => {
  const admin = { email: `admin-${randomBytes(4).toString('hex')}@modelgate.test`, password: `pw-${randomBytes(12).toString('hex')}` };
  let api: ApiProcess | undefined;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'modelgate-engine-'));
    api = await startApiProcess({
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      PGLITE_DATA_DIR: 'memory',
      TF_BACKEND: 'wasm',
      JWT_SECRET: randomBytes(32).toString('hex'),
      PASSWORD_SCRYPT_COST: '14',
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      INFERENCE_FAILURE_EXIT_DELAY_MS: '1500',
      INFERENCE_THREADS: '0',
    });
  }, 120_000);

  afterAll(async () => {
    await api?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('a request that traps the wasm engine answers 503; all three readiness checks answer 503; the process exits 1', async () => {
    const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });
    const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: BodyInit } = {}) => {
      const res = await fetch(api!.base + path, { method, headers: init.headers, body: init.body });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    };
    const login = json({ email: admin.email, password: admin.password });
    const { body: tokens } = await call('POST', '/v1/auth/login', { headers: { 'content-type': login['content-type'] }, body: login.body });
    const auth = { authorization: `Bearer ${tokens.accessToken as string}` };
    const model = json({ name: 'modulo' });
    expect(
      (await call('POST', '/v1/models', { headers: { ...auth, 'content-type': model['content-type'] }, body: model.body })).status,
    ).toBe(201);
    const upload = await multipart(asMultipart(modByInputGraphModel()));
    const uploaded = await call('POST', '/v1/models/modulo/versions', {
      headers: { ...auth, ...upload.headers },
      body: new Uint8Array(upload.payload),
    });
    expect(uploaded.status).toBe(201);
    const predict = (instances: number[][]) => {
      const body = json({ instances });
      return call('POST', '/v1/models/modulo/versions/1/predict', {
        headers: { ...auth, 'content-type': body['content-type'] },
        body: body.body,
      });
    };
    expect(await predict([[1, 2]])).toMatchObject({ status: 200, body: { predictions: [[1, 1]] } });

    // x = -1 makes the divisor 0: the wasm backend traps ("remainder by zero").
    const trapped = await predict([[-1, -1]]);
    expect(trapped).toMatchObject({ status: 503, body: { code: 'INFERENCE_ENGINE_FAILED' } });
    expect(await predict([[1, 2]])).toMatchObject({ status: 503, body: { code: 'INFERENCE_ENGINE_FAILED' } });
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ code: 'NOT_READY', checks: { inference: { status: 'down' } } });
    expect((await call('GET', '/v2/health/ready')).status).toBe(503);
    expect((await call('GET', '/v2/models/modulo/versions/1/ready', { headers: auth })).status).toBe(503);
    const metrics = await fetch(`${api!.base}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^modelgate_inference_engine_up 0$/m);
    expect(metrics).toMatch(/^modelgate_inference_engine_failures_total 1$/m);

    expect(await api!.exited).toBe(1);
    expect(api!.output()).toContain('inference engine failed');
  }, 60_000);
});
