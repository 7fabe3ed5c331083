import { DataSource } from 'typeorm';
import { MetricsRegistry } from '@app/common';
import { ModelCache } from '@app/inference';
import { ServingWarmup } from '@app/predictions';
import { apiKeyFor, apiKeyHeader, authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, fixtureFiles, transition, uploadVersion, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

const LABELS = ['setosa', 'versicolor', 'virginica'];
const argmax = (row: number[]) => row.reduce((best, v, i) => (v > row[best] ? i : best), 0);

function expectClose(actual: number[][], expected: number[][], tolerance = 1e-5) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, r) => {
    expect(row.length).toBe(expected[r].length);
    row.forEach((v, c) => expect(Math.abs(v - expected[r][c])).toBeLessThanOrEqual(tolerance));
  });
}

describe('serving: v1 predict and v2 Open Inference Protocol (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;
  let consumerKey: string;
  const reference = readFixtureReference('classifier');

  beforeAll(async () => {
    t = await startTestApp({ MAX_ROWS_PER_REQUEST: '50', SERVING_RESOLVE_TTL_MS: '0' });
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    consumerKey = await apiKeyFor(t, 'consumer');
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
  });
  afterAll(() => t?.close());

  const predict = (url: string, payload: unknown, headers: Record<string, string> = authHeader(consumer)) =>
    t.app.inject({ method: 'POST', url, headers, payload: payload as object });

  describe('v1', () => {
    it("answers with the production version, equal to tfjs's own output, with labels and X-Model-Version", async () => {
      const res = await predict('/v1/models/iris/predict', { instances: reference.inputs });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-model-version']).toBe('1');
      const body = res.json();
      expect(body.model).toBe('iris');
      expect(body.version).toBe(1);
      expectClose(body.predictions, reference.outputs);
      expect(body.labels).toEqual(reference.outputs.map((row) => LABELS[argmax(row)]));
    });

    it('serves a given version and an alias, and accepts API keys', async () => {
      const alias = await t.app.inject({
        method: 'PUT',
        url: '/v1/models/iris/aliases/champion',
        headers: authHeader(engineer),
        payload: { version: 1 },
      });
      expect(alias.statusCode).toBe(200);
      for (const url of [
        '/v1/models/iris/versions/1/predict',
        '/v1/models/iris/aliases/champion/predict',
        '/v1/models/iris/aliases/production/predict',
      ]) {
        const res = await predict(url, { instances: [reference.inputs[0]] }, apiKeyHeader(consumerKey));
        expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
        expectClose(res.json().predictions, [reference.outputs[0]]);
      }
    });

    it('needs credentials', async () => {
      const res = await predict('/v1/models/iris/predict', { instances: [reference.inputs[0]] }, {});
      expect(res.statusCode).toBe(401);
    });

    it.each([
      ['wrong row length', { instances: [[1, 2, 3]] }, /expected shape \[-1, 4\]/],
      ['a non-number', { instances: [[1, 2, 'x', 4]] }, /expected shape/],
      ['empty instances', { instances: [] }, /no rows/i],
      ['missing instances', {}, /not a list of rows/],
      ['too many rows', { instances: Array.from({ length: 51 }, () => [1, 2, 3, 4]) }, /Too many rows \(51 > 50\)/],
      ['a nested object without named features', { instances: [{ a: 1 }] }, /expected shape/],
    ])('refuses %s with a 422 problem naming the expected shape', async (_case, payload, detail) => {
      const res = await predict('/v1/models/iris/predict', payload);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail).toMatch(detail);
      expect(res.json().errors.length).toBeGreaterThan(0);
    });

    it('refuses non-finite numbers (1e400 parses as Infinity)', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        headers: { ...authHeader(consumer), 'content-type': 'application/json' },
        payload: '{"instances": [[1, 2, 1e400, 4]]}',
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors[0].field).toMatch(/instances\[0\]/);
    });

    it('accepts rows keyed by feature name when the version names its features', async () => {
      const features = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
      await createModel(t, engineer, 'named');
      const up = await uploadVersion(t, engineer, 'named', fixtureFiles('classifier'), { params: JSON.stringify({ features }) });
      expect(up.statusCode).toBe(201);
      const url = `/v1/models/named/versions/${up.json().version}/predict`;
      const keyed = reference.inputs.slice(0, 2).map((row) => Object.fromEntries(features.map((f, i) => [f, row[i]])));
      const res = await predict(url, { instances: keyed }, authHeader(engineer));
      expect(res.statusCode).toBe(200);
      expectClose(res.json().predictions, reference.outputs.slice(0, 2));
      const missing = await predict(url, { instances: [{ sepal_length: 1 }] }, authHeader(engineer));
      expect(missing.statusCode).toBe(422);
      expect(JSON.stringify(missing.json().errors)).toMatch(/sepal_width/);
    });

    it('answers 404 problems for unknown models, versions and aliases', async () => {
      expect((await predict('/v1/models/nope/predict', { instances: [[1, 2, 3, 4]] })).statusCode).toBe(404);
      expect((await predict('/v1/models/iris/versions/99/predict', { instances: [[1, 2, 3, 4]] })).statusCode).toBe(404);
      expect((await predict('/v1/models/iris/aliases/ghost/predict', { instances: [[1, 2, 3, 4]] })).statusCode).toBe(404);
    });

    it('answers 400 validation problems naming bad path parameters, as every other route does', async () => {
      const cases: [string, string][] = [
        ['/v1/models/Not_A_Name!/predict', 'name'],
        ['/v1/models/iris/versions/0/predict', 'version'],
        ['/v1/models/iris/versions/1.5/predict', 'version'],
        ['/v1/models/iris/versions/abc/predict', 'version'],
        ['/v1/models/iris/aliases/-bad/predict', 'alias'],
        ['/v2/models/iris/versions/-1/infer', 'version'],
      ];
      for (const [url, field] of cases) {
        const res = await predict(url, { instances: [[1, 2, 3, 4]] });
        expect({ url, status: res.statusCode, type: res.headers['content-type'] }).toEqual({
          url,
          status: 400,
          type: expect.stringContaining('application/problem+json'),
        });
        expect(res.json().code).toBe('VALIDATION_FAILED');
        expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      // The same rules as the registry's routes (which run the global ValidationPipe).
      const registry = await t.app.inject({ method: 'GET', url: '/v1/models/iris/versions/0', headers: authHeader(consumer) });
      const lean = await predict('/v1/models/iris/versions/0/predict', { instances: [[1, 2, 3, 4]] });
      expect(lean.json().errors).toEqual(registry.json().errors);
    });

    it('sends the security headers, request id and rate-limit headers on predict answers too', async () => {
      const res = await predict(
        '/v1/models/iris/predict',
        { instances: [[5.1, 3.5, 1.4, 0.2]] },
        { ...authHeader(consumer), 'x-request-id': 'lean-route-check' },
      );
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-request-id']).toBe('lean-route-check');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-ratelimit-limit']).toBeDefined();
    });
  });

  describe('v2 (Open Inference Protocol)', () => {
    let inputName: string;

    it('serves server metadata with the backend, and health', async () => {
      const meta = await t.app.inject({ method: 'GET', url: '/v2', headers: authHeader(consumer) });
      expect(meta.statusCode).toBe(200);
      expect(meta.json()).toEqual({
        name: 'modelgate',
        version: expect.any(String),
        extensions: ['classification', 'statistics', 'binary_tensor_data'],
        backend: expect.stringMatching(/^(tensorflow|wasm|cpu)$/),
      });
      expect((await t.app.inject({ method: 'GET', url: '/v2/health/live' })).json()).toEqual({ live: true });
      expect((await t.app.inject({ method: 'GET', url: '/v2/health/ready' })).json()).toEqual({ ready: true });
    });

    it('serves model metadata and readiness', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v2/models/iris', headers: authHeader(consumer) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({
        name: 'iris',
        versions: ['1'],
        platform: 'tensorflowjs_layers',
        inputs: [{ name: expect.any(String), datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: expect.any(String), datatype: 'FP32', shape: [-1, 3] }],
      });
      inputName = body.inputs[0].name;
      const versioned = await t.app.inject({ method: 'GET', url: '/v2/models/iris/versions/1', headers: authHeader(consumer) });
      expect(versioned.json()).toEqual(body);
      for (const url of ['/v2/models/iris/ready', '/v2/models/iris/versions/1/ready']) {
        const ready = await t.app.inject({ method: 'GET', url, headers: authHeader(consumer) });
        expect(ready.statusCode).toBe(200);
        expect(ready.json()).toEqual({ name: 'iris', version: '1', ready: true });
      }
    });

    it('infers with flat and nested data and agrees with v1 on the same input', async () => {
      const rows = reference.inputs.slice(0, 4);
      const v1 = (await predict('/v1/models/iris/predict', { instances: rows })).json();
      const flat = await predict('/v2/models/iris/infer', {
        id: 'req-1',
        inputs: [{ name: inputName, shape: [4, 4], datatype: 'FP32', data: rows.flat() }],
      });
      expect(flat.statusCode).toBe(200);
      const body = flat.json();
      expect(body).toEqual({
        model_name: 'iris',
        model_version: '1',
        id: 'req-1',
        outputs: [{ name: expect.any(String), shape: [4, 3], datatype: 'FP32', data: expect.any(Array) }],
      });
      expectClose([body.outputs[0].data], [v1.predictions.flat()]);
      const nested = await predict('/v2/models/iris/versions/1/infer', {
        inputs: [{ name: inputName, shape: [4, 4], datatype: 'FP64', data: rows }],
      });
      expect(nested.statusCode).toBe(200);
      expect(nested.json().outputs[0].data).toEqual(body.outputs[0].data);
      expect(nested.json().id).toEqual(expect.any(String));
    });

    it('accepts integer and boolean datatypes', async () => {
      for (const [datatype, data] of [
        ['INT32', [5, 3, 1, 0]],
        ['INT64', [6, 3, 5, 2]],
        ['BOOL', [true, false, true, false]],
      ] as const) {
        const res = await predict('/v2/models/iris/infer', { inputs: [{ name: inputName, shape: [1, 4], datatype, data }] });
        expect({ datatype, status: res.statusCode }).toEqual({ datatype, status: 200 });
        expect(res.json().outputs[0].shape).toEqual([1, 3]);
      }
    });

    it('answers protocol errors as 400 problems (as KServe and Triton do) that also carry `error`', async () => {
      const cases = [
        { inputs: [{ name: 'wrong', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        { inputs: [{ name: inputName, shape: [1, 5], datatype: 'FP32', data: [1, 2, 3, 4, 5] }] },
        { inputs: [{ name: inputName, shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        { inputs: [{ name: inputName, shape: [1, 4], datatype: 'BYTES', data: ['a', 'b', 'c', 'd'] }] },
        { inputs: [] },
      ];
      for (const payload of cases) {
        const res = await predict('/v2/models/iris/infer', payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toEqual(res.json().detail);
      }
    });
  });

  describe('lifecycle on the request path', () => {
    it('limits drafts to ml-engineers and admins', async () => {
      await createModel(t, engineer, 'drafty');
      const v = (await uploadVersion(t, engineer, 'drafty')).json().version;
      const url = `/v1/models/drafty/versions/${v}/predict`;
      expect((await predict(url, { instances: [[1, 2, 3, 4]] })).statusCode).toBe(403);
      expect((await predict(url, { instances: [[1, 2, 3, 4]] }, authHeader(engineer))).statusCode).toBe(200);
      expect((await predict(url, { instances: [[1, 2, 3, 4]] }, authHeader(admin))).statusCode).toBe(200);
    });

    it('sends Deprecation, Sunset and successor Link on a deprecated version, and 410 once it is past its sunset', async () => {
      await createModel(t, engineer, 'aging');
      const v1 = await versionIn(t, engineer, 'aging', 'production');
      const v2 = await versionIn(t, engineer, 'aging', 'production');
      const res = await predict(`/v1/models/aging/versions/${v1}/predict`, { instances: [[1, 2, 3, 4]] });
      expect(res.statusCode).toBe(200);
      const version = (await t.app.inject({ method: 'GET', url: `/v1/models/aging/versions/${v1}`, headers: authHeader(consumer) })).json();
      expect(res.headers.deprecation).toBe(`@${Math.floor(Date.parse(version.deprecatedAt) / 1000)}`);
      expect(res.headers.sunset).toBe(new Date(version.sunsetAt).toUTCString());
      expect(res.headers.link).toBe(`</v1/models/aging/versions/${v2}>; rel="successor-version"`);
      expect((await predict('/v1/models/aging/predict', { instances: [[1, 2, 3, 4]] })).headers['x-model-version']).toBe(String(v2));

      // Time passes: the sunset is behind us but the sweep has not run yet.
      await t.app
        .get(DataSource)
        .query(
          `UPDATE model_versions SET sunset_at = now() - interval '1 minute' WHERE version = $1 AND model_id = (SELECT id FROM models WHERE name = 'aging')`,
          [v1],
        );
      const gone = await predict(`/v1/models/aging/versions/${v1}/predict`, { instances: [[1, 2, 3, 4]] });
      expect(gone.statusCode).toBe(410);
      expect(gone.json().code).toBe('MODEL_VERSION_RETIRED');
      const goneV2 = await predict(`/v2/models/aging/versions/${v1}/infer`, {
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
      });
      expect(goneV2.statusCode).toBe(410);
      expect(goneV2.json().error).toMatch(/retired/);
    });
  });

  describe('canary', () => {
    it('splits the unversioned route by percent, sticky per caller', async () => {
      await createModel(t, engineer, 'canary');
      await versionIn(t, engineer, 'canary', 'production');
      const v2 = await versionIn(t, engineer, 'canary', 'staging');
      const set = await t.app.inject({
        method: 'PUT',
        url: '/v1/models/canary/traffic',
        headers: authHeader(engineer),
        payload: { canary: { version: v2, percent: 30 } },
      });
      expect(set.statusCode).toBe(200);

      const callers = await Promise.all(Array.from({ length: 120 }, () => apiKeyFor(t, 'consumer')));
      const served: string[] = [];
      for (const key of callers) {
        const res = await predict('/v1/models/canary/predict', { instances: [[1, 2, 3, 4]] }, apiKeyHeader(key));
        served.push(String(res.headers['x-model-version']));
      }
      const share = served.filter((v) => v === String(v2)).length / served.length;
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.45);
      // Sticky: the same callers get the same versions again.
      for (let i = 0; i < 10; i++) {
        const res = await predict('/v1/models/canary/predict', { instances: [[1, 2, 3, 4]] }, apiKeyHeader(callers[i]));
        expect(String(res.headers['x-model-version'])).toBe(served[i]);
      }

      await t.app.inject({ method: 'PUT', url: '/v1/models/canary/traffic', headers: authHeader(engineer), payload: { canary: null } });
      for (const key of callers.slice(0, 20)) {
        const res = await predict('/v1/models/canary/predict', { instances: [[1, 2, 3, 4]] }, apiKeyHeader(key));
        expect(res.headers['x-model-version']).toBe('1');
      }
    });
  });

  describe('response cache and payload logging', () => {
    it('is off by default and answers hit/miss once enabled', async () => {
      await createModel(t, engineer, 'cached');
      await versionIn(t, engineer, 'cached', 'production');
      const first = await predict('/v1/models/cached/predict', { instances: [[1, 2, 3, 4]] });
      expect(first.headers['x-cache']).toBeUndefined();
      const put = await t.app.inject({
        method: 'PUT',
        url: '/v1/models/cached/serving',
        headers: authHeader(engineer),
        payload: { responseCacheTtlSeconds: 60 },
      });
      expect(put.statusCode).toBe(200);
      expect(put.json()).toEqual(expect.objectContaining({ model: 'cached', responseCacheTtlSeconds: 60, logPayloads: false }));
      const miss = await predict('/v1/models/cached/predict', { instances: [[1, 2, 3, 4]] });
      const hit = await predict('/v1/models/cached/predict', { instances: [[1, 2, 3, 4]] });
      expect([miss.headers['x-cache'], hit.headers['x-cache']]).toEqual(['miss', 'hit']);
      expect(hit.json()).toEqual(miss.json());
      expect((await predict('/v1/models/cached/predict', { instances: [[4, 3, 2, 1]] })).headers['x-cache']).toBe('miss');
    });

    it('stores payloads only for a model that opts in, and purges them after the retention', async () => {
      const db = t.app.get(DataSource);
      const count = async () =>
        Number(
          (await db.query(`SELECT count(*) AS n FROM prediction_logs l JOIN models m ON m.id = l.model_id WHERE m.name = 'cached'`))[0].n,
        );
      await predict('/v1/models/cached/predict', { instances: [[9, 9, 9, 9]] });
      expect(await count()).toBe(0);
      await t.app.inject({
        method: 'PUT',
        url: '/v1/models/cached/serving',
        headers: authHeader(engineer),
        payload: { logPayloads: true, payloadRetentionDays: 7 },
      });
      await predict('/v1/models/cached/predict', { instances: [[8, 8, 8, 8]] });
      // Written behind the request, within USAGE_FLUSH_INTERVAL_MS (1 s).
      for (let i = 0; i < 150 && (await count()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await count()).toBe(1);
      const [row] = await db.query(`SELECT input, expires_at FROM prediction_logs ORDER BY id DESC LIMIT 1`);
      expect(row.input).toEqual([[8, 8, 8, 8]]);
      expect(new Date(row.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      await db.query(`UPDATE prediction_logs SET expires_at = now() - interval '1 second'`);
      const { ServingSettingsService } = await import('../libs/predictions/src/serving/serving-settings.service');
      expect(await t.app.get(ServingSettingsService).purgeExpiredPayloads()).toBe(1);
      expect(await count()).toBe(0);
    });
  });

  describe('usage metering and metrics', () => {
    it('aggregates exactly the calls made, per model, version and caller', async () => {
      await createModel(t, engineer, 'metered');
      await versionIn(t, engineer, 'metered', 'production');
      const meteredKey = await apiKeyFor(t, 'consumer');
      for (let i = 0; i < 5; i++)
        await predict(
          '/v1/models/metered/predict',
          {
            instances: [
              [1, 2, 3, 4],
              [4, 3, 2, 1],
            ],
          },
          apiKeyHeader(meteredKey),
        );
      await predict('/v1/models/metered/predict', { instances: [[1, 2]] }, apiKeyHeader(meteredKey)); // 422
      await predict(
        '/v2/models/metered/infer',
        { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] },
        apiKeyHeader(meteredKey),
      ); // 422

      const byModel = await t.app.inject({ method: 'GET', url: '/v1/usage?groupBy=model', headers: authHeader(admin) });
      expect(byModel.statusCode).toBe(200);
      const row = byModel.json().items.find((i: { key: string }) => i.key === 'metered');
      expect(row).toEqual({
        key: 'metered',
        requests: 7,
        rows: 10,
        errors: 2,
        p50Ms: expect.any(Number),
        p95Ms: expect.any(Number),
        computeMs: expect.any(Number),
      });
      expect(row.p95Ms).toBeGreaterThanOrEqual(row.p50Ms);

      const byVersion = (await t.app.inject({ method: 'GET', url: '/v1/usage?groupBy=version', headers: authHeader(admin) })).json();
      expect(byVersion.items.find((i: { key: string }) => i.key === 'metered:1').requests).toBe(7);
      const byCaller = (await t.app.inject({ method: 'GET', url: '/v1/usage?groupBy=caller', headers: authHeader(admin) })).json();
      expect(byCaller.items.filter((i: { requests: number }) => i.requests === 7).length).toBeGreaterThanOrEqual(1);

      const future = (
        await t.app.inject({
          method: 'GET',
          url: `/v1/usage?from=${new Date(Date.now() + 60_000).toISOString()}&to=${new Date(Date.now() + 120_000).toISOString()}`,
          headers: authHeader(admin),
        })
      ).json();
      expect(future.items).toEqual([]);
      expect((await t.app.inject({ method: 'GET', url: '/v1/usage', headers: authHeader(consumer) })).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'GET', url: '/v1/usage?groupBy=planet', headers: authHeader(admin) })).statusCode).toBe(400);
    });

    it('warms production versions into the model cache (as at start-up)', async () => {
      const cache = t.app.get(ModelCache);
      const misses = async () =>
        (await t.app.get(MetricsRegistry).getSingleMetric('modelgate_model_cache_misses_total')!.get()).values[0].value;
      cache.invalidateWhere(() => true);
      await t.app.get(ServingWarmup).warm();
      const before = await misses();
      const res = await predict('/v1/models/iris/predict', { instances: [reference.inputs[0]] });
      expect(res.statusCode).toBe(200);
      expect(await misses()).toBe(before);
    });

    it('exposes inference metrics', async () => {
      const body = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(body).toMatch(/modelgate_inference_requests_total\{model="iris",version="1",status="200"\} \d+/);
      expect(body).toMatch(/modelgate_inference_requests_total\{model="iris",version="1",status="422"\} \d+/);
      expect(body).toMatch(/modelgate_inference_duration_seconds_count\{model="iris",version="1",phase="compute"\} \d+/);
      expect(body).toMatch(/modelgate_inference_batch_size_count \d+/);
      expect(body).toMatch(/modelgate_model_cache_hits_total \d+/);
      expect(body).toMatch(/modelgate_model_cache_loaded_models \d+/);
      expect(body).toMatch(/modelgate_tf_backend_info\{backend="(tensorflow|wasm|cpu)"\} 1/);
    });
  });
});

describe('serving under pressure and API deprecation (e2e)', () => {
  let t: TestApp;
  let consumer: string;

  beforeAll(async () => {
    t = await startTestApp({
      BATCH_MAX_QUEUE_ROWS: '4',
      BATCH_MAX_DELAY_MS: '20',
      API_V1_DEPRECATED_AT: '2026-01-01T00:00:00Z',
      API_V1_SUNSET_AT: '2027-06-30T00:00:00Z',
    });
    const engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, 'busy');
    const upload = await uploadVersion(t, engineer, 'busy', fixtureFiles('classifier'));
    const v = upload.json().version;
    await transition(t, engineer, 'busy', v, { to: 'staging' });
    await transition(t, engineer, 'busy', v, { to: 'production' });
  });
  afterAll(() => t?.close());

  it('answers 429 with Retry-After when a version queue is full, never 5xx', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/models/busy/predict',
          headers: authHeader(consumer),
          payload: { instances: [[1, 2, 3, 4]] },
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses).toContain(200);
    const limited = results.filter((r) => r.statusCode === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].headers['retry-after']).toMatch(/^\d+$/);
    expect(limited[0].json().code).toBe('INFERENCE_QUEUE_FULL');
  });

  it('marks every /v1 response deprecated when API v1 is deprecated by config', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/models', headers: authHeader(consumer) });
    expect(res.headers.deprecation).toBe(`@${Date.parse('2026-01-01T00:00:00Z') / 1000}`);
    expect(res.headers.sunset).toBe('Wed, 30 Jun 2027 00:00:00 GMT');
    const health = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(health.headers.deprecation).toBeUndefined();
  });
});
