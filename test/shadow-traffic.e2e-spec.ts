import { ShadowRunner, UsageRecorder } from '@app/predictions';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, fixtureFiles, transition, uploadVersion } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Shadow traffic on the real app over its embedded database: the traffic route takes and shows a
 * shadow with the canary's eligibility rules and signature guard; production requests are run again
 * on the shadow after the answer, which never changes; GET .../shadow-report compares the two
 * (checked against the two versions' own answers) and restarts with a new shadow version; shadow
 * runs are not anyone's usage.
 */
const MODEL = 'shadowed';
const instances = readFixtureReference('classifier').inputs.slice(0, 10);

/** The classifier's files with every weight moved: the same signature, other answers. */
function perturbedClassifier() {
  return fixtureFiles('classifier').map((file) => {
    if (!file.filename.endsWith('.bin')) return file;
    const weights = new Float32Array(file.data.buffer.slice(file.data.byteOffset, file.data.byteOffset + file.data.byteLength));
    for (let i = 0; i < weights.length; i++) weights[i] = weights[i] * 0.6 + 0.5 * Math.sin(i + 1);
    return { ...file, data: Buffer.from(weights.buffer) };
  });
}

describe('shadow traffic (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let engineer: string;
  let consumer: string;
  const v = { production: 0, same: 0, other: 0, draft: 0, regressor: 0 };

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const putTraffic = (payload: object, token = engineer) =>
    inject({ method: 'PUT', url: `/v1/models/${MODEL}/traffic`, headers: authHeader(token), payload });
  const getTraffic = async () =>
    (await inject({ method: 'GET', url: `/v1/models/${MODEL}/traffic`, headers: authHeader(consumer) })).json();
  const report = async (token = engineer) => {
    const res = await inject({ method: 'GET', url: `/v1/models/${MODEL}/shadow-report`, headers: authHeader(token) });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const predict = async (url: string, token = consumer) => {
    const res = await inject({ method: 'POST', url, headers: authHeader(token), payload: { instances } });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const predictProduction = () => predict(`/v1/models/${MODEL}/predict`);
  const upload = async (files = fixtureFiles('classifier'), stage: 'draft' | 'staging' | 'production' = 'staging') => {
    const res = await uploadVersion(t, engineer, MODEL, files);
    expect(res.statusCode).toBe(201);
    const version = res.json().version as number;
    for (const to of stage === 'draft' ? [] : stage === 'staging' ? ['staging'] : ['staging', 'production']) {
      expect((await transition(t, engineer, MODEL, version, { to })).statusCode).toBe(200);
    }
    return version;
  };

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, MODEL, { task: 'classification' });
    v.production = await upload(fixtureFiles('classifier'), 'production');
    v.same = await upload(); // the very same weights
    v.other = await upload(perturbedClassifier());
    v.draft = await upload(fixtureFiles('classifier'), 'draft');
    v.regressor = await upload(fixtureFiles('regressor'));
  });
  afterAll(() => t?.close());

  it('PUT/GET traffic take and show a shadow with the canary omitted, keep the part left out, and clear it with null', async () => {
    const set = await putTraffic({ shadow: { version: v.same, percent: 100 } });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ canary: null, shadow: { version: v.same, percent: 100 } });
    expect(await getTraffic()).toEqual({ canary: null, shadow: { version: v.same, percent: 100 } });

    // A canary set alone leaves the shadow as it is, and the other way round.
    expect((await putTraffic({ canary: { version: v.other, percent: 10 } })).json()).toEqual({
      canary: { version: v.other, percent: 10 },
      shadow: { version: v.same, percent: 100 },
    });
    expect((await putTraffic({ shadow: { version: v.same, percent: 1 } })).json()).toEqual({
      canary: { version: v.other, percent: 10 },
      shadow: { version: v.same, percent: 1 },
    });
    expect((await putTraffic({ canary: null })).json()).toEqual({ canary: null, shadow: { version: v.same, percent: 1 } });
    expect((await putTraffic({ shadow: null })).json()).toEqual({ canary: null });
    expect(await getTraffic()).toEqual({ canary: null });
    expect(await report()).toMatchObject({ version: null, requests: 0, since: null });
  });

  it('validates the shadow: percent 1–100, a body with neither part, and the role', async () => {
    for (const percent of [0, 0.5, 101, -1]) {
      const bad = await putTraffic({ shadow: { version: v.same, percent } });
      expect({ percent, status: bad.statusCode, field: bad.json().errors?.[0]?.field }).toEqual({
        percent,
        status: 400,
        field: 'shadow.percent',
      });
    }
    expect((await putTraffic({})).statusCode).toBe(400);
    expect((await putTraffic({ shadow: { version: v.same, percent: 50 } }, consumer)).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: `/v1/models/${MODEL}/shadow-report`, headers: authHeader(consumer) })).statusCode).toBe(403);
    expect((await inject({ method: 'GET', url: '/v1/models/nope/shadow-report', headers: authHeader(engineer) })).json().code).toBe(
      'MODEL_NOT_FOUND',
    );
  });

  it('refuses a draft or the production version as the shadow (409), as it does a canary', async () => {
    for (const version of [v.draft, v.production]) {
      const res = await putTraffic({ shadow: { version, percent: 50 } });
      expect({ version, status: res.statusCode, code: res.json().code }).toEqual({
        version,
        status: 409,
        code: 'CANARY_VERSION_NOT_ELIGIBLE',
      });
    }
    expect((await putTraffic({ shadow: { version: 99, percent: 50 } })).json().code).toBe('MODEL_VERSION_NOT_FOUND');
    expect(await getTraffic()).toEqual({ canary: null });
  });

  it("guards the shadow's signature: 409 SIGNATURE_MISMATCH, 403 for an engineer's force, an admin's force goes through", async () => {
    const refused = await putTraffic({ shadow: { version: v.regressor, percent: 50 } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'SIGNATURE_MISMATCH', productionVersion: v.production });
    expect(refused.json().detail).toMatch(/send it shadow traffic/);
    expect((await putTraffic({ shadow: { version: v.regressor, percent: 50 }, force: true })).json().code).toBe('FORCE_NOT_ALLOWED');
    expect(await getTraffic()).toEqual({ canary: null });

    const forced = await putTraffic({ shadow: { version: v.regressor, percent: 50 }, force: true }, admin);
    expect(forced.statusCode).toBe(200);
    expect(forced.json()).toEqual({ canary: null, shadow: { version: v.regressor, percent: 50 } });
    expect((await putTraffic({ shadow: null })).statusCode).toBe(200);
  });

  it("an identical shadow: the caller's answers do not change, and the report shows full agreement and no difference", async () => {
    const without = [await predictProduction(), await predictProduction()];
    const set = await putTraffic({ shadow: { version: v.same, percent: 100 } });
    expect(set.statusCode).toBe(200);
    const started = await report();
    expect(started).toMatchObject({ version: v.same, requests: 0, errors: 0, agreement: null, meanAbsDiff: null });

    const mirrored = 5;
    const withShadow = [];
    for (let i = 0; i < mirrored; i++) withShadow.push(await predictProduction());
    for (const answer of withShadow) expect(answer).toEqual(without[0]);
    expect(without[1]).toEqual(without[0]);
    // Requests for a named version are not production's traffic: never mirrored.
    await predict(`/v1/models/${MODEL}/versions/${v.production}/predict`);
    await t.app.get(ShadowRunner).idle();

    expect(await report()).toEqual({
      version: v.same,
      baselineVersion: v.production,
      requests: mirrored,
      errors: 0,
      agreement: 1,
      meanAbsDiff: 0,
      p50Ms: expect.any(Number),
      p95Ms: expect.any(Number),
      baselineP50Ms: expect.any(Number),
      baselineP95Ms: expect.any(Number),
      since: started.since,
    });
    const metrics = (await inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      new RegExp(`modelgate_shadow_predictions_total\\{model="${MODEL}",version="${v.same}",outcome="ok"\\} ${mirrored}\\b`),
    );
  });

  it("another version's shadow restarts the report, which then matches the two versions' own answers", async () => {
    const before = await report();
    expect((await putTraffic({ shadow: { version: v.other, percent: 100 } })).statusCode).toBe(200);
    const restarted = await report();
    expect(restarted).toMatchObject({ version: v.other, requests: 0, errors: 0 });
    expect(Date.parse(restarted.since)).toBeGreaterThan(Date.parse(before.since));

    const mirrored = 4;
    for (let i = 0; i < mirrored; i++) await predictProduction();
    await t.app.get(ShadowRunner).idle();

    const baseline = (await predict(`/v1/models/${MODEL}/versions/${v.production}/predict`, engineer)).predictions as number[][];
    const shadow = (await predict(`/v1/models/${MODEL}/versions/${v.other}/predict`, engineer)).predictions as number[][];
    const argmax = (row: number[]) => row.indexOf(Math.max(...row));
    const agreement = baseline.filter((row, r) => argmax(row) === argmax(shadow[r])).length / baseline.length;
    const diffs = baseline.flatMap((row, r) => row.map((value, i) => Math.abs(shadow[r][i] - value)));
    const meanAbsDiff = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    // The perturbed weights do answer otherwise, and change some top classes but not all.
    expect(meanAbsDiff).toBeGreaterThan(0);
    expect(agreement).toBeGreaterThan(0);
    expect(agreement).toBeLessThan(1);

    const got = await report();
    expect(got).toMatchObject({ version: v.other, baselineVersion: v.production, requests: mirrored, errors: 0, since: restarted.since });
    expect(got.agreement).toBeCloseTo(agreement, 6);
    expect(got.meanAbsDiff).toBeCloseTo(meanAbsDiff, 6);

    // The same version at another share keeps its run; a new version starts from nothing again.
    expect((await putTraffic({ shadow: { version: v.other, percent: 50 } })).statusCode).toBe(200);
    expect(await report()).toMatchObject({ version: v.other, requests: mirrored, since: restarted.since });
    expect((await putTraffic({ shadow: { version: v.same, percent: 100 } })).statusCode).toBe(200);
    const again = await report();
    expect(again).toMatchObject({ version: v.same, requests: 0 });
    expect(again.since).not.toBe(before.since);
  });

  it("shadow runs are nobody's usage: only the callers' own requests are counted", async () => {
    await t.app.get(ShadowRunner).idle();
    await t.app.get(UsageRecorder).flush();
    const res = await inject({ method: 'GET', url: `/v1/usage?groupBy=version&model=${MODEL}`, headers: authHeader(admin) });
    expect(res.statusCode).toBe(200);
    const requests = Object.fromEntries((res.json().items as { key: string; requests: number }[]).map((i) => [i.key, i.requests]));
    // Production: 2 + 5 + 4 production calls, 1 + 1 direct calls. The shadows ran 5 (v.same) and 4 (v.other) times
    // on top; v.same was never called directly and v.other once.
    expect(requests[`${MODEL}:${v.production}`]).toBe(2 + 5 + 4 + 1 + 1);
    expect(requests[`${MODEL}:${v.same}`]).toBeUndefined();
    expect(requests[`${MODEL}:${v.other}`]).toBe(1);
  });

  it('a shadow version that goes to production stops being the shadow; a retired one is refused', async () => {
    expect((await putTraffic({ shadow: { version: v.other, percent: 100 } })).statusCode).toBe(200);
    expect((await transition(t, engineer, MODEL, v.other, { to: 'production' })).statusCode).toBe(200);
    expect(await getTraffic()).toEqual({ canary: null });
    expect(await report()).toMatchObject({ version: null, requests: 0 });

    expect((await transition(t, admin, MODEL, v.same, { to: 'retired' })).statusCode).toBe(200);
    const retired = await putTraffic({ shadow: { version: v.same, percent: 100 } });
    expect({ status: retired.statusCode, code: retired.json().code }).toEqual({ status: 409, code: 'MODEL_VERSION_RETIRED' });
  });
});
