import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_ERROR_CODES, ERROR_CODES, type ErrorCode } from '@app/common';
import { buildOpenApiDocument, OPENAPI_TAGS, oneCredentialPerRequest } from '../apps/api/src/openapi';
import { apiKeyFor, authHeader, tokenFor } from './support/auth';
import { multipart } from './support/multipart';
import { createModel, fixtureFile, fixtureFiles } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The API documentation works: Swagger UI's security headers, the version upload as a form sends it,
 * GET /, and an OpenAPI document that describes every response and every error code truly.
 * (test/docs-browser.e2e-spec.ts drives the page itself in Chromium.)
 */

type Example = { $ref?: string; summary?: string; value?: Record<string, unknown> };
type Media = { schema?: Record<string, unknown>; examples?: Record<string, Example> };
type Operation = { tags?: string[]; responses: Record<string, { description?: string; content?: Record<string, Media> }> };
type Doc = {
  info: { version: string; description: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, { enum?: unknown[] }> }>; examples?: Record<string, Example> };
};

const root = join(__dirname, '..');
const committed = (): Doc => JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as Doc;
const operations = (doc: Doc) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
const example = (doc: Doc, e: Example): Example => (e.$ref ? doc.components.examples![e.$ref.replace('#/components/examples/', '')] : e);

describe('API documentation (e2e)', () => {
  let t: TestApp;
  let engineer: string;

  beforeAll(async () => {
    t = await startTestApp();
    engineer = await tokenFor(t, 'ml-engineer');
    await createModel(t, engineer, 'iris');
  });
  afterAll(() => t?.close());

  describe("Swagger UI's security headers", () => {
    it('over plain HTTP: no upgrade-insecure-requests (the page would load its scripts over https, and be blank)', async () => {
      for (const url of ['/docs', '/docs/', '/docs/swagger-ui-init.js']) {
        const res = await t.app.inject({ method: 'GET', url, headers: { host: 'modelgate.test:3000' } });
        expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
        const csp = String(res.headers['content-security-policy']);
        expect(csp).not.toContain('upgrade-insecure-requests');
        expect(csp).toContain("script-src 'self'");
        expect(res.headers['strict-transport-security']).toBeUndefined();
      }
    });

    it('configures Swagger UI: remembered authorizations, the operation filter, one credential per request', async () => {
      const init = (await t.app.inject({ method: 'GET', url: '/docs/swagger-ui-init.js' })).body;
      expect(init).toMatch(/"persistAuthorization": true/);
      expect(init).toMatch(/"filter": true/);
      expect(init).toMatch(/"requestInterceptor": function oneCredentialPerRequest\(request\)/);
    });

    it("the page's request interceptor drops X-API-Key when Authorization is set, and only then", () => {
      const both = { headers: { Authorization: 'Bearer t', 'X-API-Key': 'k', Accept: '*/*' } };
      expect(oneCredentialPerRequest(both).headers).toEqual({ Authorization: 'Bearer t', Accept: '*/*' });
      const key = { headers: { 'X-API-Key': 'k' } };
      expect(oneCredentialPerRequest(key).headers).toEqual({ 'X-API-Key': 'k' });
      expect(oneCredentialPerRequest({}).headers).toBeUndefined();
      // The API itself stays strict.
    });

    it('the API itself still refuses both credentials at once (401 AMBIGUOUS_CREDENTIALS)', async () => {
      const key = await apiKeyFor(t, 'consumer');
      const res = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: { ...authHeader(engineer), 'x-api-key': key } });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('AMBIGUOUS_CREDENTIALS');
    });
  });

  describe('GET /', () => {
    it('redirects (302) to the console, without credentials', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/console/');
    });

    it('is not an API operation: the OpenAPI document leaves it out', () => {
      expect(Object.keys(buildOpenApiDocument(t.app).paths)).not.toContain('/');
    });
  });

  describe('a version upload as a form (Swagger UI, HTML) sends it', () => {
    const upload = async (files: Parameters<typeof multipart>[0], fields: Record<string, string>) => {
      const body = await multipart(files, fields);
      return t.app.inject({
        method: 'POST',
        url: '/v1/models/iris/versions',
        headers: { ...authHeader(engineer), ...body.headers },
        payload: body.payload,
      });
    };
    const loose = () => fixtureFiles('classifier').filter((f) => f.filename !== 'labels.json');
    const empty = { description: '', labels: '', metrics: '', params: '' };

    it('takes labels typed as comma-separated class names', async () => {
      const res = await upload(loose(), { labels: 'red, green,blue' });
      expect(res.statusCode).toBe(201);
      expect(res.json().labels).toEqual(['red', 'green', 'blue']);
    });

    it('takes labels as a JSON array, as before', async () => {
      const res = await upload(loose(), { labels: '["red","green","blue"]', metrics: '{"accuracy":0.9}' });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ labels: ['red', 'green', 'blue'], metrics: { accuracy: 0.9 } });
    });

    it('treats fields sent empty as not sent, and skips the empty archive input', async () => {
      const res = await upload(loose(), { ...empty, archive: '' });
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({ description: null, labels: null, metrics: {}, params: {} });
    });

    it('skips an empty `files` part beside an archive (a text part, or a file part with no name and no bytes)', async () => {
      const archive = { field: 'archive', filename: 'classifier.zip', data: fixtureFile('classifier.zip') };
      const asText = await upload([archive], { ...empty, files: '' });
      expect(asText.statusCode).toBe(201);
      const asFile = await upload([{ field: 'files', filename: '', data: Buffer.alloc(0) }, archive], empty);
      expect(asFile.statusCode).toBe(201);
    });

    it('still refuses bad input with a clear problem naming the field', async () => {
      const cases: [Record<string, string>, number, string][] = [
        [{ labels: 'red,,blue' }, 400, 'labels'],
        [{ labels: '["red", "green"' }, 400, 'labels'],
        [{ metrics: 'accuracy=0.9' }, 400, 'metrics'],
        [{ labels: 'red,green' }, 422, 'labels'],
      ];
      for (const [fields, status, field] of cases) {
        const res = await upload(loose(), fields);
        expect({ fields, status: res.statusCode, type: res.headers['content-type'], field: res.json().errors?.[0]?.field }).toEqual({
          fields,
          status,
          type: expect.stringMatching(/^application\/problem\+json/),
          field,
        });
      }
      const nothing = await upload([], { ...empty, files: '', archive: '' });
      expect({ status: nothing.statusCode, field: nothing.json().errors?.[0]?.field }).toEqual({ status: 400, field: 'files' });
      const textFile = await upload([], { files: 'model.json' });
      expect({ status: textFile.statusCode, field: textFile.json().errors?.[0]?.field }).toEqual({ status: 400, field: 'files' });
    });

    it('a dataset upload with its file input left empty says that `file` is required', async () => {
      const body = await multipart([{ field: 'file', filename: '', data: Buffer.alloc(0) }], { name: 'iris' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { ...authHeader(engineer), ...body.headers },
        payload: body.payload,
      });
      expect({ status: res.statusCode, fields: res.json().errors?.map((e: { field: string }) => e.field) }).toEqual({
        status: 400,
        fields: ['file'],
      });
    });
  });

  describe('the OpenAPI document', () => {
    it('is the committed openapi.json', () => {
      expect(buildOpenApiDocument(t.app)).toEqual(committed());
    });

    it("has the root package.json's version, a server, and a link to the raw document", () => {
      const doc = committed();
      expect(doc.info.version).toBe((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
      expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
      expect(doc.info.description).toContain('](/docs/openapi.json)');
      expect(doc.info.description).toContain('AMBIGUOUS_CREDENTIALS');
    });

    it('describes every tag it uses, auth first', () => {
      const doc = committed();
      const described = (doc.tags ?? []).map((tag) => tag.name);
      expect(described[0]).toBe('auth');
      expect(described).toEqual(OPENAPI_TAGS.map((tag) => tag.name));
      for (const tag of doc.tags ?? [])
        expect({ tag: tag.name, described: (tag.description ?? '').length > 10 }).toEqual({ tag: tag.name, described: true });
      const used = new Set(operations(doc).flatMap(({ op }) => op.tags ?? []));
      // A new tag: describe it in OPENAPI_TAGS (apps/api/src/openapi.ts).
      expect([...used].filter((tag) => !described.includes(tag))).toEqual([]);
    });

    it('describes every success response', () => {
      const missing = operations(committed()).flatMap(({ path, method, op }) =>
        Object.entries(op.responses)
          .filter(([status, response]) => /^2/.test(status) && !response.description?.trim())
          .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
      );
      expect(missing).toEqual([]);
    });

    it("lists every catalogued error code as the enum of the problem's code, and the extension members", () => {
      const problem = committed().components.schemas.ProblemDocumentDto;
      expect(problem.properties!.code.enum).toEqual(ALL_ERROR_CODES);
      expect(Object.keys(problem.properties!)).toEqual(
        expect.arrayContaining(['errors', 'error', 'requestId', 'allowedTargets', 'reason', 'line', 'column', 'maxRows', 'checks']),
      );
    });

    it('gives each error status its own examples, each a code the catalogue gives that status', () => {
      const doc = committed();
      const wrong: string[] = [];
      for (const { path, method, op } of operations(doc)) {
        for (const [status, response] of Object.entries(op.responses)) {
          const media = response.content?.['application/problem+json'];
          if (!media) continue;
          const examples = Object.entries(media.examples ?? {});
          if (!examples.length) wrong.push(`${method} ${path} ${status}: no example`);
          for (const [code, ref] of examples) {
            const value = example(doc, ref).value!;
            const statuses = ERROR_CODES[code as ErrorCode]?.status as readonly unknown[] | undefined;
            if (value.code !== code || value.status !== Number(status) || !statuses?.includes(Number(status))) {
              wrong.push(`${method} ${path} ${status}: ${code} (${value.code} ${value.status})`);
            }
            if (path.startsWith('/v2') !== (value.error !== undefined)) wrong.push(`${method} ${path} ${status}: ${code} error member`);
          }
        }
      }
      expect(wrong).toEqual([]);
      // The reported bug: every status showed the same MODEL_NOT_FOUND 404 example.
      const predict = doc.paths['/v1/models/{name}/predict'].post.responses;
      const codes = (status: string) => Object.keys(predict[status].content!['application/problem+json'].examples!);
      expect(codes('401')).toContain('UNAUTHENTICATED');
      expect(codes('403')).toContain('INSUFFICIENT_ROLE');
      expect(codes('404')).toEqual(expect.arrayContaining(['MODEL_NOT_FOUND', 'NO_PRODUCTION_VERSION']));
      expect(codes('410')).toEqual(['MODEL_VERSION_RETIRED']);
      expect(codes('422')).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'OUTPUT_TOO_LARGE']));
      expect(codes('429')).toEqual(expect.arrayContaining(['RATE_LIMITED', 'INFERENCE_QUEUE_FULL']));
    });

    it('types the training events stream: the data of progress, status and revoked events', () => {
      const doc = committed();
      const stream = doc.paths['/v1/training-jobs/{id}/events'].get.responses['200'];
      expect(stream.content!['text/event-stream'].schema).toEqual({
        oneOf: [
          { $ref: '#/components/schemas/TrainingProgressEventDto' },
          { $ref: '#/components/schemas/TrainingJobDto' },
          { $ref: '#/components/schemas/TrainingRevokedEventDto' },
        ],
      });
      for (const event of ['`progress`', '`status`', '`revoked`']) expect(stream.description).toContain(event);
      expect(Object.keys(doc.components.schemas.TrainingProgressEventDto.properties!)).toEqual(
        expect.arrayContaining(['epoch', 'epochs', 'attempt', 'loss', 'valLoss', 'durationMs']),
      );
    });
  });
});

// Its own app, after the suite's app has closed (two in-process apps share the inference engine).
describe("Swagger UI's security headers over TLS (e2e)", () => {
  it('over TLS: upgrade-insecure-requests, with HSTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-docs-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1'].concat([
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]),
      { stdio: 'ignore' },
    );
    const tls = await startTestApp({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'key.pem') });
    try {
      const res = await tls.app.inject({ method: 'GET', url: '/docs' });
      expect(String(res.headers['content-security-policy']).split(';')).toContain('upgrade-insecure-requests');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=/);
    } finally {
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
