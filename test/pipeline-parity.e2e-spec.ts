import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { LeanRoutes } from '../apps/api/src/http/lean-routes';
import { GLOBAL_ENHANCERS } from '../apps/api/src/request-pipeline';
import { apiKeyFor, authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { createModel, uploadVersion, versionIn } from './support/registry';
import { startLeanAndNestApps, TestApp } from './support/test-app';

/**
 * The lean inference handlers (apps/api/src/http/lean-routes.ts) and Nest's router must answer
 * alike: the same table of good and bad requests goes to an app with the lean routes and to one
 * without (createApp's `leanRoutes: false`), and status, body and headers must be equal. Each case
 * sends its own X-Request-Id, so the request id in bodies and headers is compared too; only the
 * Date header and the seconds in Retry-After and X-RateLimit-Reset are left out. Each also sends its
 * own `traceparent` (unless it brings one): `traceresponse` must continue that trace on both paths,
 * with a span of each app's own (span ids are random: compared by form).
 */

const RATE_LIMIT = 20;

interface Setup {
  /** The app with the lean inference handlers (credentials and models are made through it). */
  t: TestApp;
  engineer(): Promise<string>;
  drafty: number;
  /** A fresh consumer per case, so the cases never share a rate-limit budget. */
  consumer(): Promise<string>;
  consumerKey(): Promise<string>;
}

/** The lean app and the Nest-only app, with the API's deprecation headers and a small rate limit. */
function startBoth() {
  return startLeanAndNestApps({
    RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT),
    SERVING_RESOLVE_TTL_MS: '0',
    API_V1_DEPRECATED_AT: '2030-01-01T00:00:00Z',
    API_V1_SUNSET_AT: '2031-01-01T00:00:00Z',
  });
}

async function prepare(t: TestApp): Promise<Setup> {
  await bootstrapAdmin(t);
  const engineer = await tokenFor(t, 'ml-engineer');
  await createModel(t, engineer, 'iris', { task: 'classification' });
  // v1 then v2 in production: v1 is deprecated (Deprecation, Sunset, Link from a WithHeaders result).
  await versionIn(t, engineer, 'iris', 'production');
  await versionIn(t, engineer, 'iris', 'production');
  await createModel(t, engineer, 'drafty');
  const drafty = (await uploadVersion(t, engineer, 'drafty')).json().version as number;
  return {
    t,
    engineer: () => tokenFor(t, 'ml-engineer'),
    drafty,
    consumer: () => tokenFor(t, 'consumer'),
    consumerKey: () => apiKeyFor(t, 'consumer'),
  };
}

interface Call {
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
  /** Raw body (with its content type) instead of a JSON payload. */
  raw?: { body: string; contentType: string };
}

/** A case: the requests it sends (the last one's answer is compared; earlier ones too). */
type Case = [name: string, requests: (s: Setup) => Promise<Call[]>];

const row = [5.1, 3.5, 1.4, 0.2];
const bearer = async (s: Setup) => authHeader(await s.consumer());
const deep = (depth: number) => '{"instances":'.concat('['.repeat(depth), '1', ']'.repeat(depth), '}');

const CASES: Case[] = [
  ['good predict', async (s) => [{ url: '/v1/models/iris/predict', headers: await bearer(s), payload: { instances: [row] } }]],
  [
    'good predict, API key',
    async (s) => [{ url: '/v1/models/iris/predict', headers: { 'x-api-key': await s.consumerKey() }, payload: { instances: [row, row] } }],
  ],
  [
    'good predict, given version',
    async (s) => [{ url: '/v1/models/iris/versions/2/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'deprecated version (WithHeaders)',
    async (s) => [{ url: '/v1/models/iris/versions/1/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'good predict, alias',
    async (s) => [{ url: '/v1/models/iris/aliases/production/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'bad path param: model name',
    async (s) => [{ url: '/v1/models/Not_A-Name!/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'bad path param: version 0',
    async (s) => [{ url: '/v1/models/iris/versions/0/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'bad path param: version not a number',
    async (s) => [{ url: '/v1/models/iris/versions/one/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'bad path param: alias',
    async (s) => [{ url: '/v1/models/iris/aliases/BAD%20ALIAS/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'bad body envelope: unknown field',
    async (s) => [{ url: '/v1/models/iris/predict', headers: await bearer(s), payload: { instances: [row], extra: 1 } }],
  ],
  ['bad body envelope: an array', async (s) => [{ url: '/v1/models/iris/predict', headers: await bearer(s), payload: [row] }]],
  [
    'bad body: wrong row length',
    async (s) => [{ url: '/v1/models/iris/predict', headers: await bearer(s), payload: { instances: [[1, 2]] } }],
  ],
  [
    'bad body: not JSON',
    async (s) => [
      { url: '/v1/models/iris/predict', headers: await bearer(s), raw: { body: '{"instances":', contentType: 'application/json' } },
    ],
  ],
  [
    'bad body: text/plain',
    async (s) => [{ url: '/v1/models/iris/predict', headers: await bearer(s), raw: { body: 'hello', contentType: 'text/plain' } }],
  ],
  [
    'deep JSON',
    async (s) => [{ url: '/v1/models/iris/predict', headers: await bearer(s), raw: { body: deep(200), contentType: 'application/json' } }],
  ],
  ['missing auth', async () => [{ url: '/v1/models/iris/predict', payload: { instances: [row] } }]],
  ['invalid token', async () => [{ url: '/v1/models/iris/predict', headers: authHeader('not-a-token'), payload: { instances: [row] } }]],
  [
    'both credentials',
    async (s) => [
      { url: '/v1/models/iris/predict', headers: { ...(await bearer(s)), 'x-api-key': 'mg_x' }, payload: { instances: [row] } },
    ],
  ],
  ['bad path param and missing auth (guard first)', async () => [{ url: '/v1/models/Bad!/predict', payload: { instances: [row] } }]],
  // Every role may predict; a consumer on a draft is the role refusal of the inference routes.
  [
    'draft version as consumer (wrong role)',
    async (s) => [{ url: `/v1/models/drafty/versions/${s.drafty}/predict`, headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'draft version as ml-engineer',
    async (s) => [
      { url: `/v1/models/drafty/versions/${s.drafty}/predict`, headers: authHeader(await s.engineer()), payload: { instances: [row] } },
    ],
  ],
  ['unknown model', async (s) => [{ url: '/v1/models/nope/predict', headers: await bearer(s), payload: { instances: [row] } }]],
  [
    'unknown version',
    async (s) => [{ url: '/v1/models/iris/versions/99/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'unknown alias',
    async (s) => [{ url: '/v1/models/iris/aliases/nope/predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  [
    'rate-limited',
    async (s) => {
      const headers = await bearer(s);
      return Array.from({ length: RATE_LIMIT + 1 }, () => ({ url: '/v1/models/iris/predict', headers, payload: { instances: [row] } }));
    },
  ],
  [
    // A known key is admitted without a promise (its standing cached, counted in memory): its 429 must not differ.
    'rate-limited with an API key',
    async (s) => {
      const headers = { 'x-api-key': await s.consumerKey() };
      return Array.from({ length: RATE_LIMIT + 1 }, () => ({ url: '/v1/models/iris/predict', headers, payload: { instances: [row] } }));
    },
  ],
  [
    'v2 infer good',
    async (s) => [
      {
        url: '/v2/models/iris/infer',
        headers: await bearer(s),
        payload: { id: 'r1', inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: row }] },
      },
    ],
  ],
  [
    'v2 infer good, given version',
    async (s) => [
      {
        url: '/v2/models/iris/versions/2/infer',
        headers: await bearer(s),
        payload: { inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: row }] },
      },
    ],
  ],
  ['v2 infer bad envelope', async (s) => [{ url: '/v2/models/iris/infer', headers: await bearer(s), payload: { instances: [row] } }]],
  ['v2 infer bad id', async (s) => [{ url: '/v2/models/iris/infer', headers: await bearer(s), payload: { id: 7, inputs: [] } }]],
  [
    'v2 infer bad tensor',
    async (s) => [
      {
        url: '/v2/models/iris/infer',
        headers: await bearer(s),
        payload: { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] },
      },
    ],
  ],
  [
    'v2 infer bad version param',
    async (s) => [{ url: '/v2/models/iris/versions/x/infer', headers: await bearer(s), payload: { inputs: [] } }],
  ],
  ['v2 infer unknown model', async (s) => [{ url: '/v2/models/nope/infer', headers: await bearer(s), payload: { inputs: [] } }]],
  // TF Serving's :predict (its own filter: `error` in every problem, 400 for input that does not fit).
  ['tf predict good rows', async (s) => [{ url: '/v1/models/iris:predict', headers: await bearer(s), payload: { instances: [row] } }]],
  [
    'tf predict good columns, given version',
    async (s) => [{ url: '/v1/models/iris/versions/2:predict', headers: await bearer(s), payload: { inputs: [row, row] } }],
  ],
  [
    'tf predict good, label',
    async (s) => [{ url: '/v1/models/iris/labels/production:predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
  ['tf predict bad rows', async (s) => [{ url: '/v1/models/iris:predict', headers: await bearer(s), payload: { instances: [[1, 2]] } }]],
  [
    'tf predict bad signature',
    async (s) => [{ url: '/v1/models/iris:predict', headers: await bearer(s), payload: { signature_name: 'x', instances: [row] } }],
  ],
  ['tf predict bad envelope', async (s) => [{ url: '/v1/models/iris:predict', headers: await bearer(s), payload: { examples: [] } }]],
  ['tf predict bad name', async (s) => [{ url: '/v1/models/Bad!:predict', headers: await bearer(s), payload: { instances: [row] } }]],
  ['tf predict missing auth', async () => [{ url: '/v1/models/iris:predict', payload: { instances: [row] } }]],
  [
    'traceparent not sampled',
    async (s) => [
      {
        url: '/v1/models/iris/predict',
        headers: { ...(await bearer(s)), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' },
        payload: { instances: [row] },
      },
    ],
  ],
  [
    'invalid traceparent (a new trace)',
    async (s) => [
      {
        url: '/v1/models/iris/predict',
        headers: { ...(await bearer(s)), traceparent: '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01' },
        payload: { instances: [row] },
      },
    ],
  ],
  [
    'tf predict unknown version',
    async (s) => [{ url: '/v1/models/iris/versions/99:predict', headers: await bearer(s), payload: { instances: [row] } }],
  ],
];

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, unknown>;
}

function normalise(res: LightMyRequestResponse, traceparent: string): Answer {
  const headers: Record<string, unknown> = { ...res.headers };
  delete headers.date;
  // Our span under the caller's trace (or a new trace when it sent no valid one): ids by form.
  const sent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(traceparent);
  const ours = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(String(headers.traceresponse));
  headers.traceresponse = ours
    ? `00-<${sent && sent[2] !== '0'.repeat(16) && ours[1] === sent[1] ? 'sent' : 'new'} trace>-<${ours[2] !== sent?.[2] ? 'own' : 'caller'} span>-${ours[3]}`
    : `malformed: ${String(headers.traceresponse)}`;
  // Seconds until a window resets: the two apps' windows may start a second apart.
  for (const name of ['retry-after', 'x-ratelimit-reset']) if (headers[name] !== undefined) headers[name] = '<seconds>';
  // Measured durations differ run to run; the metric names and the batch rows must not.
  if (typeof headers['server-timing'] === 'string') headers['server-timing'] = headers['server-timing'].replace(/dur=[0-9.]+/g, 'dur=<ms>');
  let body: unknown = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {
    // not JSON: compared as text
  }
  return { status: res.statusCode, body: stripTimestamps(body), headers };
}

/** Timestamps that may differ between two apps (none are expected on these routes; kept honest). */
function stripTimestamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTimestamps);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, /^(timestamp|createdAt|at)$/.test(k) ? '<time>' : stripTimestamps(v)]),
    );
  }
  return value;
}

async function send(t: TestApp, name: string, calls: Call[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (const [i, call] of calls.entries()) {
    const requestId = `parity-${name.replace(/[^A-Za-z0-9]+/g, '-')}-${i}`.slice(0, 128);
    const traceparent = call.headers?.traceparent ?? `00-${createHash('md5').update(requestId).digest('hex')}-00f067aa0ba902b7-01`;
    const res = await t.app.inject({
      method: 'POST',
      url: call.url,
      headers: {
        'x-request-id': requestId,
        traceparent,
        ...(call.raw ? { 'content-type': call.raw.contentType } : {}),
        ...(call.headers ?? {}),
      },
      ...(call.raw ? { payload: call.raw.body } : call.payload !== undefined ? { payload: call.payload as object } : {}),
    });
    answers.push(normalise(res, traceparent));
  }
  return answers;
}

describe('request pipeline: the lean inference routes answer as the Nest path does (e2e)', () => {
  let apps: Awaited<ReturnType<typeof startBoth>>;
  let setup: Setup;
  const seen = new Set<string>();
  const handlerFor = jest.spyOn(LeanRoutes.prototype as unknown as { handlerFor(): unknown }, 'handlerFor');

  beforeAll(async () => {
    apps = await startBoth();
    // The lean app swapped the eight inference handlers (v1 ×3, v2 ×2, TF Serving :predict ×3); the other one kept Nest's.
    expect(handlerFor).toHaveBeenCalledTimes(8);
    handlerFor.mockRestore();
    setup = await prepare(apps.lean);
  }, 120_000);
  afterAll(() => apps?.close());

  it('lists every global enhancer with a lean form', () => {
    expect(GLOBAL_ENHANCERS.map((e) => [e.kind, e.name])).toEqual([
      ['guard', 'AccessGuard'],
      ['pipe', 'ValidationPipe'],
      ['interceptor', 'WithHeadersInterceptor'],
      ['filter', 'ProblemDetailsFilter'],
    ]);
    for (const e of GLOBAL_ENHANCERS) expect(e.lean).toBeDefined();
  });

  it.each(CASES)('%s: same status, body and headers', async (name, requests) => {
    const calls = await requests(setup);
    const onLean = await send(apps.lean, name, calls);
    const onNest = await send(apps.nest, name, calls);
    expect(onLean).toEqual(onNest);
    // Both continue the caller's trace under a span of their own (a new trace for an invalid header).
    const traced = name.startsWith('invalid traceparent') ? 'new trace' : 'sent trace';
    expect(onLean[onLean.length - 1].headers.traceresponse).toBe(`00-<${traced}>-<own span>-${name.includes('not sampled') ? '00' : '01'}`);
    const url = calls[calls.length - 1].url;
    seen.add(`${url.includes(':') ? 'tf' : url.slice(1, 3)} ${onLean[onLean.length - 1].status}`);
  });

  it('covered good and bad answers on both API versions and TF Serving (the table is not vacuous)', () => {
    expect([...seen].sort()).toEqual([
      'tf 200',
      'tf 400',
      'tf 401',
      'tf 404',
      'v1 200',
      'v1 400',
      'v1 401',
      'v1 403',
      'v1 404',
      'v1 415',
      'v1 422',
      'v1 429',
      'v2 200',
      'v2 400',
      'v2 404',
    ]);
  });
});
