import { ModelGateClient } from './client';
import { isModelGateError, ModelGateError } from './errors';
import type { RetryOptions } from './retry';
import { fakeFetch, fakeJwt, jsonResponse, problem, type RecordedRequest } from './testing/fake-server';

const baseUrl = 'https://mg.test';
const pair = (n: number, expiresIn = 900) => ({
  accessToken: fakeJwt(`user-${n}`, expiresIn),
  refreshToken: `mgr_${n}`,
  tokenType: 'Bearer',
  expiresIn,
});
const model = (name: string) => ({
  id: '1',
  name,
  description: null,
  task: null,
  tags: [],
  createdAt: 'now',
  updatedAt: 'now',
  productionVersion: null,
  latestVersion: null,
});
const page = { items: [], page: { limit: 20, offset: 0, total: 0 } };
const bearer = (r: RecordedRequest) => r.headers.get('authorization')?.replace(/^Bearer /, '');

/** Records the waits instead of waiting. */
function instantRetries(extra: RetryOptions = {}): { retry: RetryOptions; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    retry: {
      sleep: async (ms) => {
        waits.push(ms);
      },
      random: () => 0.5,
      ...extra,
    },
  };
}

describe('ModelGateClient authentication', () => {
  it('sends an API key as X-API-Key, and never an Authorization header with it', async () => {
    const server = fakeFetch(() => jsonResponse(200, page));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'mgk_secret', fetch: server.fetch });
    await mg.models.list();
    expect(server.requests[0].headers.get('x-api-key')).toBe('mgk_secret');
    expect(server.requests[0].headers.has('authorization')).toBe(false);
  });

  it('refuses two kinds of credentials at once', () => {
    // @ts-expect-error: the options type allows one kind of credentials only
    expect(() => new ModelGateClient({ baseUrl, apiKey: 'k', token: 't' })).toThrow(/one kind of credentials/);
  });

  it('renews an expired bearer token on 401 TOKEN_EXPIRED, sends the call again once, and reports the new pair', async () => {
    const old = fakeJwt('old', 600);
    const fresh = pair(2);
    const server = fakeFetch((r) => {
      if (r.path === '/v1/auth/refresh') return jsonResponse(200, fresh);
      return bearer(r) === fresh.accessToken ? jsonResponse(200, model('iris')) : problem(401, 'TOKEN_EXPIRED');
    });
    const seen: unknown[] = [];
    const mg = new ModelGateClient({ baseUrl, token: old, refreshToken: 'mgr_1', fetch: server.fetch, onTokens: (t) => void seen.push(t) });

    await expect(mg.models.get('iris')).resolves.toMatchObject({ name: 'iris' });
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models/iris', '/v1/auth/refresh', '/v1/models/iris']);
    expect(server.requests[1].json()).toEqual({ refreshToken: 'mgr_1' });
    expect(server.requests[1].headers.has('authorization')).toBe(false);
    expect(seen).toEqual([{ accessToken: fresh.accessToken, refreshToken: 'mgr_2', expiresAt: expect.any(Number) }]);
    expect(mg.tokens?.refreshToken).toBe('mgr_2');
  });

  it('refreshes once for many concurrent calls that found the token expired (single flight)', async () => {
    const fresh = pair(2);
    let refreshes = 0;
    const server = fakeFetch(async (r) => {
      if (r.path === '/v1/auth/refresh') {
        refreshes++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return jsonResponse(200, fresh);
      }
      return bearer(r) === fresh.accessToken ? jsonResponse(200, model('m')) : problem(401, 'TOKEN_EXPIRED');
    });
    const mg = new ModelGateClient({ baseUrl, token: fakeJwt('old', 600), refreshToken: 'mgr_1', fetch: server.fetch });
    const answers = await Promise.all(Array.from({ length: 6 }, () => mg.models.get('m')));
    expect(answers).toHaveLength(6);
    expect(refreshes).toBe(1);
  });

  it('renews before the token expires (its JWT exp), without waiting for a 401', async () => {
    const fresh = pair(2);
    const server = fakeFetch((r) => (r.path === '/v1/auth/refresh' ? jsonResponse(200, fresh) : jsonResponse(200, page)));
    const mg = new ModelGateClient({ baseUrl, token: fakeJwt('old', 10), refreshToken: 'mgr_1', fetch: server.fetch });
    await mg.models.list();
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/auth/refresh', '/v1/models']);
    expect(bearer(server.requests[1])).toBe(fresh.accessToken);
  });

  it('does not loop: a second 401 after the renewal is thrown', async () => {
    const server = fakeFetch((r) => (r.path === '/v1/auth/refresh' ? jsonResponse(200, pair(2)) : problem(401, 'TOKEN_EXPIRED')));
    const mg = new ModelGateClient({ baseUrl, token: fakeJwt('old', 600), refreshToken: 'mgr_1', fetch: server.fetch });
    await expect(mg.models.list()).rejects.toMatchObject({ status: 401, code: 'TOKEN_EXPIRED' });
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/models', '/v1/auth/refresh', '/v1/models']);
  });

  it('with email and password signs in on the first call (once for concurrent calls), and again when the refresh token is refused', async () => {
    let logins = 0;
    const server = fakeFetch((r) => {
      if (r.path === '/v1/auth/login') return jsonResponse(200, pair(++logins, 1));
      if (r.path === '/v1/auth/refresh') return problem(401, 'REFRESH_TOKEN_REUSED');
      return jsonResponse(200, page);
    });
    const mg = new ModelGateClient({ baseUrl, email: 'ada@x.test', password: 'pw', fetch: server.fetch });
    await Promise.all([mg.models.list(), mg.models.list(), mg.models.list()]);
    expect(logins).toBe(1);
    expect(server.requests[0].json()).toEqual({ email: 'ada@x.test', password: 'pw' });
    // The pair expires within the refresh margin: the next call refreshes, is refused, and signs in again.
    await mg.models.list();
    expect(server.requests.map((r) => r.path).slice(4)).toEqual(['/v1/auth/refresh', '/v1/auth/login', '/v1/models']);
    expect(logins).toBe(2);
  });

  it('with client credentials obtains a token, and a new one once it expires', async () => {
    let issued = 0;
    const server = fakeFetch((r) => {
      if (r.path === '/v1/auth/token')
        return jsonResponse(200, { access_token: `cc-${++issued}`, token_type: 'Bearer', expires_in: issued === 1 ? 1 : 900 });
      return jsonResponse(200, page);
    });
    const mg = new ModelGateClient({ baseUrl, clientId: 'mgc_1', clientSecret: 'mgs_1', fetch: server.fetch });
    await mg.models.list();
    await mg.models.list();
    expect(server.requests.map((r) => r.path)).toEqual(['/v1/auth/token', '/v1/models', '/v1/auth/token', '/v1/models']);
    expect(server.requests[0].json()).toEqual({ grant_type: 'client_credentials', client_id: 'mgc_1', client_secret: 'mgs_1' });
    expect(bearer(server.requests[3])).toBe('cc-2');
  });

  it('turns OAuth2 errors of the token endpoint into ModelGateError OAUTH_ERROR', async () => {
    const server = fakeFetch(() => jsonResponse(401, { error: 'invalid_client', error_description: 'unknown client' }));
    const mg = new ModelGateClient({ baseUrl, clientId: 'mgc_1', clientSecret: 'wrong', fetch: server.fetch });
    const error = await mg.models.list().catch((e: unknown) => e);
    expect(isModelGateError(error, 'OAUTH_ERROR')).toBe(true);
    expect(error).toMatchObject({ status: 401, detail: 'invalid_client: unknown client', problem: { error: 'invalid_client' } });
  });

  it('logs in and out explicitly', async () => {
    const server = fakeFetch((r) => (r.path === '/v1/auth/login' ? jsonResponse(200, pair(1)) : jsonResponse(204, null)));
    const mg = new ModelGateClient({ baseUrl, fetch: server.fetch });
    await expect(mg.login('ada@x.test', 'pw')).resolves.toMatchObject({ refreshToken: 'mgr_1' });
    await mg.logout();
    expect(server.requests[1]).toMatchObject({ method: 'POST', path: '/v1/auth/logout' });
    expect(server.requests[1].json()).toEqual({ refreshToken: 'mgr_1' });
    expect(mg.tokens).toBeUndefined();
  });
});

describe('ModelGateClient retries', () => {
  it('retries an idempotent call on 503 and 429, waiting what Retry-After says (seconds, then HTTP date)', async () => {
    const { retry, waits } = instantRetries();
    const inTwoSeconds = new Date(Date.now() + 2000).toUTCString();
    const server = fakeFetch((_r, n) =>
      n === 1
        ? problem(503, 'DATABASE_UNAVAILABLE', 'x', {}, { 'retry-after': '5' })
        : n === 2
          ? problem(429, 'RATE_LIMITED', 'x', {}, { 'retry-after': inTwoSeconds })
          : jsonResponse(200, page),
    );
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch, retry });
    await expect(mg.models.list()).resolves.toEqual(page);
    expect(server.requests).toHaveLength(3);
    expect(waits[0]).toBeGreaterThanOrEqual(5000);
    expect(waits[0]).toBeLessThan(5000 + 1000);
    expect(waits[1]).toBeGreaterThan(0);
    expect(waits[1]).toBeLessThanOrEqual(2000 + 1000);
  });

  it('backs off exponentially with jitter when there is no Retry-After, and gives up after maxAttempts', async () => {
    const { retry, waits } = instantRetries({ maxAttempts: 4, baseDelayMs: 100, random: () => 0.999 });
    const server = fakeFetch(() => problem(503, 'INSPECTION_BUSY'));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch, retry });
    await expect(mg.models.list()).rejects.toMatchObject({ status: 503, code: 'INSPECTION_BUSY' });
    expect(server.requests).toHaveLength(4);
    expect(waits.map((w) => Math.round(w))).toEqual([100, 200, 400]);
  });

  it('does not wait longer than maxDelayMs: a longer Retry-After is thrown at once', async () => {
    const { retry, waits } = instantRetries({ maxDelayMs: 1000 });
    const server = fakeFetch(() => problem(429, 'RATE_LIMITED', 'slow down', {}, { 'retry-after': '60' }));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch, retry });
    const error = await mg.models.list().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterSeconds: 60 });
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('retries network errors of idempotent calls only', async () => {
    const { retry } = instantRetries();
    let calls = 0;
    const flaky = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (++calls === 1) throw new TypeError('fetch failed', { cause: new Error('ECONNRESET') });
      return fakeFetch(() => jsonResponse(200, page)).fetch(input, init);
    }) as typeof fetch;
    await expect(new ModelGateClient({ baseUrl, apiKey: 'k', fetch: flaky, retry }).models.list()).resolves.toEqual(page);
    expect(calls).toBe(2);

    calls = 0;
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: flaky, retry });
    const error = await mg.predict('iris', [[1, 2, 3, 4]], { retry: true }).catch((e: unknown) => e);
    expect(isModelGateError(error, 'NETWORK_ERROR')).toBe(true);
    expect((error as ModelGateError).detail).toMatch(/fetch failed: ECONNRESET/);
    expect(calls).toBe(1);
  });

  it('retries predict (a POST) on 429/503 only when the caller opts in', async () => {
    const { retry } = instantRetries();
    const answer = { model: 'iris', version: 1, predictions: [[0.1, 0.9]] };
    const busyOnce = () =>
      fakeFetch((_r, n) =>
        n === 1 ? problem(503, 'INFERENCE_ENGINE_FAILED', 'x', {}, { 'retry-after': '1' }) : jsonResponse(200, answer),
      );

    const plain = busyOnce();
    const error = await new ModelGateClient({ baseUrl, apiKey: 'k', fetch: plain.fetch, retry })
      .predict('iris', [[1]])
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 503, code: 'INFERENCE_ENGINE_FAILED' });
    expect(plain.requests).toHaveLength(1);

    const optedIn = busyOnce();
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: optedIn.fetch, retry });
    await expect(mg.predict('iris', [[1]], { retry: true })).resolves.toEqual(answer);
    expect(optedIn.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', '/v1/models/iris/predict'],
      ['POST', '/v1/models/iris/predict'],
    ]);
    expect(optedIn.requests[1].json()).toEqual({ instances: [[1]] });
  });

  it('never retries a POST that is not opted in, e.g. creating a model', async () => {
    const { retry } = instantRetries();
    const server = fakeFetch(() => problem(503, 'DATABASE_UNAVAILABLE', 'x', {}, { 'retry-after': '1' }));
    await expect(
      new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch, retry }).models.create({ name: 'iris' }),
    ).rejects.toMatchObject({
      status: 503,
    });
    expect(server.requests).toHaveLength(1);
  });
});

describe('ModelGateClient errors and uploads', () => {
  it('throws the whole problem document as a ModelGateError', async () => {
    const server = fakeFetch(() =>
      problem(422, 'DATASET_MALFORMED', "line 3, column 'b': 'oops' is not a number", {
        reason: 'type-mismatch',
        line: 3,
        errors: [{ field: 'file', message: 'bad' }],
      }),
    );
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    const error = await mg.datasets.upload({ name: 'bad.csv', data: 'a,b\n1,oops\n' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelGateError);
    expect(error).toBeInstanceOf(Error);
    expect(isModelGateError(error, 'DATASET_MALFORMED')).toBe(true);
    expect(isModelGateError(error, 'MODEL_NOT_FOUND')).toBe(false);
    expect(error).toMatchObject({
      name: 'ModelGateError',
      status: 422,
      code: 'DATASET_MALFORMED',
      detail: "line 3, column 'b': 'oops' is not a number",
      requestId: 'req-1',
      errors: [{ field: 'file', message: 'bad' }],
      problem: { reason: 'type-mismatch', line: 3 },
    });
    expect((error as Error).message).toBe("DATASET_MALFORMED: line 3, column 'b': 'oops' is not a number");
  });

  it('makes an error of an answer that is not a problem document, with the request id header', async () => {
    const server = fakeFetch(
      () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'x-request-id': 'rid-9' } }),
    );
    const error = await new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch, retry: false }).models
      .list()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'UNEXPECTED_RESPONSE', requestId: 'rid-9', detail: '<html>Bad gateway</html>' });
  });

  it('uploads a version from files, serializing labels, metrics and params', async () => {
    const server = fakeFetch(() => jsonResponse(201, { model: 'iris', version: 1 }));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    await mg.versions.upload(
      'iris',
      { files: [{ name: 'model.json', data: '{"format":"layers-model"}' }, new File([new Uint8Array([1, 2, 3])], 'group1-shard1of1.bin')] },
      { description: 'first', labels: ['setosa', 'versicolor'], metrics: { accuracy: 0.97 }, params: { epochs: 3 } },
    );
    const form = await server.requests[0].form();
    expect(server.requests[0].path).toBe('/v1/models/iris/versions');
    expect(form.getAll('files').map((f) => (f as File).name)).toEqual(['model.json', 'group1-shard1of1.bin']);
    expect(form.get('labels')).toBe('["setosa","versicolor"]');
    expect(form.get('metrics')).toBe('{"accuracy":0.97}');
    expect(form.get('params')).toBe('{"epochs":3}');
    expect(form.get('description')).toBe('first');
  });

  it('uploads a version from an archive', async () => {
    const server = fakeFetch(() => jsonResponse(201, { model: 'iris', version: 2 }));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    await mg.versions.upload('iris', { archive: { name: 'model.tar.gz', data: new Uint8Array([31, 139]) } });
    const form = await server.requests[0].form();
    expect((form.get('archive') as File).name).toBe('model.tar.gz');
    expect(form.has('files')).toBe(false);
  });

  it('promotes with a transition to production, and predicts a given version or alias', async () => {
    const server = fakeFetch((r) => jsonResponse(200, r.path.endsWith('/transitions') ? { stage: 'production' } : { predictions: [] }));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    await mg.versions.promote('iris', 3, { reason: 'better' });
    await mg.predict('iris', [[1]], { version: 3 });
    await mg.predict('iris', [[1]], { alias: 'champion' });
    expect(server.requests.map((r) => r.path)).toEqual([
      '/v1/models/iris/versions/3/transitions',
      '/v1/models/iris/versions/3/predict',
      '/v1/models/iris/aliases/champion/predict',
    ]);
    expect(server.requests[0].json()).toEqual({ to: 'production', reason: 'better' });
  });

  it('updates a version with PATCH (If-Match when given), and surfaces a 409 as a ModelGateError', async () => {
    const server = fakeFetch((r, nth) =>
      nth === 1
        ? jsonResponse(200, { model: 'iris', version: 1, sunsetAt: '2030-06-30T00:00:00.000Z' })
        : problem(409, 'MODEL_VERSION_NOT_DEPRECATED', 'Version 2 is production: only a deprecated version has a sunset to move.'),
    );
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    const updated = await mg.versions.update('iris', 1, { sunsetAt: '2030-06-30T00:00:00Z', labels: ['a', 'b'] }, { ifMatch: '"v1"' });
    expect(updated.sunsetAt).toBe('2030-06-30T00:00:00.000Z');
    expect(server.requests[0]).toMatchObject({ method: 'PATCH', path: '/v1/models/iris/versions/1' });
    expect(server.requests[0].headers.get('if-match')).toBe('"v1"');
    expect(server.requests[0].json()).toEqual({ sunsetAt: '2030-06-30T00:00:00Z', labels: ['a', 'b'] });
    const error = await mg.versions.update('iris', 2, { sunsetAt: '2030-06-30T00:00:00Z' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 409, code: 'MODEL_VERSION_NOT_DEPRECATED' });
    expect(server.requests[1].headers.has('if-match')).toBe(false);
  });

  it('passes the usage query through: interval, model, groupBy and the range', async () => {
    const server = fakeFetch(() => jsonResponse(200, { items: [] }));
    const mg = new ModelGateClient({ baseUrl, apiKey: 'k', fetch: server.fetch });
    await mg.usage({ groupBy: 'version', interval: 'day', model: 'iris', from: '2030-01-01T00:00:00Z' });
    const url = new URL(server.requests[0].path, baseUrl);
    expect(url.pathname).toBe('/v1/usage');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      groupBy: 'version',
      interval: 'day',
      model: 'iris',
      from: '2030-01-01T00:00:00Z',
    });
  });
});
