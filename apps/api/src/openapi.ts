import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { PROBLEM_EXAMPLE_INSTANCE, SECURITY_SCHEMES } from '@app/common';

/** Where Swagger UI is served, and the raw document beside it (CONTRACT.md). */
export const DOCS_PATH = '/docs';
export const OPENAPI_JSON_PATH = `${DOCS_PATH}/openapi.json`;

/**
 * The tags, in the order Swagger UI shows them (signing in first). A controller's `@ApiTags` names
 * one of these; test/docs-openapi.e2e-spec.ts fails on a tag used but not described here.
 */
export const OPENAPI_TAGS: readonly { name: string; description: string }[] = [
  {
    name: 'auth',
    description:
      'Sign in (email + password → access and refresh token), refresh, sign out, who am I, and the OAuth2 client-credentials ' +
      'token endpoint for service accounts. Use the access token with **Authorize → bearer**.',
  },
  { name: 'users', description: 'People who sign in, and their roles (admin).' },
  {
    name: 'api-keys',
    description: 'Service accounts: an API key (`X-API-Key`) and an OAuth2 client id/secret, shown once at creation (admin).',
  },
  { name: 'models', description: 'The model registry: models by name, with tags, task and their production and latest versions.' },
  {
    name: 'model versions',
    description:
      'Versions of a model: upload (TensorFlow.js model.json + weights, or one archive), the stage lifecycle ' +
      '(draft → staging → production → deprecated → retired), artifact download and quantization.',
  },
  {
    name: 'model aliases and traffic',
    description: 'Named pointers to versions, the canary split of production traffic, and shadow runs with their report.',
  },
  {
    name: 'promotion requests',
    description: 'Moves to production that wait for an approver (requireApproval, PROMOTION_REQUIRES_APPROVAL); approve or reject.',
  },
  {
    name: 'predictions',
    description: 'Predict with the production version, a given version or an alias (v1, TF Serving style), and per-model serving settings.',
  },
  { name: 'inference (v2)', description: 'The Open Inference Protocol (KServe v2 / Triton compatible).' },
  { name: 'datasets', description: 'Training data: CSV with a header, or JSON lines, checked in full at upload.' },
  {
    name: 'training jobs',
    description: 'Train a dense network on a dataset; follow it as Server-Sent Events; a succeeded job registers a new staging version.',
  },
  { name: 'usage', description: 'Prediction usage for cost analysis (admin).' },
  {
    name: 'monitoring',
    description:
      "Drift: each version's reference profile (from training, a dataset, or given) and how the data served to it compares (PSI).",
  },
  { name: 'audit', description: 'The audit log: sign-ins, keys, users and roles, lifecycle transitions (admin).' },
  {
    name: 'webhooks',
    description: 'Signed, retried HTTP callbacks on registry and training events, to allow-listed hosts (admin). See docs/webhooks.md.',
  },
  { name: 'health', description: 'Liveness and readiness probes (public).' },
];

const DESCRIPTION = `Register, version, train and serve machine-learning models (TensorFlow.js) over HTTP.

**The raw OpenAPI document:** [${OPENAPI_JSON_PATH}](${OPENAPI_JSON_PATH}) (also [YAML](${DOCS_PATH}/openapi.yaml)).

### Credentials
A request authenticates with **either** \`Authorization: Bearer <access token>\` (from \`POST /v1/auth/login\`, or
\`POST /v1/auth/token\` for a service account's client id and secret) **or** \`X-API-Key: <key>\`. The API refuses a
request that carries both with \`401 AMBIGUOUS_CREDENTIALS\`. In this page, when both **bearer** (or **oauth2**) and
**apiKey** are authorized, only the bearer token is sent: the \`X-API-Key\` header is dropped. Log out of one scheme
to use the other. Authorizations are kept across reloads of this page (in the browser's local storage); log out to
forget them.

### Errors
Every error is RFC 9457 \`application/problem+json\` with a stable \`code\` (the \`enum\` of \`ProblemDocumentDto.code\`;
docs/errors.md gives each code's status and meaning), the \`requestId\` (also in the \`X-Request-Id\` header of every
response) and, for validation, \`errors: [{field, message}]\`. Each error response below shows an example per code.

### Collections
\`GET\` collections answer \`{items, page: {limit, offset, total}}\` with \`?limit=\` (default 20, max 100) and \`?offset=\`.`;

/** The root package.json's version: the API's version (info.version). */
export function apiVersion(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'modelgate' && pkg.version) return pkg.version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('The root package.json (modelgate) was not found above ' + __dirname);
    dir = parent;
  }
}

/** The OpenAPI document generated from the code: served at /docs and committed as openapi.json. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('ModelGate')
    .setDescription(DESCRIPTION)
    .setVersion(apiVersion())
    .addServer('/', 'This server')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'An access token from POST /v1/auth/login (or /v1/auth/token). Wins over apiKey in this page when both are set.',
      },
      SECURITY_SCHEMES.bearer,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description: "A service account's key. Never together with Authorization (401 AMBIGUOUS_CREDENTIALS).",
      },
      SECURITY_SCHEMES.apiKey,
    )
    .addOAuth2(
      {
        type: 'oauth2',
        description: "OAuth2 client credentials: an API key's clientId and clientSecret for a bearer token.",
        flows: { clientCredentials: { tokenUrl: '/v1/auth/token', scopes: {} } },
      },
      SECURITY_SCHEMES.oauth2,
    );
  for (const tag of OPENAPI_TAGS) builder.addTag(tag.name, tag.description);
  // A copy: the explorer may hand out objects kept in decorator metadata, which this then edits.
  const document = structuredClone(
    SwaggerModule.createDocument(app, builder.build(), {
      // Method names become SDK method names; tests keep them unique.
      operationIdFactory: (_controllerKey, methodKey) => methodKey,
    }),
  );
  shareProblemExamples(document);
  return sortKeys(document) as OpenAPIObject;
}

/** Example path parameters, for the `instance` of the problem examples. */
const EXAMPLE_PARAMS: Record<string, string> = {
  name: 'iris',
  version: '2',
  alias: 'champion',
  id: '6d1c5a52-1f4e-4f7a-9a43-5d0c2f3b8e11',
};

type ExampleObject = { summary?: string; value?: Record<string, unknown>; $ref?: string };

/**
 * The problem examples, written once: each (code, status, v1/v2) example goes to
 * `components.examples` and the responses refer to it (the document stays small enough to load
 * fast in the browser). Its `instance` is a path that answers it, and on /v2 it carries the
 * protocol's `error`, as the server writes them.
 */
function shareProblemExamples(document: OpenAPIObject): void {
  const shared: Record<string, ExampleObject> = {};
  const paths = Object.keys(document.paths).sort();
  for (const path of paths) {
    const v2 = path === '/v2' || path.startsWith('/v2/');
    const instance = path.replace(/\{(\w+)\}/g, (_, param: string) => EXAMPLE_PARAMS[param] ?? param);
    for (const operation of Object.values(document.paths[path] as Record<string, { responses?: Record<string, unknown> }>)) {
      for (const [status, response] of Object.entries(operation?.responses ?? {})) {
        const media = (response as { content?: Record<string, { examples?: Record<string, ExampleObject> }> }).content?.[
          'application/problem+json'
        ];
        for (const [code, example] of Object.entries(media?.examples ?? {})) {
          if (!example.value || example.value.instance !== PROBLEM_EXAMPLE_INSTANCE) continue;
          const key = `${code}_${status}${v2 ? '_v2' : ''}`;
          shared[key] ??= { ...example, value: { ...example.value, instance, ...(v2 ? { error: example.value.detail } : {}) } };
          media!.examples![code] = { $ref: `#/components/examples/${key}` };
        }
      }
    }
  }
  document.components = { ...document.components, examples: { ...document.components?.examples, ...shared } };
}

/** Deterministic output: the committed file must not change with module load order. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * Swagger UI sends every scheme the user authorized. The API refuses a request with both
 * Authorization and X-API-Key (401 AMBIGUOUS_CREDENTIALS), so the page keeps the bearer token and
 * drops the key. Runs in the browser: serialized with Function#toString, so it uses nothing from
 * outside its body.
 */
export function oneCredentialPerRequest(request: { headers?: Record<string, unknown> }) {
  const headers = request.headers || {};
  const names = Object.keys(headers);
  const bearer = names.some((name) => name.toLowerCase() === 'authorization' && Boolean(headers[name]));
  if (bearer) {
    for (const name of names) if (name.toLowerCase() === 'x-api-key') delete headers[name];
  }
  return request;
}

export function serveOpenApi(app: INestApplication, document: OpenAPIObject): void {
  SwaggerModule.setup(DOCS_PATH.slice(1), app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH.slice(1),
    yamlDocumentUrl: `${DOCS_PATH.slice(1)}/openapi.yaml`,
    customSiteTitle: 'ModelGate API',
    swaggerOptions: {
      // Authorizations survive a reload (local storage); "Logout" in the dialog forgets them.
      persistAuthorization: true,
      // A search box over tags (operations are grouped by tag).
      filter: true,
      displayRequestDuration: true,
      requestInterceptor: oneCredentialPerRequest,
    },
  });
}
