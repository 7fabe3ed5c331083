import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, fixtureFiles, transition, uploadVersion, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The Open Inference Protocol as KServe and Triton clients expect it: invalid input is a 400 with
 * `error`, `versions` lists what the caller may request, and the classification and statistics
 * extensions (Triton's definitions), listed by `GET /v2`.
 */

const LABELS = ['setosa', 'versicolor', 'virginica'];
const MAX_ROWS = 5;

interface StatDuration {
  count: number;
  ns: number;
}
interface ModelStats {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: { success: StatDuration; fail: StatDuration; queue: StatDuration; compute_infer: StatDuration };
}

describe('Open Inference Protocol: errors, versions and extensions (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;
  let inputName: string;
  let outputName: string;
  const reference = readFixtureReference('classifier');

  beforeAll(async () => {
    t = await startTestApp({ MAX_ROWS_PER_REQUEST: String(MAX_ROWS), SERVING_RESOLVE_TTL_MS: '0' });
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
    const meta = (await get('/v2/models/iris')).json();
    inputName = meta.inputs[0].name;
    outputName = meta.outputs[0].name;
  });
  afterAll(() => t?.close());

  const get = (url: string, token: string | null = consumer) =>
    t.app.inject({ method: 'GET', url, headers: token === null ? {} : authHeader(token) });
  const post = (url: string, payload: unknown, token = consumer) =>
    t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: payload as object });
  const tensor = (rows: number[][], extra: Record<string, unknown> = {}) => ({
    name: inputName,
    shape: [rows.length, 4],
    datatype: 'FP32',
    data: rows.flat(),
    ...extra,
  });

  it('GET /v2 lists the extensions it implements', async () => {
    const res = await get('/v2');
    expect(res.statusCode).toBe(200);
    expect(res.json().extensions).toEqual(['classification', 'statistics', 'binary_tensor_data']);
  });

  describe('invalid inference input: 400 with `error` on v2 (v1 keeps 422)', () => {
    const row = [5.1, 3.5, 1.4, 0.2];
    const tooMany = Array.from({ length: MAX_ROWS + 1 }, () => row);
    it.each([
      ['shape/data mismatch', () => ({ inputs: [{ ...tensor([row]), shape: [2, 4] }] }), 'VALIDATION_FAILED', /needs 8/],
      [
        'a shape the model does not take',
        () => ({ inputs: [{ ...tensor([row]), shape: [1, 5], data: [...row, 1] }] }),
        'VALIDATION_FAILED',
        /expects shape/,
      ],
      ['an unknown input name', () => ({ inputs: [{ ...tensor([row]), name: 'nope' }] }), 'VALIDATION_FAILED', /exactly one input named/],
      [
        'an unknown output name',
        () => ({ inputs: [tensor([row])], outputs: [{ name: 'nope' }] }),
        'VALIDATION_FAILED',
        /unknown output "nope"/,
      ],
      [
        'an unknown datatype',
        () => ({ inputs: [{ ...tensor([row]), datatype: 'FP128' }] }),
        'VALIDATION_FAILED',
        /datatype FP128 is not supported/,
      ],
      [
        'a value of the wrong type',
        () => ({ inputs: [{ ...tensor([row]), data: [5.1, 'x', 1.4, 0.2] }] }),
        'VALIDATION_FAILED',
        /finite number/,
      ],
      [
        'an integer datatype with a fraction',
        () => ({ inputs: [{ ...tensor([row]), datatype: 'INT32' }] }),
        'VALIDATION_FAILED',
        /integer/,
      ],
      ['too many rows', () => ({ inputs: [tensor(tooMany)] }), 'VALIDATION_FAILED', /Too many rows \(6 > 5\)/],
      ['no inputs', () => ({ inputs: [] }), 'VALIDATION_FAILED', /at least one tensor/],
    ])('%s', async (_case, payload, code, detail) => {
      for (const url of ['/v2/models/iris/infer', '/v2/models/iris/versions/1/infer']) {
        const res = await post(url, payload());
        expect({ url, status: res.statusCode }).toEqual({ url, status: 400 });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const body = res.json();
        expect(body).toMatchObject({ status: 400, code, title: 'Bad Request', instance: url, requestId: expect.any(String) });
        expect(body.detail).toMatch(detail);
        expect(body.error).toBe(body.detail);
      }
    });

    it('v1 answers the same kinds of input with 422 and no `error` member', async () => {
      for (const instances of [[[1, 2, 3]], [[5.1, 'x', 1.4, 0.2]], tooMany]) {
        const res = await post('/v1/models/iris/predict', { instances });
        expect(res.statusCode).toBe(422);
        expect(res.json().error).toBeUndefined();
      }
    });
  });

  describe('versions: only what the caller may request', () => {
    let staging: number;
    let draft: number;
    let retired: number;

    beforeAll(async () => {
      await createModel(t, engineer, 'listed', { task: 'classification' });
      await versionIn(t, engineer, 'listed', 'production');
      retired = await versionIn(t, engineer, 'listed', 'staging');
      expect((await transition(t, admin, 'listed', retired, { to: 'retired' })).statusCode).toBe(200);
      staging = await versionIn(t, engineer, 'listed', 'staging');
      draft = await versionIn(t, engineer, 'listed', 'draft');
    });

    it('a consumer sees the production and staging versions: no draft, no retired version', async () => {
      for (const url of ['/v2/models/listed', `/v2/models/listed/versions/${staging}`]) {
        const res = await get(url);
        expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
        expect(res.json().versions).toEqual([String(staging), '1']);
      }
    });

    it('an ml-engineer (who may call drafts) sees the draft too; nobody sees the retired one', async () => {
      for (const token of [engineer, admin]) {
        const res = await get(`/v2/models/listed/versions/${draft}`, token);
        expect(res.statusCode).toBe(200);
        expect(res.json().versions).toEqual([String(draft), String(staging), '1']);
        expect(res.json().versions).not.toContain(String(retired));
      }
      expect((await get(`/v2/models/listed/versions/${draft}`)).statusCode).toBe(403);
      expect((await get(`/v2/models/listed/versions/${retired}`, engineer)).statusCode).toBe(410);
    });
  });

  describe('classification extension', () => {
    const rows = reference.inputs.slice(0, 4);
    const ENTRY = /^(-?\d+(?:\.\d+)?(?:e[+-]\d+)?):(\d+)(?::(.*))?$/;

    const classify = async (url: string, k: unknown, token = consumer) =>
      post(url, { inputs: [tensor(rows)], outputs: [{ name: outputName, parameters: { classification: k } }] }, token);

    it('answers the top k classes as BYTES [rows, k] "<score>:<index>:<label>", highest first, equal to tfjs', async () => {
      for (const k of [1, 2, 3]) {
        const res = await classify('/v2/models/iris/infer', k);
        expect(res.statusCode).toBe(200);
        const [output] = res.json().outputs;
        expect(output).toEqual({ name: outputName, datatype: 'BYTES', shape: [rows.length, k], data: expect.any(Array) });
        expect(output.data).toHaveLength(rows.length * k);
        rows.forEach((_, r) => {
          const expected = reference.outputs[r]
            .map((score, index) => ({ score, index }))
            .sort((a, b) => b.score - a.score)
            .slice(0, k);
          const got = (output.data as string[]).slice(r * k, (r + 1) * k).map((entry) => {
            const match = ENTRY.exec(entry);
            expect(match).not.toBeNull();
            // At least 6 significant digits: the digits of the mantissa, not counting leading zeros.
            expect(
              match![1]
                .replace(/e.*$/, '')
                .replace(/^-?0*\.?0*/, '')
                .replace('.', '').length,
            ).toBeGreaterThanOrEqual(6);
            return { score: Number(match![1]), index: Number(match![2]), label: match![3] };
          });
          expect(got.map((g) => g.index)).toEqual(expected.map((e) => e.index));
          expect(got.map((g) => g.label)).toEqual(expected.map((e) => LABELS[e.index]));
          got.forEach((g, j) => expect(Math.abs(g.score - expected[j].score)).toBeLessThanOrEqual(1e-5));
        });
      }
    });

    it('answers "<score>:<index>" for a version without labels', async () => {
      await createModel(t, engineer, 'unlabelled');
      const files = fixtureFiles('classifier').filter((f) => f.filename !== 'labels.json');
      const upload = await uploadVersion(t, engineer, 'unlabelled', files);
      expect(upload.statusCode).toBe(201);
      const version = upload.json().version;
      const res = await classify(`/v2/models/unlabelled/versions/${version}/infer`, 2, engineer);
      expect(res.statusCode).toBe(200);
      const data = res.json().outputs[0].data as string[];
      expect(data).toHaveLength(rows.length * 2);
      for (const entry of data) expect(entry).toMatch(/^\d+\.\d+(e[+-]\d+)?:[0-2]$/);
    });

    it.each([
      ['0', 0],
      ['more than the classes', 4],
      ['a fraction', 1.5],
      ['a string', '2'],
    ])('refuses classification %s with a 400 naming the range', async (_case, k) => {
      const res = await classify('/v2/models/iris/infer', k);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'outputs[0].parameters.classification' }] });
      expect(res.json().error).toMatch(/classification must be an integer from 1 to 3/);
    });

    it('leaves the tensor as it is without the parameter', async () => {
      const res = await post('/v2/models/iris/infer', { inputs: [tensor(rows)], outputs: [{ name: outputName }] });
      expect(res.statusCode).toBe(200);
      expect(res.json().outputs[0]).toMatchObject({ datatype: 'FP32', shape: [rows.length, 3] });
    });
  });

  describe('statistics extension', () => {
    let draft: number;

    beforeAll(async () => {
      await createModel(t, engineer, 'counted', { task: 'classification' });
      await versionIn(t, engineer, 'counted', 'production');
      draft = await versionIn(t, engineer, 'counted', 'draft');
      const rows = reference.inputs;
      // Sequential: each request runs in a batch of its own.
      expect((await post('/v1/models/counted/predict', { instances: rows.slice(0, 2) })).statusCode).toBe(200);
      expect((await post('/v2/models/counted/infer', { inputs: [tensor(rows.slice(0, 3))] })).statusCode).toBe(200);
      expect((await post('/v1/models/counted/versions/1/predict', { instances: rows.slice(0, 1) })).statusCode).toBe(200);
      expect((await post('/v2/models/counted/infer', { inputs: [{ ...tensor(rows.slice(0, 1)), shape: [1, 5] }] })).statusCode).toBe(400);
      expect((await post('/v1/models/counted/predict', { instances: [[1, 2]] })).statusCode).toBe(422);
    });

    const expectCounted = (entry: ModelStats) => {
      expect(entry).toEqual({
        name: 'counted',
        version: '1',
        last_inference: expect.any(Number),
        inference_count: 6,
        execution_count: 3,
        inference_stats: {
          success: { count: 3, ns: expect.any(Number) },
          fail: { count: 2, ns: expect.any(Number) },
          queue: { count: 3, ns: expect.any(Number) },
          compute_infer: { count: 3, ns: expect.any(Number) },
        },
      });
      expect(entry.last_inference).toBeGreaterThan(Date.parse('2020-01-01'));
      expect(entry.last_inference).toBeLessThanOrEqual(Date.now());
      expect(entry.inference_stats.success.ns).toBeGreaterThan(0);
      expect(entry.inference_stats.fail.ns).toBeGreaterThan(0);
      expect(entry.inference_stats.compute_infer.ns).toBeGreaterThan(0);
      expect(Number.isInteger(entry.inference_stats.queue.ns)).toBe(true);
    };

    it('GET /v2/models/{name}/versions/{version}/stats: rows, batches, and success/fail/queue/compute (v1 and v2 calls)', async () => {
      const res = await get('/v2/models/counted/versions/1/stats');
      expect(res.statusCode).toBe(200);
      const body = res.json() as { model_stats: ModelStats[] };
      expect(body.model_stats).toHaveLength(1);
      expectCounted(body.model_stats[0]);
    });

    it('GET /v2/models/{name}/stats: each version the caller may request, zeros for one not called', async () => {
      const asConsumer = (await get('/v2/models/counted/stats')).json() as { model_stats: ModelStats[] };
      expect(asConsumer.model_stats.map((s) => s.version)).toEqual(['1']);
      expectCounted(asConsumer.model_stats[0]);
      const asEngineer = (await get('/v2/models/counted/stats', engineer)).json() as { model_stats: ModelStats[] };
      expect(asEngineer.model_stats.map((s) => s.version)).toEqual([String(draft), '1']);
      expect(asEngineer.model_stats[0]).toEqual({
        name: 'counted',
        version: String(draft),
        last_inference: 0,
        inference_count: 0,
        execution_count: 0,
        inference_stats: {
          success: { count: 0, ns: 0 },
          fail: { count: 0, ns: 0 },
          queue: { count: 0, ns: 0 },
          compute_infer: { count: 0, ns: 0 },
        },
      });
    });

    it('GET /v2/models/stats: every version that served on this replica (not captured by /v2/models/{name})', async () => {
      // A model may even be called "stats": the statistics route still answers.
      await createModel(t, engineer, 'stats');
      const res = await get('/v2/models/stats');
      expect(res.statusCode).toBe(200);
      const body = res.json() as { model_stats: ModelStats[] };
      expect(Object.keys(body)).toEqual(['model_stats']);
      expect(body.model_stats.map((s) => `${s.name}/${s.version}`)).toEqual(expect.arrayContaining(['counted/1', 'iris/1']));
      expect(body.model_stats.some((s) => s.name === 'stats')).toBe(false);
      expectCounted(body.model_stats.find((s) => s.name === 'counted')!);
    });

    it('needs a caller, answers 404 for an unknown model or version, and applies the lifecycle rules', async () => {
      expect((await get('/v2/models/stats', null)).statusCode).toBe(401);
      expect((await get('/v2/models/counted/stats', null)).statusCode).toBe(401);
      const unknown = await get('/v2/models/nope/stats');
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ code: 'MODEL_NOT_FOUND', error: unknown.json().detail });
      expect((await get('/v2/models/counted/versions/99/stats')).json()).toMatchObject({ status: 404, code: 'MODEL_VERSION_NOT_FOUND' });
      expect((await get(`/v2/models/counted/versions/${draft}/stats`)).statusCode).toBe(403);
      expect((await get(`/v2/models/counted/versions/${draft}/stats`, engineer)).statusCode).toBe(200);
      expect((await get('/v2/models/counted/versions/x/stats')).statusCode).toBe(400);
    });
  });
});
