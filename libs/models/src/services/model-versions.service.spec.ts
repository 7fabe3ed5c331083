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
});
