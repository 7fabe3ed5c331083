import { actorWith, registryServices, SIGNATURE } from '../testing/registry-services';

/** TrafficService's shadow rules over in-memory repositories: no database, no server. */
describe('TrafficService: shadow', () => {
  const engineer = actorWith(['ml-engineer'], 'eng-1');
  const admin = actorWith(['admin'], 'admin-1');
  let r: ReturnType<typeof registryServices>;

  beforeEach(async () => {
    r = registryServices();
    await r.addVersion('iris', 'staging'); // 1: production below
    await r.addVersion('iris', 'staging'); // 2
    await r.addVersion('iris', 'staging'); // 3
    await r.addVersion('iris', 'draft'); // 4
    await r.lifecycle.transition('iris', 1, { to: 'production' }, undefined, engineer);
  });

  it('sets a shadow beside a canary, each left as it is when omitted, and audits both', async () => {
    expect(await r.traffic.set('iris', { shadow: { version: 2, percent: 100 } }, engineer)).toEqual({
      canary: null,
      shadow: { version: 2, percent: 100 },
    });
    expect(await r.traffic.set('iris', { canary: { version: 3, percent: 5 } }, engineer)).toEqual({
      canary: { version: 3, percent: 5 },
      shadow: { version: 2, percent: 100 },
    });
    expect(r.p.audit.events.at(-1)).toMatchObject({
      action: 'model-traffic.set',
      details: {
        canary: { version: 3, percent: 5 },
        previous: null,
        shadow: { version: 2, percent: 100 },
        previousShadow: { version: 2, percent: 100 },
      },
    });
    expect(await r.traffic.set('iris', { canary: null, shadow: null }, engineer)).toEqual({ canary: null });
    expect(r.p.traffic.store.rows).toEqual([]);
    expect(r.p.audit.events.at(-1)).toMatchObject({ action: 'model-traffic.cleared' });
    expect(r.emitted.filter((e) => e.type === 'traffic')).toHaveLength(3);
  });

  it("keeps the run's start for the same version and starts a new run for another", async () => {
    await r.traffic.set('iris', { shadow: { version: 2, percent: 100 } }, engineer);
    const first = (await r.reader.shadow('iris'))!;
    expect(first).toMatchObject({ version: 2, percent: 100 });
    expect(Number.isFinite(first.since.getTime())).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await r.traffic.set('iris', { shadow: { version: 2, percent: 10 } }, engineer);
    expect(await r.reader.shadow('iris')).toEqual({ ...first, percent: 10 });
    await r.traffic.set('iris', { shadow: { version: 3, percent: 10 } }, engineer);
    const next = (await r.reader.shadow('iris'))!;
    expect(next.since.getTime()).toBeGreaterThan(first.since.getTime());
    expect(await r.reader.canary('iris')).toBeNull();
  });

  it.each([
    [4, 'CANARY_VERSION_NOT_ELIGIBLE'],
    [1, 'CANARY_VERSION_NOT_ELIGIBLE'],
    [9, 'MODEL_VERSION_NOT_FOUND'],
  ])('refuses version %i as the shadow (%s) and changes nothing', async (version, code) => {
    await expect(r.traffic.set('iris', { shadow: { version, percent: 10 } }, engineer)).rejects.toMatchObject({ code });
    expect(r.p.traffic.store.rows).toEqual([]);
  });

  it('guards the shadow signature like a canary’s, an admin override audited', async () => {
    const outputs = [{ name: 'output', datatype: 'INT32' as const, shape: [-1, 3] }];
    await r.addVersion('iris', 'staging', null, { inputs: SIGNATURE.inputs, outputs }); // 5
    await expect(r.traffic.set('iris', { shadow: { version: 5, percent: 10 } }, engineer)).rejects.toMatchObject({
      code: 'SIGNATURE_MISMATCH',
    });
    await r.traffic.set('iris', { shadow: { version: 5, percent: 10 }, force: true }, admin);
    expect(r.p.audit.events.at(-1)).toMatchObject({ details: { shadow: { version: 5, percent: 10 }, forced: true } });
  });

  it('a shadow version that goes to production or is retired stops being the shadow, the canary stays', async () => {
    await r.traffic.set('iris', { shadow: { version: 2, percent: 50 }, canary: { version: 3, percent: 5 } }, engineer);
    await r.lifecycle.transition('iris', 2, { to: 'production' }, undefined, engineer);
    expect(await r.traffic.get('iris')).toEqual({ canary: { version: 3, percent: 5 } });
    await r.traffic.set('iris', { shadow: { version: 3, percent: 50 }, canary: null }, engineer);
    await r.lifecycle.transition('iris', 3, { to: 'retired' }, undefined, admin);
    expect(await r.traffic.get('iris')).toEqual({ canary: null });
    expect(r.p.traffic.store.rows).toEqual([]);
  });
});
