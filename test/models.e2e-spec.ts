import { DataSource } from 'typeorm';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { createModel, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

describe('model registry: models (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);

  it('creates a model (201) and reads it back with the contract shape', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/models',
      headers: authHeader(engineer),
      payload: { name: 'iris', description: 'Iris species', task: 'classification', tags: ['tabular', 'demo'] },
    });
    expect(res.statusCode).toBe(201);
    const model = res.json();
    expect(model).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'iris',
      description: 'Iris species',
      task: 'classification',
      tags: ['tabular', 'demo'],
      requireApproval: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      productionVersion: null,
      latestVersion: null,
      model_version_status: [],
    });
    const got = await inject({ method: 'GET', url: '/v1/models/iris', headers: authHeader(consumer) });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(model);
    expect(got.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });

  it('refuses a duplicate name (409) and a bad name (400 naming the field)', async () => {
    await createModel(t, engineer, 'dup-model');
    const dup = await inject({ method: 'POST', url: '/v1/models', headers: authHeader(engineer), payload: { name: 'dup-model' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('MODEL_ALREADY_EXISTS');
    const bad = await inject({ method: 'POST', url: '/v1/models', headers: authHeader(engineer), payload: { name: 'Bad Name!' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'name' })]);
    const unknown = await inject({
      method: 'POST',
      url: '/v1/models',
      headers: authHeader(engineer),
      payload: { name: 'ok-name', owner: 'x' },
    });
    expect(unknown.statusCode).toBe(400);
  });

  it('lists with paging and filters by tag, task and q', async () => {
    await createModel(t, engineer, 'filter-a', { task: 'regression', tags: ['finance'], description: 'Predicts house PRICES' });
    await createModel(t, engineer, 'filter-b', { task: 'classification', tags: ['finance', 'fraud'] });
    await createModel(t, engineer, 'filter-c', { task: 'classification', tags: ['vision'] });
    const list = async (qs: string) => {
      const res = await inject({ method: 'GET', url: `/v1/models?${qs}`, headers: authHeader(consumer) });
      expect(res.statusCode).toBe(200);
      return res.json();
    };
    expect((await list('tag=finance')).items.map((m: { name: string }) => m.name)).toEqual(['filter-a', 'filter-b']);
    expect((await list('tag=finance&task=classification')).items.map((m: { name: string }) => m.name)).toEqual(['filter-b']);
    expect((await list('q=house%20prices')).items.map((m: { name: string }) => m.name)).toEqual(['filter-a']);
    expect((await list('q=filter-')).page.total).toBe(3);
    const page = await list('q=filter-&limit=2&offset=1');
    expect(page).toEqual({
      items: [expect.objectContaining({ name: 'filter-b' }), expect.objectContaining({ name: 'filter-c' })],
      page: { limit: 2, offset: 1, total: 3 },
    });
    // LIKE wildcards in q are literal.
    expect((await list('q=%25')).page.total).toBe(0);
    const tooMany = await inject({ method: 'GET', url: '/v1/models?limit=101', headers: authHeader(consumer) });
    expect(tooMany.statusCode).toBe(400);
  });

  it('updates with PATCH, honouring If-Match (412 on a stale ETag) and changing the ETag', async () => {
    await createModel(t, engineer, 'patchable', { description: 'old' });
    const first = await inject({ method: 'GET', url: '/v1/models/patchable', headers: authHeader(consumer) });
    const etag = first.headers.etag as string;
    const ok = await inject({
      method: 'PATCH',
      url: '/v1/models/patchable',
      headers: { ...authHeader(engineer), 'if-match': etag },
      payload: { description: 'new', tags: ['x', 'x', 'y'] },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual(expect.objectContaining({ description: 'new', tags: ['x', 'y'] }));
    expect(ok.headers.etag).not.toBe(etag);
    const stale = await inject({
      method: 'PATCH',
      url: '/v1/models/patchable',
      headers: { ...authHeader(engineer), 'if-match': etag },
      payload: { description: 'lost update' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('PRECONDITION_FAILED');
    expect(stale.headers.etag).toBe(ok.headers.etag);
    const clear = await inject({
      method: 'PATCH',
      url: '/v1/models/patchable',
      headers: authHeader(engineer),
      payload: { description: null },
    });
    expect(clear.json().description).toBeNull();
    const rename = await inject({
      method: 'PATCH',
      url: '/v1/models/patchable',
      headers: authHeader(engineer),
      payload: { name: 'other' },
    });
    expect(rename.statusCode).toBe(400);
  });

  it('enforces roles per route: consumers read, engineers write, admins delete', async () => {
    await createModel(t, engineer, 'roles-model');
    const cases: [string, string, string, number, Record<string, unknown>?][] = [
      [consumer, 'POST', '/v1/models', 403, { name: 'by-consumer' }],
      [consumer, 'PATCH', '/v1/models/roles-model', 403, { description: 'x' }],
      [engineer, 'DELETE', '/v1/models/roles-model', 403],
      [consumer, 'DELETE', '/v1/models/roles-model', 403],
    ];
    for (const [token, method, url, status, payload] of cases) {
      const res = await inject({ method: method as 'POST', url, headers: authHeader(token), payload });
      expect({ method, url, status: res.statusCode }).toEqual({ method, url, status });
    }
    const anonymous = await inject({ method: 'GET', url: '/v1/models' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('deletes softly (204, then 404), keeps the name reserved, and needs force while in production', async () => {
    await createModel(t, engineer, 'doomed');
    const del = await inject({ method: 'DELETE', url: '/v1/models/doomed', headers: authHeader(admin) });
    expect(del.statusCode).toBe(204);
    expect((await inject({ method: 'GET', url: '/v1/models/doomed', headers: authHeader(admin) })).statusCode).toBe(404);
    const row = await t.app.get(DataSource).query(`SELECT deleted_at FROM models WHERE name = 'doomed'`);
    expect(row[0].deleted_at).not.toBeNull();
    const again = await inject({ method: 'POST', url: '/v1/models', headers: authHeader(engineer), payload: { name: 'doomed' } });
    expect(again.statusCode).toBe(409);

    await createModel(t, engineer, 'served');
    const v = await versionIn(t, engineer, 'served', 'production');
    const refused = await inject({ method: 'DELETE', url: '/v1/models/served', headers: authHeader(admin) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual(expect.objectContaining({ code: 'MODEL_HAS_PRODUCTION_VERSION', productionVersion: v }));
    const forced = await inject({ method: 'DELETE', url: '/v1/models/served?force=true', headers: authHeader(admin) });
    expect(forced.statusCode).toBe(204);
    const audit = await inject({ method: 'GET', url: '/v1/audit-events?action=model.deleted', headers: authHeader(admin) });
    expect(audit.json().items.map((e: { details: { model: string; force: boolean } }) => e.details)).toEqual(
      expect.arrayContaining([expect.objectContaining({ model: 'served', force: true, productionVersion: v })]),
    );
  });

  it('answers unknown models with a 404 problem', async () => {
    const res = await inject({ method: 'GET', url: '/v1/models/nope-nope', headers: authHeader(consumer) });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().code).toBe('MODEL_NOT_FOUND');
  });
});
