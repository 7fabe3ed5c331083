import { authHeader, bootstrapAdmin, createUser, tokenFor } from './support/auth';
import { createModel, fixtureFiles, transition, uploadVersion } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The signature guard (CONTRACT.md, "Changes to the above"): a promotion to production or a canary
 * whose inputs/outputs differ from production's → 409 SIGNATURE_MISMATCH listing each difference,
 * unless an admin sends `force: true` (anyone else → 403), which is audited; `signatureChanges` on
 * the version resource. Real fixtures: classifier and multi-shard take [-1, 4]; mlp-bench takes [-1, 32].
 */
describe('signature guard (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = (await createUser(t, 'ml-engineer')).accessToken;
    consumer = await tokenFor(t, 'consumer');
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const getVersion = (name: string, version: number) =>
    inject({ method: 'GET', url: `/v1/models/${name}/versions/${version}`, headers: authHeader(consumer) });
  const setTraffic = (token: string, name: string, payload: Record<string, unknown>) =>
    inject({ method: 'PUT', url: `/v1/models/${name}/traffic`, headers: authHeader(token), payload });
  const auditEvents = async (action: string, model: string) =>
    (await inject({ method: 'GET', url: `/v1/audit-events?action=${action}&limit=100`, headers: authHeader(admin) }))
      .json()
      .items.filter((e: { details: { model?: string } }) => e.details.model === model);

  /** Uploads a fixture and moves it to staging; returns its version number. */
  const staged = async (name: string, fixture: string) => {
    const up = await uploadVersion(t, engineer, name, fixtureFiles(fixture));
    expect(up.statusCode).toBe(201);
    const v = up.json().version as number;
    expect((await transition(t, engineer, name, v, { to: 'staging' })).statusCode).toBe(200);
    return v;
  };

  const WIDER = { field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" };
  const NARROWER = { field: 'inputs.features.shape', message: "shape [-1, 4] differs from production's [-1, 32]" };

  describe('a version taking 32 features over a production taking 4', () => {
    const MODEL = 'guarded';
    let v1: number;
    let v2: number;

    beforeAll(async () => {
      await createModel(t, engineer, MODEL);
      v1 = await staged(MODEL, 'classifier');
      // The first production version has nothing to be compared with.
      const first = await transition(t, engineer, MODEL, v1, { to: 'production' });
      expect(first.statusCode).toBe(200);
      expect(first.json().signatureChanges).toEqual([]);
      v2 = await staged(MODEL, 'mlp-bench');
    });

    it('shows signatureChanges on GET and in the list: the differences vs production, none for production itself', async () => {
      const candidate = await getVersion(MODEL, v2);
      expect(candidate.statusCode).toBe(200);
      expect(candidate.json().signatureChanges).toEqual([WIDER]);
      expect((await getVersion(MODEL, v1)).json().signatureChanges).toEqual([]);
      const list = await inject({ method: 'GET', url: `/v1/models/${MODEL}/versions`, headers: authHeader(consumer) });
      expect(list.json().items.map((v: { version: number; signatureChanges: unknown }) => [v.version, v.signatureChanges])).toEqual([
        [v2, [WIDER]],
        [v1, []],
      ]);
    });

    it('refuses the promotion with 409 SIGNATURE_MISMATCH listing each difference, and changes nothing', async () => {
      const res = await transition(t, engineer, MODEL, v2, { to: 'production' });
      expect(res.statusCode).toBe(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toEqual(
        expect.objectContaining({
          status: 409,
          code: 'SIGNATURE_MISMATCH',
          errors: [WIDER],
          version: v2,
          productionVersion: v1,
          detail: expect.stringMatching(/differs from production version 1's in 1 place.*an admin sends "force": true/),
        }),
      );
      expect((await getVersion(MODEL, v2)).json().stage).toBe('staging');
      expect((await inject({ method: 'GET', url: `/v1/models/${MODEL}`, headers: authHeader(consumer) })).json().productionVersion).toBe(
        v1,
      );
    });

    it('refuses force from an ml-engineer with 403 FORCE_NOT_ALLOWED, and a force that is not a boolean with 400', async () => {
      const res = await transition(t, engineer, MODEL, v2, { to: 'production', force: true });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual(expect.objectContaining({ code: 'FORCE_NOT_ALLOWED' }));
      const bad = await transition(t, admin, MODEL, v2, { to: 'production', force: 'yes' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors).toEqual([expect.objectContaining({ field: 'force' })]);
      expect((await getVersion(MODEL, v2)).json().stage).toBe('staging');
    });

    it('guards a canary the same way: 409, 403 for an engineer forcing, an admin override audited as forced', async () => {
      const refused = await setTraffic(engineer, MODEL, { canary: { version: v2, percent: 10 } });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toEqual(expect.objectContaining({ code: 'SIGNATURE_MISMATCH', errors: [WIDER] }));
      expect(refused.json().detail).toMatch(/send it canary traffic/);
      const engineerForce = await setTraffic(engineer, MODEL, { canary: { version: v2, percent: 10 }, force: true });
      expect(engineerForce.statusCode).toBe(403);
      expect(engineerForce.json().code).toBe('FORCE_NOT_ALLOWED');
      expect((await inject({ method: 'GET', url: `/v1/models/${MODEL}/traffic`, headers: authHeader(consumer) })).json()).toEqual({
        canary: null,
      });

      const forced = await setTraffic(admin, MODEL, { canary: { version: v2, percent: 10 }, force: true });
      expect(forced.statusCode).toBe(200);
      expect(forced.json()).toEqual({ canary: { version: v2, percent: 10 } });
      const [event] = await auditEvents('model-traffic.set', MODEL);
      expect(event.details).toEqual(
        expect.objectContaining({ canary: { version: v2, percent: 10 }, forced: true, signatureChanges: [WIDER] }),
      );
      expect((await setTraffic(engineer, MODEL, { canary: null })).statusCode).toBe(200);
    });

    it('lets an admin force the promotion (If-Match from GET still holds), audited with forced and the differences', async () => {
      const etag = (await getVersion(MODEL, v2)).headers.etag as string;
      const res = await transition(t, admin, MODEL, v2, { to: 'production', force: true, reason: 'new feature set' }, { 'if-match': etag });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(expect.objectContaining({ stage: 'production', signatureChanges: [] }));

      const promoted = (await auditEvents('model-version.transitioned', MODEL)).find(
        (e: { details: { version: number; to: string } }) => e.details.version === v2 && e.details.to === 'production',
      );
      expect(promoted.details).toEqual(
        expect.objectContaining({ from: 'staging', to: 'production', reason: 'new feature set', forced: true, signatureChanges: [WIDER] }),
      );
      // The unforced transitions (v1's own promotion, its deprecation) carry no override.
      const others = (await auditEvents('model-version.transitioned', MODEL)).filter(
        (e: { details: { forced?: boolean } }) => !e.details.forced,
      );
      expect(others.length).toBeGreaterThanOrEqual(3);
      // Production moved: the superseded version is the one that differs now.
      const previous = (await getVersion(MODEL, v1)).json();
      expect(previous).toEqual(expect.objectContaining({ stage: 'deprecated', signatureChanges: [NARROWER] }));
    });

    it('guards a rollback (deprecated → production) against the production that replaced it', async () => {
      const res = await transition(t, engineer, MODEL, v1, { to: 'production' });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual(expect.objectContaining({ code: 'SIGNATURE_MISMATCH', errors: [NARROWER], productionVersion: v2 }));
      const forced = await transition(t, admin, MODEL, v1, { to: 'production', force: true, reason: 'roll back' });
      expect(forced.statusCode).toBe(200);
      expect(forced.json().stage).toBe('production');
      expect((await getVersion(MODEL, v2)).json()).toEqual(expect.objectContaining({ stage: 'deprecated', signatureChanges: [WIDER] }));
    });
  });

  it('names renamed tensors as missing and added (a graph model whose input is not called "features")', async () => {
    await createModel(t, engineer, 'renamed');
    const v1 = await staged('renamed', 'classifier');
    await transition(t, engineer, 'renamed', v1, { to: 'production' });
    const v2 = await staged('renamed', 'graph');
    const graph = (await getVersion('renamed', v2)).json();
    const [input] = graph.inputs as { name: string }[];
    const [output] = graph.outputs as { name: string }[];
    const res = await transition(t, engineer, 'renamed', v2, { to: 'production' });
    expect(res.statusCode).toBe(409);
    expect(res.json().errors).toEqual([
      { field: 'inputs.features', message: `production's input "features" (FP32 [-1, 4]) is missing from this version` },
      { field: `inputs.${input.name}`, message: `input "${input.name}" (FP32 [-1, 4]) is not in production's signature` },
      { field: 'outputs.probabilities', message: `production's output "probabilities" (FP32 [-1, 3]) is missing from this version` },
      { field: `outputs.${output.name}`, message: `output "${output.name}" (FP32 [-1, 3]) is not in production's signature` },
    ]);
    expect(graph.signatureChanges).toEqual(res.json().errors);
  });

  it('lets a version with the same signature through: promotion and canary need no force', async () => {
    await createModel(t, engineer, 'same');
    const v1 = await staged('same', 'classifier');
    expect((await transition(t, engineer, 'same', v1, { to: 'production' })).statusCode).toBe(200);
    const v2 = await staged('same', 'multi-shard');
    expect((await getVersion('same', v2)).json().signatureChanges).toEqual([]);
    const canary = await setTraffic(engineer, 'same', { canary: { version: v2, percent: 20 } });
    expect(canary.statusCode).toBe(200);
    const promoted = await transition(t, engineer, 'same', v2, { to: 'production' });
    expect(promoted.statusCode).toBe(200);
    expect(promoted.json()).toEqual(expect.objectContaining({ stage: 'production', signatureChanges: [] }));
    const [event] = await auditEvents('model-traffic.set', 'same');
    expect(event.details).not.toHaveProperty('forced');
  });
});
