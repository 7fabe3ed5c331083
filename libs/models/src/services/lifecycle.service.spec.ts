import { ConflictError, ForbiddenError } from '@app/common';
import { DAY_MS } from '../domain/lifecycle';
import type { ModelVersionDto } from '../dto/model-version.dto';
import { actorWith, DEFAULT_SUNSET_DAYS, registryServices, SIGNATURE } from '../testing/registry-services';

/** LifecycleService's rules over in-memory repositories: no database, no server. */
describe('LifecycleService', () => {
  const engineer = actorWith(['ml-engineer'], 'eng-1');
  const admin = actorWith(['admin'], 'admin-1');
  let r: ReturnType<typeof registryServices>;

  const row = (version: number) => r.p.versions.store.rows.find((v) => v.version === version)!;
  const stages = () => r.p.versions.store.rows.sort((a, b) => a.version - b.version).map((v) => v.stage);

  beforeEach(async () => {
    r = registryServices();
    await r.addVersion('iris', 'staging');
    await r.addVersion('iris', 'staging');
  });

  it('moves along allowed transitions, writing history and audit in the same unit of work', async () => {
    const dto = await r.lifecycle.transition('iris', 1, { to: 'production', reason: 'best so far' }, undefined, engineer);
    expect(dto).toMatchObject({ model: 'iris', version: 1, stage: 'production', deprecatedAt: null, sunsetAt: null });
    expect((await r.lifecycle.history('iris', 1)).map((t) => [t.from, t.to, t.reason])).toEqual([
      [null, 'staging', null],
      ['staging', 'production', 'best so far'],
    ]);
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-version.transitioned',
      actor: engineer,
      targetId: row(1).id,
      details: { model: 'iris', version: 1, from: 'staging', to: 'production', reason: 'best so far' },
    });
    expect(r.emitted.at(-1)).toEqual({ type: 'version', modelName: 'iris', version: 1 });
  });

  it('refuses a transition the state machine does not allow, changing nothing', async () => {
    const before = r.p.audit.events.length;
    await expect(r.lifecycle.transition('iris', 1, { to: 'deprecated' }, undefined, engineer)).rejects.toMatchObject({
      code: 'INVALID_STAGE_TRANSITION',
    });
    await expect(r.lifecycle.transition('iris', 1, { to: 'draft' }, undefined, engineer)).rejects.toBeInstanceOf(ConflictError);
    expect(stages()).toEqual(['staging', 'staging']);
    expect(r.p.audit.events).toHaveLength(before);
  });

  it('promoting to production deprecates the previous production version with the default sunset', async () => {
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    const started = Date.now();
    await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);

    expect(stages()).toEqual(['deprecated', 'production']);
    const previous = row(1);
    expect(previous.successorVersion).toBe(2);
    expect(previous.deprecatedAt!.getTime()).toBeGreaterThanOrEqual(started);
    expect(previous.sunsetAt!.getTime() - previous.deprecatedAt!.getTime()).toBe(DEFAULT_SUNSET_DAYS * DAY_MS);
    expect((await r.lifecycle.history('iris', 1)).at(-1)).toMatchObject({
      from: 'production',
      to: 'deprecated',
      reason: 'superseded by version 2',
    });
    // Demoted first (the one-production index), under the model's lock, then the versions in order.
    const tx = r.p.transactions.transactions.at(-1)!;
    expect(tx.locks).toEqual(['model:iris:update', `version:${row(2).id}:update`, `version:${row(1).id}:update`]);
    expect(r.p.audit.actions().slice(-2)).toEqual(['model-version.transitioned', 'model-version.transitioned']);
    expect(r.p.audit.events.at(-2)!.details).toMatchObject({ version: 1, from: 'production', to: 'deprecated', successorVersion: 2 });
    expect(r.emitted.slice(-2).map((e) => e.version)).toEqual([2, 1]);
  });

  it('rolls back to a deprecated version: it becomes production again and the other is deprecated', async () => {
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);
    const dto = await r.lifecycle.transition('iris', 1, { to: 'production', reason: 'rollback' }, undefined, engineer);

    expect(dto).toMatchObject({ version: 1, stage: 'production', deprecatedAt: null, sunsetAt: null, successorVersion: null });
    expect(stages()).toEqual(['production', 'deprecated']);
    expect(row(2).successorVersion).toBe(1);
  });

  it('clears a canary that goes to production', async () => {
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    await r.traffic.set('iris', { canary: { version: 2, percent: 10 } }, engineer);
    await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);
    expect(await r.traffic.get('iris')).toEqual({ canary: null });
    expect(r.p.audit.events.at(-1)!.details).toMatchObject({ version: 2, canaryCleared: true });
  });

  it('only an admin retires a version', async () => {
    await expect(r.lifecycle.transition('iris', 1, { to: 'retired' }, undefined, engineer)).rejects.toBeInstanceOf(ForbiddenError);
    const dto = (await r.lifecycle.transition('iris', 1, { to: 'retired' }, undefined, admin)) as ModelVersionDto;
    expect(dto.stage).toBe('retired');
    expect(row(1).sunsetAt).not.toBeNull();
    await expect(r.lifecycle.transition('iris', 1, { to: 'staging' }, undefined, admin)).rejects.toMatchObject({
      code: 'INVALID_STAGE_TRANSITION',
    });
  });

  it('takes an explicit sunset only when deprecating, and only in the future', async () => {
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    const past = new Date(Date.now() - 1000).toISOString();
    await expect(r.lifecycle.transition('iris', 1, { to: 'deprecated', sunsetAt: past }, undefined, engineer)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const later = new Date(Date.now() + 3 * DAY_MS).toISOString();
    await expect(r.lifecycle.transition('iris', 2, { to: 'production', sunsetAt: later }, undefined, engineer)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const dto = await r.lifecycle.transition('iris', 1, { to: 'deprecated', sunsetAt: later }, undefined, engineer);
    expect(dto).toMatchObject({ stage: 'deprecated', sunsetAt: later });
  });

  it('checks If-Match against the version it moves', async () => {
    const current = await r.versions.get('iris', 1);
    await expect(r.lifecycle.transition('iris', 1, { to: 'production' }, '"stale"', engineer)).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
    });
    expect(current.stage).toBe('staging');
    expect(stages()).toEqual(['staging', 'staging']);
  });

  it('the sunset sweep retires deprecated versions past their sunset, once, as the system', async () => {
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);
    expect(await r.lifecycle.retireSunsetVersions(new Date())).toBe(0);

    const afterSunset = new Date(row(1).sunsetAt!.getTime() + 1);
    expect(await r.lifecycle.retireSunsetVersions(afterSunset)).toBe(1);
    expect(await r.lifecycle.retireSunsetVersions(afterSunset)).toBe(0);
    expect(stages()).toEqual(['retired', 'production']);
    expect((await r.lifecycle.history('iris', 1)).at(-1)).toMatchObject({
      from: 'deprecated',
      to: 'retired',
      actor: 'system',
      reason: 'sunset date passed',
    });
    expect(r.p.audit.events.at(-1)).toMatchObject({ action: 'model-version.transitioned', actor: null });
  });

  describe('signature guard', () => {
    const WIDE = { inputs: [{ name: 'features', datatype: 'FP32' as const, shape: [-1, 32] }], outputs: SIGNATURE.outputs };
    const SHAPE_CHANGE = [{ field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" }];

    beforeEach(async () => {
      await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
      await r.addVersion('iris', 'staging', null, WIDE); // 3
    });

    it('refuses to promote a version whose signature differs, changing nothing; GET shows the differences', async () => {
      const audited = r.p.audit.events.length;
      await expect(r.lifecycle.transition('iris', 3, { to: 'production' }, undefined, engineer)).rejects.toMatchObject({
        code: 'SIGNATURE_MISMATCH',
        errors: SHAPE_CHANGE,
        extensions: { version: 3, productionVersion: 1 },
      });
      expect(stages()).toEqual(['production', 'staging', 'staging']);
      expect(r.p.audit.events).toHaveLength(audited);
      expect((await r.versions.get('iris', 3)).signatureChanges).toEqual(SHAPE_CHANGE);
      expect((await r.versions.get('iris', 2)).signatureChanges).toEqual([]);
      expect((await r.versions.list('iris', { limit: 20, offset: 0 })).items.map((v) => v.signatureChanges)).toEqual([
        SHAPE_CHANGE,
        [],
        [],
      ]);
    });

    it('promotes a same-signature version, and compares nothing for the first production version', async () => {
      await expect(r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer)).resolves.toMatchObject({
        stage: 'production',
        signatureChanges: [],
      });
      const fresh = registryServices();
      await fresh.addVersion('other', 'staging', null, WIDE);
      await expect(fresh.lifecycle.transition('other', 1, { to: 'production' }, undefined, engineer)).resolves.toMatchObject({
        stage: 'production',
      });
    });

    it('force: an engineer is refused (403) before anything is read; an admin overrides, audited with the differences', async () => {
      await expect(r.lifecycle.transition('iris', 3, { to: 'production', force: true }, undefined, engineer)).rejects.toMatchObject({
        code: 'FORCE_NOT_ALLOWED',
      });
      await expect(r.lifecycle.transition('iris', 2, { to: 'retired', force: true }, undefined, engineer)).rejects.toMatchObject({
        code: 'FORCE_NOT_ALLOWED',
      });
      const dto = await r.lifecycle.transition('iris', 3, { to: 'production', force: true, reason: 'new features' }, undefined, admin);
      expect(dto).toMatchObject({ stage: 'production', signatureChanges: [] });
      expect(r.p.audit.events.at(-1)).toMatchObject({
        action: 'model-version.transitioned',
        details: { version: 3, from: 'staging', to: 'production', forced: true, signatureChanges: SHAPE_CHANGE },
      });
      // The superseded version is now the one that differs.
      expect((await r.versions.get('iris', 1)).signatureChanges).toEqual([
        { field: 'inputs.features.shape', message: "shape [-1, 4] differs from production's [-1, 32]" },
      ]);
    });

    it('guards a rollback too: the deprecated version is compared with the production that replaced it', async () => {
      await r.lifecycle.transition('iris', 3, { to: 'production', force: true }, undefined, admin);
      await expect(r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer)).rejects.toMatchObject({
        code: 'SIGNATURE_MISMATCH',
        extensions: { version: 1, productionVersion: 3 },
      });
      await expect(r.lifecycle.transition('iris', 1, { to: 'production', force: true }, undefined, admin)).resolves.toMatchObject({
        stage: 'production',
      });
    });

    it('an admin force on a matching promotion is not recorded as an override', async () => {
      await r.lifecycle.transition('iris', 2, { to: 'production', force: true }, undefined, admin);
      expect(r.p.audit.events.at(-1)!.details).not.toHaveProperty('forced');
    });
  });
});
