import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, fixtureFiles, transition, uploadVersion } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * TensorFlow Serving's REST API (tensorflow_serving/g3doc/api_rest.md) on ModelGate's port: the
 * doc's request/response shapes reproduced on the fixture models, the same numbers as v1, TF
 * Serving's `error` and status mapping, and a client written the way TF Serving users write one.
 */

const LABELS = ['setosa', 'versicolor', 'virginica'];
const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const REGRESSION_FEATURES = ['x1', 'x2', 'x3'];
const MAX_ROWS = 5;

function expectClose(actual: number[][], expected: number[][], tolerance = 1e-5) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, r) => {
    expect(row).toHaveLength(expected[r].length);
    row.forEach((v, c) => expect(Math.abs(v - expected[r][c])).toBeLessThanOrEqual(tolerance));
  });
}

describe('TensorFlow Serving REST compatibility (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;
  let inputName: string;
  let outputName: string;
  const classifier = readFixtureReference('classifier');
  const regressor = readFixtureReference('regressor');
  const rows = classifier.inputs.slice(0, 3);
  const expected = classifier.outputs.slice(0, 3);

  beforeAll(async () => {
    t = await startTestApp({ MAX_ROWS_PER_REQUEST: String(MAX_ROWS), SERVING_RESOLVE_TTL_MS: '0' });
    await bootstrapAdmin(t);
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    // iris: v1 production (named features), v2 staging without names; label "champion" → v1.
    await createModel(t, engineer, 'iris', { task: 'classification' });
    const named = await uploadVersion(t, engineer, 'iris', fixtureFiles('classifier'), {
      params: JSON.stringify({ features: IRIS_FEATURES }),
    });
    expect(named.statusCode).toBe(201);
    for (const to of ['staging', 'production']) expect((await transition(t, engineer, 'iris', 1, { to })).statusCode).toBe(200);
    expect((await uploadVersion(t, engineer, 'iris')).statusCode).toBe(201);
    expect((await transition(t, engineer, 'iris', 2, { to: 'staging' })).statusCode).toBe(200);
    const alias = await t.app.inject({
      method: 'PUT',
      url: '/v1/models/iris/aliases/champion',
      headers: authHeader(engineer),
      payload: { version: 1 },
    });
    expect(alias.statusCode).toBe(200);
    // house: a regressor with named features in production.
    await createModel(t, engineer, 'house', { task: 'regression' });
    const reg = await uploadVersion(t, engineer, 'house', fixtureFiles('regressor'), {
      params: JSON.stringify({ features: REGRESSION_FEATURES }),
    });
    expect(reg.statusCode).toBe(201);
    for (const to of ['staging', 'production']) expect((await transition(t, engineer, 'house', 1, { to })).statusCode).toBe(200);
    const meta = (await t.app.inject({ method: 'GET', url: '/v2/models/iris', headers: authHeader(consumer) })).json();
    inputName = meta.inputs[0].name;
    outputName = meta.outputs[0].name;
  });
  afterAll(() => t?.close());

  const post = (url: string, payload: unknown, token = consumer) =>
    t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: payload as object });
  const get = (url: string, token = consumer) => t.app.inject({ method: 'GET', url, headers: authHeader(token) });

  describe(':predict', () => {
    it('row format: {instances} → {predictions}, the same numbers as v1 predict', async () => {
      const tf = await post('/v1/models/iris:predict', { instances: rows });
      expect(tf.statusCode).toBe(200);
      expect(Object.keys(tf.json())).toEqual(['predictions']);
      expectClose(tf.json().predictions, expected);
      const v1 = await post('/v1/models/iris/predict', { instances: rows });
      expect(v1.statusCode).toBe(200);
      expect(tf.json().predictions).toEqual(v1.json().predictions);
    });

    it('keeps the v1 headers: the version, Server-Timing', async () => {
      const res = await post('/v1/models/iris:predict', { instances: rows });
      expect(res.headers['x-model-version']).toBe('1');
      expect(res.headers['server-timing']).toMatch(/^queue;dur=[\d.]+, compute;dur=[\d.]+, batch;desc="rows=\d+"$/);
    });

    it('columnar format: {inputs: tensor} and {inputs: {<input>: tensor}} → {outputs}', async () => {
      for (const inputs of [rows, { [inputName]: rows }]) {
        const res = await post('/v1/models/iris:predict', { inputs });
        expect(res.statusCode).toBe(200);
        expect(Object.keys(res.json())).toEqual(['outputs']);
        expectClose(res.json().outputs, expected);
      }
    });

    it("row objects keyed by the input name (the doc's list-of-objects) and by feature names", async () => {
      const byInput = await post('/v1/models/iris:predict', { instances: rows.map((row) => ({ [inputName]: row })) });
      expect(byInput.statusCode).toBe(200);
      expectClose(byInput.json().predictions, expected);
      const byFeature = await post('/v1/models/iris:predict', {
        instances: rows.map((row) => Object.fromEntries(IRIS_FEATURES.map((f, i) => [f, row[i]]))),
      });
      expect(byFeature.statusCode).toBe(200);
      expectClose(byFeature.json().predictions, expected);
    });

    it('accepts signature_name "serving_default"; a version; a label (an alias)', async () => {
      for (const url of ['/v1/models/iris:predict', '/v1/models/iris/versions/2:predict', '/v1/models/iris/labels/champion:predict']) {
        const res = await post(url, { signature_name: 'serving_default', instances: rows }, engineer);
        expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
        expectClose(res.json().predictions, expected);
      }
      expect((await post('/v1/models/iris/versions/2:predict', { instances: rows }, engineer)).headers['x-model-version']).toBe('2');
      expect((await post('/v1/models/iris/labels/champion:predict', { instances: rows })).headers['x-model-version']).toBe('1');
    });

    it("the doc's example shape: a regressor answers one value per instance", async () => {
      const res = await post('/v1/models/house:predict', { instances: regressor.inputs.slice(0, 2) });
      expect(res.statusCode).toBe(200);
      expectClose(res.json().predictions, regressor.outputs.slice(0, 2));
    });

    it('leaves /v1/models/{name}/predict and the model resource as they were', async () => {
      expect((await post('/v1/models/iris/predict', { instances: rows })).json()).toEqual(
        expect.objectContaining({ model: 'iris', version: 1 }),
      );
      expect((await get('/v1/models/iris')).json()).toEqual(expect.objectContaining({ name: 'iris' }));
    });
  });

  describe("errors: `error` equals `detail`, TF Serving's statuses", () => {
    const row = rows[0];
    it.each([
      [
        'an unknown signature',
        '/v1/models/iris:predict',
        { signature_name: 'predict_images', instances: [row] },
        400,
        /signature_name|predict_images/,
      ],
      ['instances and inputs together', '/v1/models/iris:predict', { instances: [row], inputs: [row] }, 400, /either/],
      ['neither instances nor inputs', '/v1/models/iris:predict', {}, 400, /either/],
      ['an unknown body member', '/v1/models/iris:predict', { instances: [row], extra: 1 }, 400, /extra/],
      ['a row of the wrong width (422 on v1)', '/v1/models/iris:predict', { instances: [[1, 2, 3]] }, 400, /.+/],
      ['no rows', '/v1/models/iris:predict', { instances: [] }, 400, /.+/],
      ['more rows than allowed', '/v1/models/iris:predict', { instances: Array.from({ length: MAX_ROWS + 1 }, () => row) }, 400, /.+/],
      ['an input name the model does not take', '/v1/models/iris:predict', { inputs: { nope: [row] } }, 400, /nope|inputs/],
      ["an unknown model (the doc's example)", '/v1/models/half:predict', { instances: [1.0, 5.0] }, 404, /half/],
      ['an unknown version', '/v1/models/iris/versions/9:predict', { instances: [row] }, 404, /9/],
      ['an unknown label', '/v1/models/iris/labels/ghost:predict', { instances: [row] }, 404, /ghost/],
      ['a bad version number', '/v1/models/iris/versions/x:predict', { instances: [row] }, 400, /version/],
    ])('%s', async (_, url, body, status, message) => {
      const res = await post(url, body);
      expect({ status: res.statusCode, contentType: res.headers['content-type'] }).toEqual({
        status,
        contentType: expect.stringMatching(/problem\+json/),
      });
      const problem = res.json();
      expect(problem.error).toBe(problem.detail);
      expect(problem.error).toMatch(message);
      expect(problem.status).toBe(status);
    });

    it('a draft for a consumer, no credentials: `error` too', async () => {
      const auth = await t.app.inject({ method: 'POST', url: '/v1/models/iris:predict', payload: { instances: [rows[0]] } });
      expect(auth.statusCode).toBe(401);
      expect(auth.json().error).toBe(auth.json().detail);
    });

    it('malformed JSON: 400 with `error`', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/models/iris:predict',
        headers: { ...authHeader(consumer), 'content-type': 'application/json' },
        payload: '{"instances": [[1, 2,',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe(res.json().detail);
    });

    it('v1 predict keeps its 422 without `error`', async () => {
      const res = await post('/v1/models/iris/predict', { instances: [[1, 2, 3]] });
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toBeUndefined();
    });
  });

  describe('/metadata', () => {
    it('answers GetModelMetadataResponse for production and for a version', async () => {
      for (const [url, version] of [
        ['/v1/models/iris/metadata', '1'],
        ['/v1/models/iris/versions/2/metadata', '2'],
      ]) {
        const res = await get(url, engineer);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({
          model_spec: { name: 'iris', version, signature_name: 'serving_default' },
          metadata: {
            signature_def: {
              signature_def: {
                serving_default: {
                  inputs: {
                    [inputName]: {
                      dtype: 'DT_FLOAT',
                      tensor_shape: {
                        dim: [
                          { size: '-1', name: '' },
                          { size: '4', name: '' },
                        ],
                        unknown_rank: false,
                      },
                      name: `${inputName}:0`,
                    },
                  },
                  outputs: {
                    [outputName]: {
                      dtype: 'DT_FLOAT',
                      tensor_shape: {
                        dim: [
                          { size: '-1', name: '' },
                          { size: '3', name: '' },
                        ],
                        unknown_rank: false,
                      },
                      name: `${outputName}:0`,
                    },
                  },
                  method_name: 'tensorflow/serving/predict',
                },
              },
            },
          },
        });
      }
    });

    it('404 with `error` for an unknown model or version', async () => {
      for (const url of ['/v1/models/nope/metadata', '/v1/models/iris/versions/9/metadata']) {
        const res = await get(url);
        expect(res.statusCode).toBe(404);
        expect(res.json().error).toBe(res.json().detail);
      }
    });
  });

  describe(':classify and :regress (versions with named features)', () => {
    const examples = rows.map((row) => Object.fromEntries(IRIS_FEATURES.map((f, i) => [f, row[i]])));

    it(':classify → {results: [[[label, score], ...], ...]}, the v1 scores', async () => {
      for (const url of ['/v1/models/iris:classify', '/v1/models/iris/versions/1:classify', '/v1/models/iris/labels/champion:classify']) {
        const res = await post(url, { examples });
        expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
        const results = res.json().results as [string, number][][];
        expect(results.map((pairs) => pairs.map(([label]) => label))).toEqual(rows.map(() => LABELS));
        expectClose(
          results.map((pairs) => pairs.map(([, score]) => score)),
          expected,
        );
      }
    });

    it('merges context into every example; a feature in both is a 400', async () => {
      const [first, ...rest] = IRIS_FEATURES;
      const shared = { [first]: rows[0][0] };
      const res = await post('/v1/models/iris:classify', {
        signature_name: 'tensorflow/serving/classify',
        context: shared,
        examples: [Object.fromEntries(rest.map((f, i) => [f, rows[0][i + 1]]))],
      });
      expect(res.statusCode).toBe(200);
      expectClose([res.json().results[0].map(([, s]: [string, number]) => s)], [expected[0]]);
      const clash = await post('/v1/models/iris:classify', { context: shared, examples: [examples[0]] });
      expect(clash.statusCode).toBe(400);
      expect(clash.json().error).toMatch(/context/);
    });

    it(":regress → {results: [number, ...]} (the doc's example, with its signature name)", async () => {
      const res = await post('/v1/models/house:regress', {
        signature_name: 'tensorflow/serving/regress',
        examples: regressor.inputs.slice(0, 2).map((row) => Object.fromEntries(REGRESSION_FEATURES.map((f, i) => [f, row[i]]))),
      });
      expect(res.statusCode).toBe(200);
      expect(Object.keys(res.json())).toEqual(['results']);
      expectClose(
        res.json().results.map((v: number) => [v]),
        regressor.outputs.slice(0, 2),
      );
      const v1 = await post('/v1/models/house/versions/1:regress', { examples: [{ x1: 1, x2: 2, x3: 3 }] });
      expect(v1.statusCode).toBe(200);
      expect(v1.json().results).toHaveLength(1);
    });

    it.each([
      ['a version without named features', '/v1/models/iris/versions/2:classify', { examples }, /does not name its features/],
      ['regress on a classifier', '/v1/models/iris:regress', { examples }, /values per example/],
      ['a missing feature', '/v1/models/iris:classify', { examples: [{ sepal_length: 1 }] }, /sepal_width/],
      ['examples that are not objects', '/v1/models/iris:classify', { examples: [[1, 2, 3, 4]] }, /examples/],
      ['an unknown signature', '/v1/models/house:regress', { signature_name: 'tensorflow/serving/classify', examples: [] }, /signature/],
    ])('%s → 400 with `error`', async (_, url, body, message) => {
      const res = await post(url, body, engineer);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toBe(res.json().detail);
      expect(JSON.stringify(res.json())).toMatch(message);
    });
  });

  describe('a TF Serving client, as its users write one', () => {
    let base: string;
    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.getHttpServer().address() as { port: number };
      base = `http://127.0.0.1:${port}`;
    });

    // What a team had against TF Serving, with the host changed and a bearer token added.
    async function tfPredict(model: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
      const res = await fetch(`${base}/v1/models/${model}:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${consumer}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    }

    it('reads `predictions` from {"instances": [...]} and `outputs` from {"inputs": {...}}', async () => {
      const row = await tfPredict('iris', { instances: rows });
      expect(row.status).toBe(200);
      expectClose(row.json.predictions as number[][], expected);
      const columnar = await tfPredict('iris', { signature_name: 'serving_default', inputs: { [inputName]: rows } });
      expect(columnar.status).toBe(200);
      expectClose(columnar.json.outputs as number[][], expected);
    });

    it('reads `error` when something is wrong', async () => {
      const missing = await tfPredict('half', { instances: [1.0, 5.0] });
      expect(missing.status).toBe(404);
      expect(typeof missing.json.error).toBe('string');
      const bad = await tfPredict('iris', { instances: [[1, 2]] });
      expect(bad.status).toBe(400);
      expect(typeof bad.json.error).toBe('string');
    });
  });
});
