import { actorWith, registryServices } from '../testing/registry-services';

/** AliasesService's rules over in-memory repositories: no database, no server. */
describe('AliasesService', () => {
  const engineer = actorWith(['ml-engineer'], 'eng-1');
  const admin = actorWith(['admin'], 'admin-1');
  let r: ReturnType<typeof registryServices>;

  beforeEach(async () => {
    r = registryServices();
    await r.addVersion('iris', 'staging');
    await r.addVersion('iris', 'staging');
  });

  it('sets an alias, moves it, and lists it after the derived production alias', async () => {
    const set = await r.aliases.set('iris', 'champion', 1, engineer);
    expect(set).toMatchObject({ alias: 'champion', version: 1, derived: false, updatedAt: expect.any(String) });
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-alias.set',
      details: { alias: 'champion', version: 1, previousVersion: null },
    });

    await r.aliases.set('iris', 'champion', 2, engineer);
    expect(r.p.audit.events.at(-1)).toMatchObject({ details: { version: 2, previousVersion: 1 } });
    expect(r.p.transactions.transactions.at(-1)!.locks).toEqual(['model:iris:update']);

    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    const page = await r.aliases.list('iris', { limit: 10, offset: 0 });
    expect(page.items.map((a) => [a.alias, a.version, a.derived])).toEqual([
      ['production', 1, true],
      ['champion', 2, false],
    ]);
    expect((await r.reader.alias('iris', 'champion')).version).toBe(2);
    expect(r.emitted.filter((e) => e.type === 'alias')).toHaveLength(2);
  });

  it('refuses the reserved production alias and retired versions', async () => {
    await expect(r.aliases.set('iris', 'production', 1, engineer)).rejects.toMatchObject({ code: 'ALIAS_RESERVED' });
    await expect(r.aliases.remove('iris', 'production', engineer)).rejects.toMatchObject({ code: 'ALIAS_RESERVED' });
    await r.lifecycle.transition('iris', 1, { to: 'retired' }, undefined, admin);
    await expect(r.aliases.set('iris', 'old', 1, engineer)).rejects.toMatchObject({ code: 'MODEL_VERSION_RETIRED' });
    await expect(r.aliases.set('iris', 'next', 9, engineer)).rejects.toMatchObject({ code: 'MODEL_VERSION_NOT_FOUND' });
    expect(r.p.aliases.store.rows).toEqual([]);
  });

  it('deletes an alias, and a missing one is a 404', async () => {
    await r.aliases.set('iris', 'champion', 1, engineer);
    await r.aliases.remove('iris', 'champion', engineer);
    expect(r.p.aliases.store.rows).toEqual([]);
    expect(r.p.audit.events.at(-1)).toMatchObject({ action: 'model-alias.deleted', details: { alias: 'champion', version: 1 } });
    await expect(r.aliases.remove('iris', 'champion', engineer)).rejects.toMatchObject({ code: 'MODEL_ALIAS_NOT_FOUND' });
  });
});
