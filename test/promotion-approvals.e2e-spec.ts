import { DataSource } from 'typeorm';
import { UsageRecorder } from '@app/predictions';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, createUser, TestUser } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, transition, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Governance (CONTRACT.md, "Governance and rollout (v1)"): promotions that wait for an approver
 * other than their requester, and the sunsets list with who still calls a deprecated version.
 * Runs on the embedded database, and on Postgres in CI's second pass.
 */
const DAY_MS = 86_400_000;
const instances = readFixtureReference('classifier').inputs.slice(0, 2);

describe('promotion approvals and sunsets (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;
  let engineer: TestUser;
  let approver: TestUser;
  let plainEngineer: TestUser;

  const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, token: string, payload?: object) =>
    t.app.inject({ method, url, headers: authHeader(token), ...(payload ? { payload } : {}) });
  const stageOf = async (name: string, version: number) =>
    (await inject('GET', `/v1/models/${name}/versions/${version}`, admin.accessToken)).json().stage;
  const outbox = async (type: string) =>
    (await t.app.get(DataSource).query(`SELECT data FROM outbox_events WHERE type = $1 ORDER BY seq`, [type])).map(
      (r: { data: Record<string, unknown> }) => r.data,
    );

  beforeAll(async () => {
    t = await startTestApp({ SUNSET_SWEEP_INTERVAL_SECONDS: '0' });
    admin = await bootstrapAdmin(t);
    engineer = await createUser(t, 'ml-engineer');
    approver = await createUser(t, 'ml-engineer');
    plainEngineer = await createUser(t, 'ml-engineer');
    const flagged = await inject('PATCH', `/v1/users/${approver.id}`, admin.accessToken, { approver: true });
    expect(flagged.statusCode).toBe(200);
    expect(flagged.json()).toMatchObject({ id: approver.id, approver: true });
  });
  afterAll(() => t?.close());

  it('only an admin sets requireApproval; the model says it', async () => {
    await createModel(t, engineer.accessToken, 'gov-iris', { task: 'classification' });
    const refused = await inject('PATCH', '/v1/models/gov-iris', engineer.accessToken, { requireApproval: true });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'INSUFFICIENT_ROLE' });
    const set = await inject('PATCH', '/v1/models/gov-iris', admin.accessToken, { requireApproval: true });
    expect(set.statusCode).toBe(200);
    expect(set.json().requireApproval).toBe(true);
    for (const requireApproval of ['yes', null, 1]) {
      const bad = await inject('PATCH', '/v1/models/gov-iris', admin.accessToken, { requireApproval });
      expect({ requireApproval, status: bad.statusCode }).toEqual({ requireApproval, status: 400 });
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(bad.json().errors).toEqual([{ field: 'requireApproval', message: 'requireApproval must be true or false' }]);
    }
    expect((await inject('GET', '/v1/models/gov-iris', engineer.accessToken)).json().requireApproval).toBe(true);
  });

  it('a move to production becomes a pending request (202), listed and filtered; the version stays in staging', async () => {
    const version = await versionIn(t, engineer.accessToken, 'gov-iris', 'staging');
    const res = await transition(t, engineer.accessToken, 'gov-iris', version, { to: 'production', reason: 'beats v0 on holdout' });
    expect(res.statusCode).toBe(202);
    expect(res.headers.etag).toBeUndefined();
    const request = res.json();
    expect(request).toEqual({
      id: expect.any(String),
      model: 'gov-iris',
      version,
      status: 'pending',
      requestedBy: engineer.email,
      reason: 'beats v0 on holdout',
      createdAt: expect.any(String),
      decidedBy: null,
      decidedAt: null,
      comment: null,
    });
    expect(await stageOf('gov-iris', version)).toBe('staging');
    // Asking again answers the same request; an admin's move waits too.
    const again = await transition(t, admin.accessToken, 'gov-iris', version, { to: 'production' });
    expect([again.statusCode, again.json().id]).toEqual([202, request.id]);

    const listed = await inject('GET', '/v1/promotion-requests?status=pending&model=gov-iris', engineer.accessToken);
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({ items: [request], page: { limit: 20, offset: 0, total: 1 } });
    expect((await inject('GET', '/v1/promotion-requests?status=approved&model=gov-iris', engineer.accessToken)).json().items).toEqual([]);
    expect((await inject('GET', '/v1/promotion-requests?status=maybe', engineer.accessToken)).statusCode).toBe(400);
    const consumer = await createUser(t, 'consumer');
    expect((await inject('GET', '/v1/promotion-requests', consumer.accessToken)).statusCode).toBe(403);
    expect(await outbox('promotion.requested')).toContainEqual(expect.objectContaining({ id: request.id, model: 'gov-iris', version }));
  });

  it('refuses decisions from a non-approver (NOT_AN_APPROVER) and from the requester (SELF_APPROVAL), then an approver approves: the version is production', async () => {
    const [request] = (await inject('GET', '/v1/promotion-requests?status=pending&model=gov-iris', engineer.accessToken)).json().items;
    const notApprover = await inject('POST', `/v1/promotion-requests/${request.id}/approve`, plainEngineer.accessToken, {});
    expect(notApprover.statusCode).toBe(403);
    expect(notApprover.json()).toMatchObject({ code: 'NOT_AN_APPROVER' });
    const key = await createApiKey(t, 'ml-engineer');
    const byKey = await t.app.inject({
      method: 'POST',
      url: `/v1/promotion-requests/${request.id}/approve`,
      headers: apiKeyHeader(key.key),
      payload: {},
    });
    expect(byKey.json()).toMatchObject({ status: 403, code: 'NOT_AN_APPROVER' });

    // The requester, once an approver, still may not decide their own request.
    await inject('PATCH', `/v1/users/${engineer.id}`, admin.accessToken, { approver: true });
    const self = await inject('POST', `/v1/promotion-requests/${request.id}/approve`, engineer.accessToken, {});
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ code: 'SELF_APPROVAL' });
    expect(await stageOf('gov-iris', request.version)).toBe('staging');

    const approved = await inject('POST', `/v1/promotion-requests/${request.id}/approve`, approver.accessToken, {
      comment: 'holdout reviewed',
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ id: request.id, status: 'approved', decidedBy: approver.email, comment: 'holdout reviewed' });
    expect(Date.parse(approved.json().decidedAt)).not.toBeNaN();
    expect(await stageOf('gov-iris', request.version)).toBe('production');
    // Served at once: the model's production answers.
    const served = await t.app.inject({
      method: 'POST',
      url: '/v1/models/gov-iris/predict',
      headers: authHeader(admin.accessToken),
      payload: { instances },
    });
    expect([served.statusCode, served.headers['x-model-version']]).toEqual([200, String(request.version)]);

    const again = await inject('POST', `/v1/promotion-requests/${request.id}/reject`, admin.accessToken, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'PROMOTION_REQUEST_DECIDED', status: 409 });

    const audit = (await inject('GET', `/v1/audit-events?targetId=${request.id}`, admin.accessToken)).json();
    expect(audit.items.map((e: { action: string }) => e.action).sort()).toEqual(['promotion.approved', 'promotion.requested']);
    expect(await outbox('promotion.decided')).toContainEqual(expect.objectContaining({ id: request.id, status: 'approved' }));
    expect(await outbox('model.version.transitioned')).toContainEqual(
      expect.objectContaining({ model: 'gov-iris', version: request.version, from: 'staging', to: 'production' }),
    );
  });

  it('a rejection leaves the version in staging; a request whose version leaves staging goes stale', async () => {
    const second = await versionIn(t, engineer.accessToken, 'gov-iris', 'staging');
    const request = (await transition(t, engineer.accessToken, 'gov-iris', second, { to: 'production' })).json();
    const rejected = await inject('POST', `/v1/promotion-requests/${request.id}/reject`, admin.accessToken, { comment: 'not this week' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', decidedBy: admin.email, comment: 'not this week' });
    expect(await stageOf('gov-iris', second)).toBe('staging');

    const retry = (await transition(t, engineer.accessToken, 'gov-iris', second, { to: 'production' })).json();
    expect(retry.id).not.toBe(request.id);
    expect((await transition(t, admin.accessToken, 'gov-iris', second, { to: 'retired' })).statusCode).toBe(200);
    const stale = (await inject('GET', '/v1/promotion-requests?status=stale&model=gov-iris', engineer.accessToken)).json().items;
    expect(stale.map((r: { id: string }) => r.id)).toEqual([retry.id]);
    const late = await inject('POST', `/v1/promotion-requests/${retry.id}/approve`, approver.accessToken, {});
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'PROMOTION_REQUEST_DECIDED' });
    expect(await stageOf('gov-iris', second)).toBe('retired');
    expect(
      (await inject('POST', '/v1/promotion-requests/3f1c2b9a-0d4e-4c6b-9a1f-2b3c4d5e6f70/approve', admin.accessToken, {})).statusCode,
    ).toBe(404);
  });

  it('GET /v1/sunsets: deprecated versions across models, soonest first, with last-7-day requests and distinct callers', async () => {
    // Two models, each with version 1 deprecated by version 2 (no approval needed on these).
    for (const name of ['sun-a', 'sun-b']) {
      await createModel(t, engineer.accessToken, name, { task: 'classification' });
      await versionIn(t, engineer.accessToken, name, 'production');
      await versionIn(t, engineer.accessToken, name, 'production');
    }
    // sun-b retires sooner than sun-a.
    const soon = new Date(Math.ceil((Date.now() + 5 * DAY_MS) / 1000) * 1000).toISOString();
    expect((await inject('PATCH', '/v1/models/sun-b/versions/1', engineer.accessToken, { sunsetAt: soon })).statusCode).toBe(200);
    // sun-a version 1: three requests from two callers; sun-b version 1: none.
    const other = await createUser(t, 'consumer');
    for (const token of [admin.accessToken, admin.accessToken, other.accessToken]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/models/sun-a/versions/1/predict',
        headers: authHeader(token),
        payload: { instances },
      });
      expect(res.statusCode).toBe(200);
    }
    await t.app.get(UsageRecorder).flush();

    const res = await inject('GET', '/v1/sunsets', engineer.accessToken);
    expect(res.statusCode).toBe(200);
    const rows = res.json().items.filter((r: { model: string }) => r.model.startsWith('sun-'));
    expect(rows).toEqual([
      {
        model: 'sun-b',
        version: 1,
        deprecatedAt: expect.any(String),
        sunsetAt: soon,
        successorVersion: 2,
        requestsLast7d: 0,
        callersLast7d: 0,
      },
      {
        model: 'sun-a',
        version: 1,
        deprecatedAt: expect.any(String),
        sunsetAt: expect.any(String),
        successorVersion: 2,
        requestsLast7d: 3,
        callersLast7d: 2,
      },
    ]);
    const before = new Date(Date.now() + 10 * DAY_MS).toISOString();
    const filtered = (await inject('GET', `/v1/sunsets?before=${encodeURIComponent(before)}`, engineer.accessToken)).json().items;
    expect(filtered.map((r: { model: string }) => r.model)).toContain('sun-b');
    expect(filtered.map((r: { model: string }) => r.model)).not.toContain('sun-a');
    expect((await inject('GET', '/v1/sunsets?before=tomorrow', engineer.accessToken)).statusCode).toBe(400);
    expect((await inject('GET', '/v1/sunsets', (await createUser(t, 'consumer')).accessToken)).statusCode).toBe(403);
    // Moving a sunset reorders the list at once; a version that is not deprecated has none to move (409).
    const later = new Date(Math.ceil((Date.now() + 400 * DAY_MS) / 1000) * 1000).toISOString();
    expect((await inject('PATCH', '/v1/models/sun-b/versions/1', engineer.accessToken, { sunsetAt: later })).statusCode).toBe(200);
    const reordered = (await inject('GET', '/v1/sunsets', engineer.accessToken))
      .json()
      .items.filter((r: { model: string }) => r.model.startsWith('sun-'));
    expect(reordered.map((r: { model: string }) => r.model)).toEqual(['sun-a', 'sun-b']);
    const notDeprecated = await inject('PATCH', '/v1/models/sun-a/versions/2', engineer.accessToken, { sunsetAt: later });
    expect(notDeprecated.statusCode).toBe(409);
  });
});
