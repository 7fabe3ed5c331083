import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { apiKeyFor, apiKeyHeader, authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { createModel, fixtureFiles, uploadVersion, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';
import { createJob, csvText, uploadDataset } from './support/training';

/**
 * Bounded work per request: every hostile input is refused with a 4xx problem document after a
 * bounded amount of work (the caps are asserted here; `npm run bench:hostile` shows the timings).
 */

const ORIGIN = 'https://console.example.com';

function expectProblem(res: LightMyRequestResponse, status: number, code: string): Record<string, unknown> {
  expect({ status: res.statusCode, type: res.headers['content-type'] }).toEqual({
    status,
    type: expect.stringMatching(/^application\/problem\+json/),
  });
  const body = res.json();
  expect(body).toMatchObject({ status, code, requestId: expect.any(String) });
  expect(res.headers['x-request-id']).toBe(body.requestId);
  return body;
}

/** `{"a":{"a":…1…}}` nested `depth` objects deep. */
function nestedObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

describe('bounded work per request (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumerKey: string;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: ORIGIN, SERVING_RESOLVE_TTL_MS: '0' });
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumerKey = await apiKeyFor(t, 'consumer');
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
  });
  afterAll(() => t?.close());

  const post = (url: string, payload: string | object, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload });

  describe('JSON nesting depth is capped at parse (JSON_MAX_DEPTH, 64)', () => {
    it('refuses 10,000 levels on a public route with 400 JSON_TOO_DEEP, not a 500', async () => {
      const body = expectProblem(await post('/v1/auth/refresh', nestedObject(10_000)), 400, 'JSON_TOO_DEEP');
      expect(body.detail).toMatch(/64/);
      const arrays = '['.repeat(10_000) + ']'.repeat(10_000);
      expectProblem(await post('/v1/auth/refresh', arrays), 400, 'JSON_TOO_DEEP');
    });

    it('refuses it on authenticated, validated and lean (predict) routes alike', async () => {
      expectProblem(await post('/v1/models', nestedObject(10_000), authHeader(engineer)), 400, 'JSON_TOO_DEEP');
      expectProblem(await post('/v1/training-jobs', nestedObject(10_000), authHeader(engineer)), 400, 'JSON_TOO_DEEP');
      expectProblem(await post('/v1/models/iris/predict', nestedObject(10_000), apiKeyHeader(consumerKey)), 400, 'JSON_TOO_DEEP');
      expectProblem(
        await post('/v2/models/iris/infer', `{"inputs":${'['.repeat(5_000)}${']'.repeat(5_000)}}`, apiKeyHeader(consumerKey)),
        400,
        'JSON_TOO_DEEP',
      );
    });

    it('accepts exactly 64 levels (brackets inside strings do not count) and refuses 65', async () => {
      const atCap = await post('/v1/auth/refresh', `{"refreshToken":"${'['.repeat(200)}","x":${nestedObject(63)}}`);
      expect(atCap.statusCode).toBe(400);
      expect(atCap.json().code).toBe('VALIDATION_FAILED');
      expectProblem(await post('/v1/auth/refresh', `{"refreshToken":"x","x":${nestedObject(64)}}`), 400, 'JSON_TOO_DEEP');
    });

    it('caps the JSON carried by multipart fields too (model upload metrics and params)', async () => {
      for (const field of ['metrics', 'params', 'labels']) {
        const res = await uploadVersion(t, engineer, 'iris', fixtureFiles('classifier'), { [field]: nestedObject(10_000) });
        const body = expectProblem(res, 400, 'JSON_TOO_DEEP');
        expect(body.field).toBe(field);
      }
    });

    it('leaves room for nested v2 tensors (rank 8 inside the request object)', async () => {
      const rank8 = (v: unknown, n: number): unknown => (n === 0 ? v : [rank8(v, n - 1)]);
      const res = await post(
        '/v2/models/iris/infer',
        { inputs: [{ name: 'features', shape: [1, 1, 1, 1, 1, 1, 1, 4], datatype: 'FP32', data: rank8([1, 2, 3, 4], 7) }] },
        apiKeyHeader(consumerKey),
      );
      // Parsed and checked against the model (which takes rank 2), not refused at parse.
      expectProblem(res, 400, 'VALIDATION_FAILED');
    });
  });

  describe('JSON bodies: prototype keys refused, whichever parser path a body takes', () => {
    it.each([
      ['__proto__', '{"instances":[[1,2,3,4]],"__proto__":{"admin":true}}'],
      ['an escaped __proto__', '{"instances":[[1,2,3,4]],"\\u005f_proto__":{"admin":true}}'],
      ['constructor.prototype', '{"instances":[[1,2,3,4]],"constructor":{"prototype":{"admin":true}}}'],
    ])('refuses %s with a 400 problem on a lean and a Nest route', async (_, body) => {
      for (const [url, headers] of [
        ['/v1/models/iris/predict', apiKeyHeader(consumerKey)],
        ['/v1/models', authHeader(engineer)],
      ] as const) {
        const res = await post(url, body, headers);
        expect({ url, status: res.statusCode, type: res.headers['content-type'] }).toEqual({
          url,
          status: 400,
          type: expect.stringMatching(/^application\/problem\+json/),
        });
      }
    });

    it('parses bodies on either path alike: plain numbers, escapes, the words as values, and malformed ones', async () => {
      const plain = await post('/v1/models/iris/predict', '{"instances":[[5.1,3.5,1.4,0.2]]}', apiKeyHeader(consumerKey));
      expect(plain.statusCode).toBe(200);
      // A backslash sends a body through Fastify's parser; the words as values, too.
      const escaped = await post('/v1/models', '{"name":"escaped-model","description":"a \\"quoted\\" \\u00e9"}', authHeader(engineer));
      expect(escaped.statusCode).toBe(201);
      expect(escaped.json().description).toBe('a "quoted" é');
      const named = await post(
        '/v1/models',
        { name: 'constructor-of-things', description: 'a __proto__ of a model' },
        authHeader(engineer),
      );
      expect(named.statusCode).toBe(201);
      expect(named.json()).toMatchObject({ name: 'constructor-of-things', description: 'a __proto__ of a model' });
      expectProblem(await post('/v1/models/iris/predict', '{"instances":[[1,}', apiKeyHeader(consumerKey)), 400, 'MALFORMED_JSON');
      expectProblem(await post('/v1/models/iris/predict', '{"instances":[[1,"\\x"]]}', apiKeyHeader(consumerKey)), 400, 'MALFORMED_JSON');
    });
  });

  describe('list sizes are capped before any per-element validation', () => {
    it('answers 100,000 features with the size error alone (no per-element or uniqueness pass)', async () => {
      // Numbers (not strings) and duplicates: any per-element or uniqueness check that ran would say so.
      const features = Array.from({ length: 100_000 }, () => 7);
      const res = await createJob(t, engineer, {
        modelName: 'wide',
        datasetId: '00000000-0000-4000-8000-000000000000',
        task: 'classification',
        features,
        target: 'y',
        architecture: { hiddenLayers: [4] },
        hyperparameters: { epochs: 1 },
      });
      const body = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field: 'features', message: 'features must contain no more than 1000 elements' }]);
    });

    it('applies the caps of nested DTOs (architecture.hiddenLayers) the same way', async () => {
      const res = await createJob(t, engineer, {
        modelName: 'deep',
        datasetId: '00000000-0000-4000-8000-000000000000',
        task: 'classification',
        features: ['a'],
        target: 'y',
        architecture: { hiddenLayers: Array.from({ length: 50_000 }, () => 'x') },
        hyperparameters: { epochs: 1 },
      });
      const body = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([
        { field: 'architecture.hiddenLayers', message: 'hiddenLayers must contain no more than 1000 elements' },
      ]);
    });
  });

  describe('dataset uploads are capped while they are read', () => {
    it('refuses a header of 200,000 columns at column 1,001 (an unclosed quote after it is never reached)', async () => {
      const header = Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(',') + ',"never closed\n1\n';
      const body = expectProblem(await uploadDataset(t, engineer, Buffer.from(header), 'wide'), 422, 'DATASET_MALFORMED');
      expect(body).toMatchObject({ reason: 'too-many-columns', line: 1 });
      expect(body.detail).toMatch(/DATASET_MAX_COLUMNS/);
    });

    it('refuses a field longer than DATASET_MAX_FIELD_CHARS as soon as it is longer', async () => {
      const data = Buffer.from(`a,b\n1,2\n3,"${'x'.repeat(100_000)}`); // never closed: the cap speaks first
      const body = expectProblem(await uploadDataset(t, engineer, data, 'long'), 422, 'DATASET_MALFORMED');
      expect(body).toMatchObject({ reason: 'field-too-large', line: 3 });
      expect(body.detail).toMatch(/65536 characters \(DATASET_MAX_FIELD_CHARS\)/);
      const jsonl = Buffer.from(`{"a":1,"b":"x"}\n{"a":2,"b":"${'y'.repeat(70_000)}"}\n`);
      const fromJson = expectProblem(await uploadDataset(t, engineer, jsonl, 'long', 'data.jsonl'), 422, 'DATASET_MALFORMED');
      expect(fromJson).toMatchObject({ reason: 'field-too-large', line: 2, column: 'b' });
    });

    it.each(['__proto__', 'constructor', 'prototype'])('refuses a column named %s (no JSON body could name it)', async (name) => {
      const body = expectProblem(
        await uploadDataset(t, engineer, csvText(['x', name], [['1', '2']]), 'reserved'),
        422,
        'DATASET_MALFORMED',
      );
      expect(body).toMatchObject({ reason: 'reserved-column-name', column: name });
      expect(body.detail).toContain(name);
    });

    it('refuses __proto__ as a JSON lines field too', async () => {
      const data = Buffer.from('{"x":1,"__proto__":2}\n');
      const body = expectProblem(await uploadDataset(t, engineer, data, 'reserved', 'data.jsonl'), 422, 'DATASET_MALFORMED');
      expect(body).toMatchObject({ reason: 'reserved-column-name', column: '__proto__' });
    });
  });

  describe('pagination is validated', () => {
    const collections = [
      '/v1/models',
      '/v1/models/iris/versions',
      '/v1/models/iris/aliases',
      '/v1/datasets',
      '/v1/training-jobs',
      '/v1/users',
      '/v1/api-keys',
      '/v1/audit-events',
    ];

    it.each(collections)('%s refuses offset=1e21, a negative, fractional or huge offset or limit with 400', async (url) => {
      for (const query of ['offset=1e21', 'offset=-1', 'offset=1.5', 'offset=abc', 'offset=2147483648', 'limit=1e21', 'limit=0']) {
        const res = await t.app.inject({ method: 'GET', url: `${url}?${query}`, headers: authHeader(admin) });
        const body = expectProblem(res, 400, 'VALIDATION_FAILED');
        const fields = new Set((body.errors as { field: string }[]).map((e) => e.field));
        expect({ query, fields: [...fields] }).toEqual({ query, fields: [query.split('=')[0]] });
      }
      const last = await t.app.inject({ method: 'GET', url: `${url}?offset=2147483647&limit=100`, headers: authHeader(admin) });
      expect(last.statusCode).toBe(200);
      expect(last.json().items).toEqual([]);
    });
  });

  describe('over-long URLs and headers', () => {
    it('answers a path parameter over the router limit with a 414 problem, request id and security headers', async () => {
      const res = await t.app.inject({ method: 'GET', url: `/v1/models/${'a'.repeat(300)}`, headers: authHeader(admin) });
      const body = expectProblem(res, 414, 'URI_TOO_LONG');
      expect(JSON.stringify(body)).not.toContain('a'.repeat(300));
      expect(String(body.instance).length).toBeLessThanOrEqual(256);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      const lean = await t.app.inject({
        method: 'POST',
        url: `/v1/models/${'b'.repeat(300)}/predict`,
        headers: apiKeyHeader(consumerKey),
        payload: { instances: [[1, 2, 3, 4]] },
      });
      expectProblem(lean, 414, 'URI_TOO_LONG');
    });

    describe('on a real socket', () => {
      let port: number;
      beforeAll(async () => {
        await t.app.listen({ port: 0, host: '127.0.0.1' });
        port = (t.app.getHttpServer().address() as AddressInfo).port;
      });

      const raw = (request: string) =>
        new Promise<{ head: string; headers: Record<string, string>; body: string }>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.end(request));
          let data = '';
          socket.setEncoding('utf8');
          socket.on('data', (chunk: string) => (data += chunk));
          socket.on('error', reject);
          socket.on('close', () => {
            const [head, ...rest] = data.split('\r\n\r\n');
            const [status, ...lines] = head.split('\r\n');
            const headers = Object.fromEntries(
              lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
            );
            resolve({ head: status, headers, body: rest.join('\r\n\r\n') });
          });
        });

      it("answers headers over Node's limit with a 431 problem carrying a request id", async () => {
        const res = await raw(`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Filler: ${'f'.repeat(40_000)}\r\n\r\n`);
        expect(res.head).toBe('HTTP/1.1 431 Request Header Fields Too Large');
        expect(res.headers['content-type']).toBe('application/problem+json');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        const body = JSON.parse(res.body);
        expect(body).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', requestId: expect.any(String) });
        expect(res.headers['x-request-id']).toBe(body.requestId);
        expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
      });

      it('answers a request the HTTP parser cannot read with a 400 problem', async () => {
        const res = await raw('GET /health/live HTTP/1.1\r\nHost x\r\n\r\n');
        expect(res.head).toBe('HTTP/1.1 400 Bad Request');
        expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'MALFORMED_HTTP_REQUEST', requestId: expect.any(String) });
      });
    });
  });

  describe('metric labels never take caller-supplied values', () => {
    it('counts predictions on made-up models under model="unknown"', async () => {
      const names = ['made-up-a1', 'made-up-b2', 'made-up-c3'];
      for (const name of names) {
        expect((await post(`/v1/models/${name}/predict`, { instances: [[1, 2, 3, 4]] }, apiKeyHeader(consumerKey))).statusCode).toBe(404);
        expect((await post(`/v2/models/${name}/infer`, { inputs: [] }, apiKeyHeader(consumerKey))).statusCode).toBe(404);
        expect(
          (await post(`/v1/models/iris/aliases/${name}/predict`, { instances: [[1, 2, 3, 4]] }, apiKeyHeader(consumerKey))).statusCode,
        ).toBe(404);
      }
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      for (const name of names) expect(metrics).not.toContain(name);
      expect(metrics).toMatch(/modelgate_inference_requests_total\{model="unknown",version="",status="404"\} [1-9]/);
      // A known model's failures stay under its own name.
      expect(metrics).toMatch(/modelgate_inference_requests_total\{model="iris",version="",status="404"\} [1-9]/);
    });

    it('labels requests with odd methods as one bounded value', async () => {
      await t.app.inject({ method: 'PROPFIND' as 'GET', url: '/v1/models' });
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).not.toContain('method="PROPFIND"');
    });
  });

  describe('CORS', () => {
    it('lets the console preflight every method and header the API uses', async () => {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/v1/models/iris',
        headers: {
          origin: ORIGIN,
          'access-control-request-method': 'PATCH',
          'access-control-request-headers': 'authorization,content-type,if-match,x-api-key,x-request-id',
        },
      });
      expect(res.statusCode).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
      const methods = String(res.headers['access-control-allow-methods']).split(/\s*,\s*/);
      expect(methods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']));
      const headers = String(res.headers['access-control-allow-headers'])
        .toLowerCase()
        .split(/\s*,\s*/);
      expect(headers).toEqual(
        expect.arrayContaining(['authorization', 'content-type', 'if-match', 'if-none-match', 'x-api-key', 'x-request-id']),
      );
    });

    it('exposes the response headers clients read', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/v1/models/iris', headers: { origin: ORIGIN, ...authHeader(admin) } });
      const exposed = String(res.headers['access-control-expose-headers'])
        .toLowerCase()
        .split(/\s*,\s*/);
      expect(exposed).toEqual(
        expect.arrayContaining([
          'etag',
          'location',
          'deprecation',
          'sunset',
          'link',
          'retry-after',
          'x-request-id',
          'x-model-version',
          'x-cache',
          'www-authenticate',
        ]),
      );
    });
  });

  describe('problem documents stay small and speak for ModelGate', () => {
    it('does not echo a 200,000-dimension shape back', async () => {
      const shape = Array.from({ length: 200_000 }, () => 1);
      const res = await post(
        '/v2/models/iris/infer',
        { inputs: [{ name: 'features', shape, datatype: 'FP32', data: [1, 2, 3, 4] }] },
        apiKeyHeader(consumerKey),
      );
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.length).toBeLessThan(4096);
    });

    it('bounds the errors of a request with many wrong values', async () => {
      const rows = Array.from({ length: 400 }, () => ['x'.repeat(2000), 'y', 'z', 'w']);
      const res = await post('/v1/models/iris/predict', { instances: rows }, apiKeyHeader(consumerKey));
      const body = expectProblem(res, 422, 'VALIDATION_FAILED');
      expect((body.errors as unknown[]).length).toBeLessThanOrEqual(21);
      expect(res.body.length).toBeLessThan(16_384);
    });
  });

  describe('v2 values outside their datatype', () => {
    it('refuses FP16 values beyond ±65504 with a 400 naming the value', async () => {
      const res = await post(
        '/v2/models/iris/infer',
        { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP16', data: [1, 70_000, 3, 4] }] },
        apiKeyHeader(consumerKey),
      );
      const body = expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual([{ field: 'inputs[0].data[1]', message: expect.stringMatching(/FP16/) }]);
      const ok = await post(
        '/v2/models/iris/infer',
        { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP16', data: [1, -65_504, 3, 4] }] },
        apiKeyHeader(consumerKey),
      );
      expect(ok.statusCode).toBe(200);
    });
  });
});
