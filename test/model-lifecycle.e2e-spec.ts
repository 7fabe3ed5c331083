import { DataSource } from 'typeorm';
import { artifactDigest, LifecycleService, RegistryReader } from '@app/models';
import { authHeader, bootstrapAdmin, createUser, tokenFor } from './support/auth';
import { createModel, transition, uploadVersion, versionIn } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

const DAY_MS = 86_400_000;

describe('model registry: lifecycle, aliases and traffic (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let engineerEmail: string;
  let consumer: string;

  beforeAll(async () => {
    // The sweep is driven by the tests themselves (SUNSET_SWEEP_INTERVAL_SECONDS=0).
    t = await startTestApp({ DEFAULT_SUNSET_DAYS: '30', SUNSET_SWEEP_INTERVAL_SECONDS: '0' });
    admin = (await bootstrapAdmin(t)).accessToken;
    const user = await createUser(t, 'ml-engineer');
    engineer = user.accessToken;
    engineerEmail = user.email;
    consumer = await tokenFor(t, 'consumer');
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const getVersion = async (name: string, version: number) =>
    (await inject({ method: 'GET', url: `/v1/models/${name}/versions/${version}`, headers: authHeader(consumer) })).json();

  describe('transitions', () => {
    it('walks draft → staging → production and records every move', async () => {
      await createModel(t, engineer, 'walk');
      const v = (await uploadVersion(t, engineer, 'walk')).json().version;
      const staged = await transition(t, engineer, 'walk', v, { to: 'staging', reason: 'ready for QA' });
      expect(staged.statusCode).toBe(200);
      expect(staged.json().stage).toBe('staging');
      const live = await transition(t, engineer, 'walk', v, { to: 'production' });
      expect(live.json()).toEqual(expect.objectContaining({ stage: 'production', deprecatedAt: null, sunsetAt: null }));
      const model = await inject({ method: 'GET', url: '/v1/models/walk', headers: authHeader(consumer) });
      expect(model.json().productionVersion).toBe(v);

      const history = await inject({ method: 'GET', url: `/v1/models/walk/versions/${v}/transitions`, headers: authHeader(consumer) });
      expect(history.statusCode).toBe(200);
      expect(history.json()).toEqual([
        { from: null, to: 'draft', actor: engineerEmail, reason: 'uploaded', at: expect.any(String) },
        { from: 'draft', to: 'staging', actor: engineerEmail, reason: 'ready for QA', at: expect.any(String) },
        { from: 'staging', to: 'production', actor: engineerEmail, reason: null, at: expect.any(String) },
      ]);
    });

    it('records each transition as an audit event', async () => {
      const res = await inject({
        method: 'GET',
        url: '/v1/audit-events?action=model-version.transitioned&limit=100',
        headers: authHeader(admin),
      });
      const walk = res.json().items.filter((e: { details: { model: string } }) => e.details.model === 'walk');
      expect(
        walk.map((e: { details: unknown; actor: { email: string }; target: { type: string } }) => [
          e.details,
          e.actor.email,
          e.target.type,
        ]),
      ).toEqual([
        [expect.objectContaining({ version: 1, from: 'staging', to: 'production' }), engineerEmail, 'model-version'],
        [expect.objectContaining({ version: 1, from: 'draft', to: 'staging', reason: 'ready for QA' }), engineerEmail, 'model-version'],
      ]);
    });

    it('refuses a forbidden move with 409 listing the allowed targets', async () => {
      await createModel(t, engineer, 'forbidden');
      const v = await versionIn(t, engineer, 'forbidden', 'draft');
      const res = await transition(t, engineer, 'forbidden', v, { to: 'production' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual(
        expect.objectContaining({
          code: 'INVALID_STAGE_TRANSITION',
          from: 'draft',
          to: 'production',
          allowedTargets: ['staging', 'retired'],
        }),
      );
      const unknown = await transition(t, engineer, 'forbidden', v, { to: 'live' });
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json().errors).toEqual([expect.objectContaining({ field: 'to' })]);
    });

    it('lets only admins retire (403 for an ml-engineer), and a retired version moves nowhere', async () => {
      await createModel(t, engineer, 'retiring');
      const v = await versionIn(t, engineer, 'retiring', 'staging');
      const denied = await transition(t, engineer, 'retiring', v, { to: 'retired' });
      expect(denied.statusCode).toBe(403);
      expect((await getVersion('retiring', v)).stage).toBe('staging');
      const retired = await transition(t, admin, 'retiring', v, { to: 'retired', reason: 'superseded offline' });
      expect(retired.statusCode).toBe(200);
      expect(retired.json().stage).toBe('retired');
      const after = await transition(t, admin, 'retiring', v, { to: 'staging' });
      expect(after.json()).toEqual(expect.objectContaining({ code: 'INVALID_STAGE_TRANSITION', allowedTargets: [] }));
      expect((await transition(t, consumer, 'retiring', v, { to: 'staging' })).statusCode).toBe(403);
    });

    it('deprecates the previous production version on promotion: deprecatedAt now, sunset after the default, successor set', async () => {
      await createModel(t, engineer, 'successor');
      const v1 = await versionIn(t, engineer, 'successor', 'production');
      const v2 = await versionIn(t, engineer, 'successor', 'staging');
      const before = Date.now();
      const promoted = await transition(t, engineer, 'successor', v2, { to: 'production' });
      const after = Date.now();
      expect(promoted.json().stage).toBe('production');
      const old = await getVersion('successor', v1);
      expect(old).toEqual(expect.objectContaining({ stage: 'deprecated', successorVersion: v2 }));
      const deprecatedAt = Date.parse(old.deprecatedAt);
      expect(deprecatedAt).toBeGreaterThanOrEqual(before - 1000);
      expect(deprecatedAt).toBeLessThanOrEqual(after + 1000);
      expect(Date.parse(old.sunsetAt) - deprecatedAt).toBe(30 * DAY_MS);
      const history = await inject({
        method: 'GET',
        url: `/v1/models/successor/versions/${v1}/transitions`,
        headers: authHeader(consumer),
      });
      expect(history.json().at(-1)).toEqual(
        expect.objectContaining({ from: 'production', to: 'deprecated', reason: `superseded by version ${v2}` }),
      );

      // Rollback: the deprecated version returns, the other one is deprecated in turn.
      const rollback = await transition(t, engineer, 'successor', v1, { to: 'production', reason: 'v2 regressed' });
      expect(rollback.json()).toEqual(
        expect.objectContaining({ stage: 'production', deprecatedAt: null, sunsetAt: null, successorVersion: null }),
      );
      expect(await getVersion('successor', v2)).toEqual(expect.objectContaining({ stage: 'deprecated', successorVersion: v1 }));
    });

    it('takes an explicit sunsetAt when deprecating, and refuses it elsewhere or in the past', async () => {
      await createModel(t, engineer, 'explicit-sunset');
      const v = await versionIn(t, engineer, 'explicit-sunset', 'production');
      const sunsetAt = new Date(Date.now() + 7 * DAY_MS).toISOString();
      const wrongMove = await transition(t, engineer, 'explicit-sunset', v, { to: 'production', sunsetAt });
      expect(wrongMove.statusCode).toBe(409);
      const past = await transition(t, engineer, 'explicit-sunset', v, { to: 'deprecated', sunsetAt: '2020-01-01T00:00:00Z' });
      expect({ status: past.statusCode, field: past.json().errors?.[0]?.field }).toEqual({ status: 400, field: 'sunsetAt' });
      const res = await transition(t, engineer, 'explicit-sunset', v, { to: 'deprecated', sunsetAt });
      expect(res.json()).toEqual(expect.objectContaining({ stage: 'deprecated', sunsetAt, successorVersion: null }));
      expect(
        (await inject({ method: 'GET', url: '/v1/models/explicit-sunset', headers: authHeader(consumer) })).json().productionVersion,
      ).toBeNull();
    });

    it('keeps exactly one production version under two concurrent promotions', async () => {
      await createModel(t, engineer, 'race');
      const a = await versionIn(t, engineer, 'race', 'staging');
      const b = await versionIn(t, engineer, 'race', 'staging');
      const results = await Promise.all([
        transition(t, engineer, 'race', a, { to: 'production' }),
        transition(t, engineer, 'race', b, { to: 'production' }),
      ]);
      // They take turns under the model's row lock: both succeed, the second deprecating the first.
      expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
      const db = t.app.get(DataSource);
      const rows = await db.query(
        `SELECT v.version, v.stage, v.successor_version FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = 'race' ORDER BY v.version`,
      );
      expect(rows.filter((r: { stage: string }) => r.stage === 'production')).toHaveLength(1);
      const winner = rows.find((r: { stage: string }) => r.stage === 'production').version;
      const loser = rows.find((r: { version: number }) => r.version !== winner);
      expect(loser).toEqual(expect.objectContaining({ stage: 'deprecated', successor_version: winner }));
      // The partial unique index is the backstop for any writer that skips the lock.
      await expect(
        db.query(
          `UPDATE model_versions SET stage = 'production', deprecated_at = NULL, sunset_at = NULL WHERE version = $1 AND model_id = (SELECT id FROM models WHERE name = 'race')`,
          [loser.version],
        ),
      ).rejects.toThrow(/model_versions_one_production_idx/);
    });

    it('honours If-Match on transitions (412 on a stale ETag)', async () => {
      await createModel(t, engineer, 'etag-move');
      const v = await versionIn(t, engineer, 'etag-move', 'draft');
      const read = await inject({ method: 'GET', url: `/v1/models/etag-move/versions/${v}`, headers: authHeader(consumer) });
      const etag = read.headers.etag as string;
      const moved = await transition(t, engineer, 'etag-move', v, { to: 'staging' }, { 'if-match': etag });
      expect(moved.statusCode).toBe(200);
      expect(moved.headers.etag).not.toBe(etag);
      const stale = await transition(t, engineer, 'etag-move', v, { to: 'production' }, { 'if-match': etag });
      expect(stale.statusCode).toBe(412);
      expect(stale.json().code).toBe('PRECONDITION_FAILED');
      expect((await getVersion('etag-move', v)).stage).toBe('staging');
      const fresh = await transition(t, engineer, 'etag-move', v, { to: 'production' }, { 'if-match': moved.headers.etag as string });
      expect(fresh.statusCode).toBe(200);
    });
  });

  describe('sunset', () => {
    it('reads a version past its sunset as retired before the job runs, and the job then retires it for good', async () => {
      await createModel(t, engineer, 'sunset');
      const v1 = await versionIn(t, engineer, 'sunset', 'production');
      const v2 = await versionIn(t, engineer, 'sunset', 'staging');
      await transition(t, engineer, 'sunset', v2, { to: 'production' });
      expect((await getVersion('sunset', v1)).stage).toBe('deprecated');
      // Let the sunset pass: move it into the past, as time would.
      const db = t.app.get(DataSource);
      await db.query(
        `UPDATE model_versions SET sunset_at = now() - interval '1 minute' WHERE version = $1 AND model_id = (SELECT id FROM models WHERE name = 'sunset')`,
        [v1],
      );
      const stored = async () =>
        (
          await db.query(
            `SELECT stage FROM model_versions WHERE version = $1 AND model_id = (SELECT id FROM models WHERE name = 'sunset')`,
            [v1],
          )
        )[0].stage;
      expect(await stored()).toBe('deprecated');
      expect((await getVersion('sunset', v1)).stage).toBe('retired');
      const listed = await inject({ method: 'GET', url: '/v1/models/sunset/versions?stage=retired', headers: authHeader(consumer) });
      expect(listed.json().items.map((v: { version: number }) => v.version)).toEqual([v1]);
      const rollback = await transition(t, engineer, 'sunset', v1, { to: 'production' });
      expect(rollback.json()).toEqual(expect.objectContaining({ code: 'INVALID_STAGE_TRANSITION', from: 'retired' }));

      const retired = await t.app.get(LifecycleService).retireSunsetVersions();
      expect(retired).toBeGreaterThanOrEqual(1);
      expect(await stored()).toBe('retired');
      const history = await inject({ method: 'GET', url: `/v1/models/sunset/versions/${v1}/transitions`, headers: authHeader(consumer) });
      expect(history.json().at(-1)).toEqual(
        expect.objectContaining({ from: 'deprecated', to: 'retired', actor: 'system', reason: 'sunset date passed' }),
      );
      const audit = await inject({
        method: 'GET',
        url: '/v1/audit-events?action=model-version.transitioned&limit=100',
        headers: authHeader(admin),
      });
      const event = audit
        .json()
        .items.find((e: { details: { model: string; to: string } }) => e.details.model === 'sunset' && e.details.to === 'retired');
      expect(event.actor.kind).toBe('system');
      // Idempotent: nothing left to retire.
      expect(await t.app.get(LifecycleService).retireSunsetVersions()).toBe(0);
    });

    it('retires versions whose sunset passes by the clock the job is given', async () => {
      await createModel(t, engineer, 'sunset-clock');
      const v = await versionIn(t, engineer, 'sunset-clock', 'production');
      await transition(t, engineer, 'sunset-clock', v, { to: 'deprecated', sunsetAt: new Date(Date.now() + 2 * DAY_MS).toISOString() });
      const lifecycle = t.app.get(LifecycleService);
      await lifecycle.retireSunsetVersions(new Date());
      expect((await getVersion('sunset-clock', v)).stage).toBe('deprecated');
      await lifecycle.retireSunsetVersions(new Date(Date.now() + 3 * DAY_MS));
      expect((await getVersion('sunset-clock', v)).stage).toBe('retired');
    });
  });

  describe('aliases', () => {
    it('sets, moves, lists (with the derived production alias) and deletes aliases', async () => {
      await createModel(t, engineer, 'aliased');
      const v1 = await versionIn(t, engineer, 'aliased', 'production');
      const v2 = await versionIn(t, engineer, 'aliased', 'staging');
      const set = await inject({
        method: 'PUT',
        url: '/v1/models/aliased/aliases/champion',
        headers: authHeader(engineer),
        payload: { version: v1 },
      });
      expect(set.statusCode).toBe(200);
      expect(set.json()).toEqual(expect.objectContaining({ alias: 'champion', version: v1, derived: false, updatedBy: engineerEmail }));
      const moved = await inject({
        method: 'PUT',
        url: '/v1/models/aliased/aliases/champion',
        headers: authHeader(engineer),
        payload: { version: v2 },
      });
      expect(moved.json().version).toBe(v2);
      await inject({ method: 'PUT', url: '/v1/models/aliased/aliases/b', headers: authHeader(engineer), payload: { version: v1 } });
      const list = await inject({ method: 'GET', url: '/v1/models/aliased/aliases', headers: authHeader(consumer) });
      expect(list.json().items.map((a: { alias: string; version: number; derived: boolean }) => [a.alias, a.version, a.derived])).toEqual([
        ['production', v1, true],
        ['b', v1, false],
        ['champion', v2, false],
      ]);
      const del = await inject({ method: 'DELETE', url: '/v1/models/aliased/aliases/b', headers: authHeader(engineer) });
      expect(del.statusCode).toBe(204);
      const gone = await inject({ method: 'DELETE', url: '/v1/models/aliased/aliases/b', headers: authHeader(engineer) });
      expect(gone.json().code).toBe('MODEL_ALIAS_NOT_FOUND');
    });

    it('reserves production, refuses retired or missing versions and bad names, and is not for consumers', async () => {
      await createModel(t, engineer, 'alias-rules');
      const v = await versionIn(t, engineer, 'alias-rules', 'staging');
      const put = (alias: string, version: number, token = engineer) =>
        inject({ method: 'PUT', url: `/v1/models/alias-rules/aliases/${alias}`, headers: authHeader(token), payload: { version } });
      expect((await put('production', v)).json()).toEqual(expect.objectContaining({ code: 'ALIAS_RESERVED' }));
      expect((await put('production', v)).statusCode).toBe(409);
      expect(
        (await inject({ method: 'DELETE', url: '/v1/models/alias-rules/aliases/production', headers: authHeader(engineer) })).statusCode,
      ).toBe(409);
      expect((await put('ghost', 99)).json().code).toBe('MODEL_VERSION_NOT_FOUND');
      expect((await put('Bad_Alias!', v)).statusCode).toBe(400);
      expect((await put('mine', v, consumer)).statusCode).toBe(403);
      await transition(t, admin, 'alias-rules', v, { to: 'retired' });
      const retired = await put('late', v);
      expect({ status: retired.statusCode, code: retired.json().code }).toEqual({ status: 409, code: 'MODEL_VERSION_RETIRED' });
    });
  });

  describe('registry reader (for serving)', () => {
    it('resolves production, versions, aliases and the canary, and reads artifacts', async () => {
      await createModel(t, engineer, 'readable');
      const v1 = await versionIn(t, engineer, 'readable', 'production');
      const v2 = await versionIn(t, engineer, 'readable', 'staging');
      await inject({ method: 'PUT', url: '/v1/models/readable/aliases/next', headers: authHeader(engineer), payload: { version: v2 } });
      await inject({
        method: 'PUT',
        url: '/v1/models/readable/traffic',
        headers: authHeader(engineer),
        payload: { canary: { version: v2, percent: 5 } },
      });
      const reader = t.app.get(RegistryReader);
      const seen: string[] = [];
      const sub = reader.events$.subscribe((e) => seen.push(`${e.type}:${e.modelName}`));

      const prod = await reader.productionVersion('readable');
      expect(prod).toEqual(expect.objectContaining({ modelName: 'readable', version: v1, stage: 'production', framework: 'tfjs-layers' }));
      expect((await reader.alias('readable', 'production')).version).toBe(v1);
      expect((await reader.alias('readable', 'next')).version).toBe(v2);
      expect((await reader.version('readable', v2)).stage).toBe('staging');
      expect(await reader.canary('readable')).toEqual({ version: v2, percent: 5 });
      expect((await reader.versions('readable')).map((v) => v.version)).toEqual([v2, v1]);
      expect((await reader.productionVersions()).map((v) => `${v.modelName}@${v.version}`)).toContain(`readable@${v1}`);
      const files = await reader.readArtifact(prod);
      expect(artifactDigest(files)).toBe(prod.sha256);
      await expect(reader.alias('readable', 'ghost')).rejects.toMatchObject({ code: 'MODEL_ALIAS_NOT_FOUND' });
      await expect(reader.productionVersion('nope-model')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });

      await transition(t, engineer, 'readable', v2, { to: 'production' });
      sub.unsubscribe();
      expect(seen).toEqual(expect.arrayContaining(['version:readable']));
      expect((await reader.productionVersion('readable')).version).toBe(v2);
    });
  });

  describe('traffic', () => {
    it('stores a canary split, validates it, and clears it', async () => {
      await createModel(t, engineer, 'canary');
      const prod = await versionIn(t, engineer, 'canary', 'production');
      const next = await versionIn(t, engineer, 'canary', 'staging');
      const draft = await versionIn(t, engineer, 'canary', 'draft');
      const put = (payload: unknown, token = engineer) =>
        inject({ method: 'PUT', url: '/v1/models/canary/traffic', headers: authHeader(token), payload: payload as object });

      const ok = await put({ canary: { version: next, percent: 10 } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ canary: { version: next, percent: 10 } });
      expect((await inject({ method: 'GET', url: '/v1/models/canary/traffic', headers: authHeader(consumer) })).json()).toEqual({
        canary: { version: next, percent: 10 },
      });

      for (const percent of [0, 100, -5, 150]) {
        const bad = await put({ canary: { version: next, percent } });
        expect({ percent, status: bad.statusCode, field: bad.json().errors?.[0]?.field }).toEqual({
          percent,
          status: 400,
          field: 'canary.percent',
        });
      }
      expect((await put({ canary: { version: 99, percent: 5 } })).json().code).toBe('MODEL_VERSION_NOT_FOUND');
      expect((await put({ canary: { version: prod, percent: 5 } })).json().code).toBe('CANARY_VERSION_NOT_ELIGIBLE');
      expect((await put({ canary: { version: draft, percent: 5 } })).json().code).toBe('CANARY_VERSION_NOT_ELIGIBLE');
      expect((await put({})).statusCode).toBe(400);
      expect((await put({ canary: { version: next, percent: 5 } }, consumer)).statusCode).toBe(403);

      const cleared = await put({ canary: null });
      expect(cleared.json()).toEqual({ canary: null });
      expect((await inject({ method: 'GET', url: '/v1/models/canary/traffic', headers: authHeader(consumer) })).json()).toEqual({
        canary: null,
      });
    });

    it('drops the canary when its version is promoted or retired, and refuses a retired one', async () => {
      await createModel(t, engineer, 'canary-ends');
      await versionIn(t, engineer, 'canary-ends', 'production');
      const next = await versionIn(t, engineer, 'canary-ends', 'staging');
      await inject({
        method: 'PUT',
        url: '/v1/models/canary-ends/traffic',
        headers: authHeader(engineer),
        payload: { canary: { version: next, percent: 25 } },
      });
      await transition(t, engineer, 'canary-ends', next, { to: 'production' });
      expect((await inject({ method: 'GET', url: '/v1/models/canary-ends/traffic', headers: authHeader(consumer) })).json()).toEqual({
        canary: null,
      });
      const other = await versionIn(t, engineer, 'canary-ends', 'staging');
      await transition(t, admin, 'canary-ends', other, { to: 'retired' });
      const res = await inject({
        method: 'PUT',
        url: '/v1/models/canary-ends/traffic',
        headers: authHeader(engineer),
        payload: { canary: { version: other, percent: 5 } },
      });
      expect({ status: res.statusCode, code: res.json().code }).toEqual({ status: 409, code: 'MODEL_VERSION_RETIRED' });
    });
  });
});
