import { actorWith, registryServices, SIGNATURE } from '../testing/registry-services';

/** TrafficService's canary rules over in-memory repositories: no database, no server. */
describe('TrafficService', () => {
  const engineer = actorWith(['ml-engineer'], 'eng-1');
  const admin = actorWith(['admin'], 'admin-1');
  let r: ReturnType<typeof registryServices>;

  beforeEach(async () => {
    r = registryServices();
    await r.addVersion('iris', 'staging'); // 1: production below
    await r.addVersion('iris', 'staging'); // 2: staging
    await r.addVersion('iris', 'draft'); // 3: draft
    await r.addVersion('iris', 'staging'); // 4: retired below
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
    await r.lifecycle.transition('iris', 4, { to: 'retired' }, undefined, admin);
  });

  it('sets a canary on an eligible version, replaces and clears it, auditing each change', async () => {
    expect(await r.traffic.set('iris', { canary: { version: 2, percent: 10 } }, engineer)).toEqual({ canary: { version: 2, percent: 10 } });
    expect(await r.traffic.get('iris')).toEqual({ canary: { version: 2, percent: 10 } });
    expect(await r.reader.canary('iris')).toEqual({ version: 2, percent: 10 });
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-traffic.set',
      details: { canary: { version: 2, percent: 10 }, previous: null },
    });

    await r.traffic.set('iris', { canary: { version: 2, percent: 25 } }, engineer);
    expect(r.p.traffic.store.rows).toHaveLength(1);

    expect(await r.traffic.set('iris', { canary: null }, engineer)).toEqual({ canary: null });
    expect(await r.traffic.get('iris')).toEqual({ canary: null });
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-traffic.cleared',
      details: { canary: null, previous: { version: 2, percent: 25 } },
    });
    expect(r.emitted.filter((e) => e.type === 'traffic')).toHaveLength(3);
  });

  it.each([
    [3, 'CANARY_VERSION_NOT_ELIGIBLE', 'a draft'],
    [1, 'CANARY_VERSION_NOT_ELIGIBLE', 'the production version'],
    [4, 'MODEL_VERSION_RETIRED', 'a retired version'],
    [9, 'MODEL_VERSION_NOT_FOUND', 'a missing version'],
  ])('refuses version %i (%s: %s) and changes nothing', async (version, code) => {
    const audited = r.p.audit.events.length;
    await expect(r.traffic.set('iris', { canary: { version, percent: 10 } }, engineer)).rejects.toMatchObject({ code });
    expect(r.p.traffic.store.rows).toEqual([]);
    expect(r.p.audit.events).toHaveLength(audited);
  });

  it('a missing model is a 404', async () => {
    await expect(r.traffic.get('nope')).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('guards the canary signature: 409 on a mismatch, 403 for an engineer forcing, an admin override audited', async () => {
    const outputs = [{ name: 'output', datatype: 'INT32' as const, shape: [-1, 3] }];
    await r.addVersion('iris', 'staging', null, { inputs: SIGNATURE.inputs, outputs }); // 5
    const change = { field: 'outputs.output.datatype', message: "datatype INT32 differs from production's FP32" };
    await expect(r.traffic.set('iris', { canary: { version: 5, percent: 10 } }, engineer)).rejects.toMatchObject({
      code: 'SIGNATURE_MISMATCH',
      errors: [change],
    });
    await expect(r.traffic.set('iris', { canary: { version: 5, percent: 10 }, force: true }, engineer)).rejects.toMatchObject({
      code: 'FORCE_NOT_ALLOWED',
    });
    await expect(r.traffic.set('iris', { canary: null, force: true }, engineer)).rejects.toMatchObject({ code: 'FORCE_NOT_ALLOWED' });
    expect(r.p.traffic.store.rows).toEqual([]);

    expect(await r.traffic.set('iris', { canary: { version: 5, percent: 10 }, force: true }, admin)).toEqual({
      canary: { version: 5, percent: 10 },
    });
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-traffic.set',
      details: { canary: { version: 5, percent: 10 }, forced: true, signatureChanges: [change] },
    });
    await r.traffic.set('iris', { canary: { version: 2, percent: 10 } }, engineer);
    expect(r.p.audit.events.at(-1)!.details).not.toHaveProperty('forced');
  });
});
