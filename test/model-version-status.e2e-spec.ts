import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { authHeader, bootstrapAdmin, createUser, tokenFor } from './support/auth';
import { createModel, transition, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/** TF Serving's GetModelStatus members on the registry's model and version resources. */
describe("model_version_status on models and versions (TF Serving's GetModelStatus) (e2e)", () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;

  const OK = { error_code: 'OK', error_message: '' };
  const available = (version: number) => ({ version: String(version), state: 'AVAILABLE', status: OK });
  const ended = (version: number) => ({ version: String(version), state: 'END', status: OK });

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = (await createUser(t, 'ml-engineer')).accessToken;
    consumer = await tokenFor(t, 'consumer');
  });
  afterAll(() => t?.close());

  const get = (url: string, token = consumer) => t.app.inject({ method: 'GET', url, headers: authHeader(token) });
  const moved = async (name: string, version: number, to: string, token = engineer) => {
    const res = await transition(t, token, name, version, { to });
    if (res.statusCode !== 200) throw new Error(`transition to ${to}: ${res.statusCode} ${res.body}`);
  };

  it('is empty on a model without versions', async () => {
    const created = await createModel(t, engineer, 'status-empty');
    expect(created.model_version_status).toEqual([]);
    expect((await get('/v1/models/status-empty')).json().model_version_status).toEqual([]);
  });

  describe('a model with a version in every stage', () => {
    // v1 deprecated (superseded by v2), v2 production, v3 staging, v4 draft, v5 retired.
    beforeAll(async () => {
      await createModel(t, engineer, 'status-mix');
      await versionIn(t, engineer, 'status-mix', 'production');
      await versionIn(t, engineer, 'status-mix', 'production');
      await versionIn(t, engineer, 'status-mix', 'staging');
      await versionIn(t, engineer, 'status-mix', 'draft');
      const v5 = await versionIn(t, engineer, 'status-mix', 'staging');
      await moved('status-mix', v5, 'retired', admin);
    });

    it('lists exactly its staging, production and deprecated versions, newest first, as strings, AVAILABLE and OK', async () => {
      const res = await get('/v1/models/status-mix');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(expect.objectContaining({ productionVersion: 2, latestVersion: 5 }));
      expect(res.json().model_version_status).toEqual([available(3), available(2), available(1)]);
      const stages = await get('/v1/models/status-mix/versions?limit=10');
      expect(stages.json().items.map((v: { version: number; stage: string }) => [v.version, v.stage])).toEqual([
        [5, 'retired'],
        [4, 'draft'],
        [3, 'staging'],
        [2, 'production'],
        [1, 'deprecated'],
      ]);
    });

    it('lists the same entries on the model in the collection', async () => {
      const res = await get('/v1/models?q=status-mix');
      expect(res.json().items.map((m: { name: string; model_version_status: unknown }) => [m.name, m.model_version_status])).toEqual([
        ['status-mix', [available(3), available(2), available(1)]],
      ]);
    });

    it('carries, on each version, that version alone: AVAILABLE unless retired (drafts included), END once retired', async () => {
      const statuses = await Promise.all([1, 2, 3, 4, 5].map(async (v) => (await get(`/v1/models/status-mix/versions/${v}`)).json()));
      expect(statuses.map((v: { model_version_status: unknown }) => v.model_version_status)).toEqual([
        [available(1)],
        [available(2)],
        [available(3)],
        [available(4)],
        [ended(5)],
      ]);
      // The collection's items are the same representations.
      const items = (await get('/v1/models/status-mix/versions?limit=10')).json().items;
      expect(items.map((v: { model_version_status: unknown }) => v.model_version_status)).toEqual([
        [ended(5)],
        [available(4)],
        [available(3)],
        [available(2)],
        [available(1)],
      ]);
    });
  });

  it('follows stage changes: the model list and both ETags change, and END replaces AVAILABLE on retirement', async () => {
    await createModel(t, engineer, 'status-moves');
    const v = await versionIn(t, engineer, 'status-moves', 'draft');
    const model0 = await get('/v1/models/status-moves');
    const version0 = await get(`/v1/models/status-moves/versions/${v}`);
    expect(model0.json().model_version_status).toEqual([]);
    expect(version0.json().model_version_status).toEqual([available(v)]);

    await moved('status-moves', v, 'staging');
    const model1 = await get('/v1/models/status-moves');
    const version1 = await get(`/v1/models/status-moves/versions/${v}`);
    expect(model1.json().model_version_status).toEqual([available(v)]);
    expect(model1.headers.etag).not.toBe(model0.headers.etag);
    expect(version1.headers.etag).not.toBe(version0.headers.etag);

    await moved('status-moves', v, 'retired', admin);
    const model2 = await get('/v1/models/status-moves');
    const version2 = await get(`/v1/models/status-moves/versions/${v}`);
    expect(model2.json().model_version_status).toEqual([]);
    expect(version2.json().model_version_status).toEqual([ended(v)]);
    expect(model2.headers.etag).not.toBe(model1.headers.etag);
    expect(version2.headers.etag).not.toBe(version1.headers.etag);
  });

  it("keeps the model's If-Match exact: a tag from before a stage change is stale, the current one updates", async () => {
    await createModel(t, engineer, 'status-etag');
    const before = (await get('/v1/models/status-etag')).headers.etag as string;
    await versionIn(t, engineer, 'status-etag', 'staging');
    const patch = (etag: string) =>
      t.app.inject({
        method: 'PATCH',
        url: '/v1/models/status-etag',
        headers: { ...authHeader(engineer), 'if-match': etag },
        payload: { description: 'moved' },
      });
    expect((await patch(before)).statusCode).toBe(412);

    const current = await get('/v1/models/status-etag');
    const updated = await patch(current.headers.etag as string);
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toEqual(expect.objectContaining({ description: 'moved', model_version_status: [available(1)] }));
    // The PATCH answer's tag is the one a GET now reads.
    expect(updated.headers.etag).toBe((await get('/v1/models/status-etag')).headers.etag);
  });

  it('is in the OpenAPI document (served and committed) on both resources, version a string', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8')) as { components: { schemas: Schemas } };
    for (const schemas of [buildOpenApiDocument(t.app).components?.schemas as Schemas, committed.components.schemas]) {
      for (const resource of ['ModelDto', 'ModelVersionDto']) {
        expect(schemas[resource].required).toContain('model_version_status');
        expect(schemas[resource].properties?.model_version_status).toEqual(
          expect.objectContaining({ type: 'array', items: { $ref: '#/components/schemas/ModelVersionStatusDto' } }),
        );
      }
      const entry = schemas.ModelVersionStatusDto;
      expect(entry.required).toEqual(expect.arrayContaining(['version', 'state', 'status']));
      expect(entry.properties?.version).toEqual(expect.objectContaining({ type: 'string' }));
      expect(entry.properties?.state).toEqual(expect.objectContaining({ enum: ['AVAILABLE', 'LOADING', 'UNKNOWN', 'END'] }));
      expect(schemas.VersionStatusErrorDto.properties).toEqual({
        error_code: expect.objectContaining({ enum: ['OK'] }),
        error_message: expect.objectContaining({ enum: [''] }),
      });
    }
  });
});

type Schemas = Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
