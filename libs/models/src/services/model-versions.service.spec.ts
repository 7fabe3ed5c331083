import { RegistryWriteConflict } from '../repositories/registry-write-conflict';
import { actorWith, registryServices } from '../testing/registry-services';

/** ModelVersionsService's rules over in-memory repositories: no database, no server. */
describe('ModelVersionsService', () => {
  const engineer = actorWith(['ml-engineer'], 'eng-1');
  let r: ReturnType<typeof registryServices>;

  beforeEach(async () => {
    r = registryServices();
    await r.models.create({ name: 'iris', tags: [] }, engineer);
  });

  it('register() returns the version and its id; the row, its history and the audit event commit together', async () => {
    const { id, dto } = await r.addVersion('iris', 'staging', engineer);
    expect(dto).toMatchObject({ model: 'iris', version: 1, stage: 'staging', createdBy: expect.any(String) });
    const row = r.p.versions.store.rows.find((v) => v.id === id)!;
    expect(row).toMatchObject({ version: 1, artifactKey: `${r.p.models.store.rows[0].id}/${id}` });
    expect(r.storage.artifacts.has(row.artifactKey)).toBe(true);
    expect(r.p.versions.history.rows).toMatchObject([{ versionId: id, fromStage: null, toStage: 'staging' }]);
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-version.created',
      targetId: id,
      details: { model: 'iris', version: 1 },
    });
    expect((await r.reader.version('iris', 1)).versionId).toBe(id);
    expect(r.emitted.at(-1)).toEqual({ type: 'version', modelName: 'iris', version: 1 });
  });

  it('numbers versions without gaps: a failed upload gives its number back and leaves no artifact', async () => {
    await r.addVersion('iris');
    r.p.audit.failNext = new Error('audit write failed');
    await expect(r.addVersion('iris')).rejects.toThrow('audit write failed');

    expect(r.p.models.store.rows[0].lastVersion).toBe(1);
    expect(r.p.versions.store.rows).toHaveLength(1);
    expect(r.p.versions.history.rows).toHaveLength(1);
    expect(r.storage.artifacts.size).toBe(1);

    const { dto } = await r.addVersion('iris');
    expect(dto.version).toBe(2);
    expect((await r.models.get('iris')).latestVersion).toBe(2);
  });

  it('turns a lost race (a unique constraint) into CONCURRENT_MODIFICATION and cleans up the artifact', async () => {
    const insert = r.p.versions.insert.bind(r.p.versions);
    jest.spyOn(r.p.versions, 'insert').mockImplementationOnce(async () => {
      throw new RegistryWriteConflict('model_versions_model_id_version_key');
    });
    await expect(r.addVersion('iris')).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION' });
    expect(r.storage.artifacts.size).toBe(0);
    expect(r.p.models.store.rows[0].lastVersion).toBe(0);
    r.p.versions.insert = insert;
    expect((await r.addVersion('iris')).dto.version).toBe(1);
  });

  it('creates the model on the way only when asked, auditing it as implicit', async () => {
    await expect(
      r.versions.register(
        'unknown',
        { files: new Map(), metadata: { description: null, labels: null, metrics: {}, params: {} } },
        engineer,
      ),
    ).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    const { dto } = await r.addVersion('trained', 'staging');
    expect(dto).toMatchObject({ model: 'trained', version: 1, stage: 'staging' });
    expect(r.p.audit.events.find((e) => e.action === 'model.created' && e.details?.implicit)).toMatchObject({
      details: { model: 'trained' },
    });
  });

  it('lists versions newest first, filtered on the effective stage', async () => {
    await r.addVersion('iris', 'staging');
    await r.addVersion('iris', 'staging');
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);
    r.p.versions.store.rows.find((v) => v.version === 1)!.sunsetAt = new Date(Date.now() - 1000);

    const all = await r.versions.list('iris', { limit: 10, offset: 0 });
    expect(all.items.map((v) => [v.version, v.stage])).toEqual([
      [2, 'production'],
      [1, 'retired'],
    ]);
    expect((await r.versions.list('iris', { stage: 'retired', limit: 10, offset: 0 })).items.map((v) => v.version)).toEqual([1]);
    expect((await r.versions.list('iris', { stage: 'deprecated', limit: 10, offset: 0 })).items).toEqual([]);
  });

  describe('update() (PATCH of a version)', () => {
    const DAY = 86_400_000;
    const row = (version: number) => r.p.versions.store.rows.find((v) => v.version === version)!;
    /** Version 1 deprecated by the promotion of version 2. */
    const deprecatedPair = async () => {
      await r.addVersion('iris', 'staging', engineer);
      await r.addVersion('iris', 'staging', engineer);
      await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
      await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);
    };

    it('moves the sunset of a deprecated version, audits before/after and tells the caches', async () => {
      await deprecatedPair();
      const before = row(1).sunsetAt!.toISOString();
      const sunsetAt = new Date(Date.now() + 90 * DAY).toISOString();
      const dto = await r.versions.update('iris', 1, { sunsetAt }, undefined, engineer);
      expect(dto).toMatchObject({ version: 1, stage: 'deprecated', sunsetAt, successorVersion: 2 });
      expect(row(1).sunsetAt!.toISOString()).toBe(sunsetAt);
      expect(r.p.audit.events.at(-1)).toEqual({
        action: 'model-version.updated',
        actor: engineer,
        targetType: 'model-version',
        targetId: row(1).id,
        details: { model: 'iris', version: 1, before: { sunsetAt: before }, after: { sunsetAt } },
      });
      expect(r.emitted.at(-1)).toEqual({ type: 'version', modelName: 'iris', version: 1 });
      expect((await r.reader.version('iris', 1)).sunsetAt!.toISOString()).toBe(sunsetAt);
      // A transition's history is for stage changes: an update writes none.
      expect((await r.lifecycle.history('iris', 1)).map((t) => t.to)).toEqual(['staging', 'production', 'deprecated']);
    });

    it('changes description and labels on any stage; null clears them', async () => {
      await r.addVersion('iris', 'staging', engineer);
      const dto = await r.versions.update('iris', 1, { description: 'retrained', labels: ['a', 'b', 'c'] }, undefined, engineer);
      expect(dto).toMatchObject({ description: 'retrained', labels: ['a', 'b', 'c'], stage: 'staging' });
      expect(r.p.audit.events.at(-1)!.details).toEqual({
        model: 'iris',
        version: 1,
        before: { description: null, labels: null },
        after: { description: 'retrained', labels: ['a', 'b', 'c'] },
      });
      expect(await r.versions.update('iris', 1, { description: null, labels: null }, undefined, engineer)).toMatchObject({
        description: null,
        labels: null,
      });
    });

    it('refuses a sunset move on a version that is not deprecated (409), or whose sunset has passed', async () => {
      await deprecatedPair();
      const sunsetAt = new Date(Date.now() + DAY).toISOString();
      const events = r.p.audit.events.length;
      await expect(r.versions.update('iris', 2, { sunsetAt }, undefined, engineer)).rejects.toMatchObject({
        code: 'MODEL_VERSION_NOT_DEPRECATED',
        kind: 'conflict',
        message: expect.stringContaining('Version 2 is production'),
      });
      row(1).sunsetAt = new Date(Date.now() - 1000); // past: reads as retired already
      await expect(r.versions.update('iris', 1, { sunsetAt }, undefined, engineer)).rejects.toMatchObject({
        code: 'MODEL_VERSION_NOT_DEPRECATED',
        message: expect.stringContaining('is retired'),
      });
      expect(r.p.audit.events).toHaveLength(events);
    });

    it('refuses a sunset in the past (422), labels that do not fit the outputs (422) and an empty update (400), changing nothing', async () => {
      await deprecatedPair();
      const stored = row(1).sunsetAt;
      const events = r.p.audit.events.length;
      const emitted = r.emitted.length;
      const past = new Date(Date.now() - 60_000).toISOString();
      await expect(r.versions.update('iris', 1, { sunsetAt: past, description: 'x' }, undefined, engineer)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        kind: 'unprocessable',
        errors: [{ field: 'sunsetAt', message: 'sunsetAt must be in the future' }],
      });
      await expect(r.versions.update('iris', 1, { labels: ['a', 'b'] }, undefined, engineer)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        kind: 'unprocessable',
        errors: [{ field: 'labels', message: expect.stringContaining('has 3 classes') }],
      });
      await expect(r.versions.update('iris', 1, {}, undefined, engineer)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        kind: 'validation',
      });
      expect(row(1)).toMatchObject({ sunsetAt: stored, description: null });
      expect(r.p.audit.events).toHaveLength(events);
      expect(r.emitted).toHaveLength(emitted);
    });

    it('404s an unknown model or version, and honours If-Match', async () => {
      await r.addVersion('iris', 'staging', engineer);
      await expect(r.versions.update('iris', 9, { description: 'x' }, undefined, engineer)).rejects.toMatchObject({
        code: 'MODEL_VERSION_NOT_FOUND',
      });
      await expect(r.versions.update('nope', 1, { description: 'x' }, undefined, engineer)).rejects.toMatchObject({
        code: 'MODEL_NOT_FOUND',
      });
      await expect(r.versions.update('iris', 1, { description: 'x' }, '"stale"', engineer)).rejects.toMatchObject({
        code: 'PRECONDITION_FAILED',
      });
      const tx = r.p.transactions.transactions.at(-1)!;
      expect(tx.locks).toEqual(['model:iris:update', `version:${row(1).id}:update`]);
    });
  });
});
