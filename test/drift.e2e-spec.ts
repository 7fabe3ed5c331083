import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { createModel, fixtureFiles, transition, uploadVersion } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';
import { blobsTable, drawRows } from './support/drift';
import { BLOBS_FEATURES, createJob, csvText, uploadDataset, waitForJob } from './support/training';

/**
 * Drift on the real app and database: a version trained here keeps its training profile, an
 * uploaded one gets its profile from a dataset; serving rows drawn like the training data reads
 * `ok` on every feature, and rows with one feature moved by three standard deviations reads
 * `alert` on that feature alone (the report, and the gauges on /metrics). Plus the profile route's
 * refusals.
 */
const SHIFTED = 'petal_length';

describe('drift monitoring (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;
  let admin: string;
  let datasetId: string;
  const { header, rows, table } = blobsTable();

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);

  const draw = (count: number, seed: number, shift = 0, std = 0) => drawRows(table, count, seed, SHIFTED, shift, std);

  async function serve(model: string, version: number, instances: number[][], named: boolean): Promise<void> {
    for (let i = 0; i < instances.length; i += 100) {
      const chunk = instances.slice(i, i + 100).map((r) => (named ? Object.fromEntries(BLOBS_FEATURES.map((f, j) => [f, r[j]])) : r));
      const res = await inject({
        method: 'POST',
        url: `/v1/models/${model}/versions/${version}/predict`,
        headers: authHeader(consumer),
        payload: { instances: chunk },
      });
      expect(res.statusCode).toBe(200);
    }
  }

  async function drift(model: string, version: number, query = '') {
    const res = await inject({
      method: 'GET',
      url: `/v1/models/${model}/versions/${version}/drift${query}`,
      headers: authHeader(engineer),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  const statusOf = (report: { features: { name: string; status: string }[] }) =>
    Object.fromEntries(report.features.map((f) => [f.name, f.status]));

  beforeAll(async () => {
    t = await startTestApp();
    admin = (await bootstrapAdmin(t)).accessToken;
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    const res = await uploadDataset(t, engineer, csvText(header, rows), 'blobs-drift');
    expect(res.statusCode).toBe(201);
    datasetId = res.json().id;
  });
  afterAll(() => t?.close());

  describe('a version trained here', () => {
    let version: number;

    beforeAll(async () => {
      const res = await createJob(t, engineer, {
        modelName: 'drift-trained',
        datasetId,
        task: 'classification',
        features: BLOBS_FEATURES,
        target: 'species',
        architecture: { hiddenLayers: [16], activation: 'relu' },
        hyperparameters: { epochs: 8, batchSize: 32, learningRate: 0.05, validationSplit: 0.2, seed: 3 },
      });
      expect(res.statusCode).toBe(202);
      const job = await waitForJob(t, engineer, res.json().id);
      expect(job.status).toBe('succeeded');
      version = job.modelVersion!;
    }, 180_000);

    it('keeps its training profile: per feature 10 quantile bins of the training split, mean and std; its validation predictions by class', async () => {
      const res = await inject({
        method: 'GET',
        url: `/v1/models/drift-trained/versions/${version}/profile`,
        headers: authHeader(engineer),
      });
      expect(res.statusCode).toBe(200);
      const profile = res.json();
      expect(profile).toMatchObject({
        model: 'drift-trained',
        version,
        source: 'training',
        revision: 1,
        datasetId,
        rows: Math.round(rows.length * 0.8),
      });
      expect(profile.features.map((f: { name: string }) => f.name)).toEqual(BLOBS_FEATURES);
      for (const [j, f] of (profile.features as { binEdges: number[]; binShares: number[]; mean: number; std: number }[]).entries()) {
        expect(f.binEdges).toHaveLength(11);
        expect(f.binShares).toHaveLength(10);
        expect(f.binShares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
        const values = table.map((r) => r[j]);
        // The training split is 80 % of the rows: its edges are within the whole column's range (trained on float32 values), its mean near the column's.
        expect(f.binEdges[0]).toBeGreaterThanOrEqual(Math.min(...values) - 1e-5);
        expect(f.binEdges[10]).toBeLessThanOrEqual(Math.max(...values) + 1e-5);
        expect([...f.binEdges].sort((a, b) => a - b)).toEqual(f.binEdges);
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        expect(Math.abs(f.mean - mean)).toBeLessThan(0.25 * f.std + 1e-9);
      }
      expect(profile.predictions.kind).toBe('classes');
      expect(profile.predictions.classes).toHaveLength(3);
      expect(profile.predictions.shares.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 6);
    });

    it('rows drawn like the training data: every feature ok; one feature moved by 3 std: that feature alert, the others not', async () => {
      await serve('drift-trained', version, draw(2000, 11), true);
      const calm = await drift('drift-trained', version);
      expect(calm).toMatchObject({ model: 'drift-trained', version, window: 60, rows: 2000, profile: { source: 'training' } });
      expect(statusOf(calm)).toEqual(Object.fromEntries(BLOBS_FEATURES.map((f) => [f, 'ok'])));
      for (const f of calm.features) {
        expect(f.psi).toBeLessThan(0.1);
        expect(Math.abs(f.meanServing - f.meanTraining)).toBeLessThan(0.2 * f.stdTraining);
        expect(f.servingShares).toHaveLength(10);
      }
      expect(calm.predictions.status).toBe('ok');
      expect(calm.predictions.distributionServing).toHaveLength(3);

      const std = calm.features.find((f: { name: string }) => f.name === SHIFTED).stdTraining;
      await serve('drift-trained', version, draw(3000, 12, 3, std), true);
      const shifted = await drift('drift-trained', version);
      expect(shifted.rows).toBe(5000);
      expect(statusOf(shifted)).toEqual(Object.fromEntries(BLOBS_FEATURES.map((f) => [f, f === SHIFTED ? 'alert' : 'ok'])));
      const moved = shifted.features.find((f: { name: string }) => f.name === SHIFTED);
      expect(moved.psi).toBeGreaterThanOrEqual(0.25);
      expect(moved.meanServing - moved.meanTraining).toBeGreaterThan(1.5 * std);

      const metrics = (await inject({ method: 'GET', url: '/metrics' })).body;
      const gauge = (feature: string) =>
        Number(
          metrics.match(
            new RegExp(`modelgate_feature_drift_psi\\{model="drift-trained",version="${version}",feature="${feature}"\\} (\\S+)`),
          )?.[1],
        );
      expect(gauge(SHIFTED)).toBeGreaterThanOrEqual(0.25);
      expect(gauge('sepal_width')).toBeLessThan(0.1);
      expect(metrics).toMatch(new RegExp(`modelgate_prediction_drift_psi\\{model="drift-trained",version="${version}"\\} \\S+`));
    });
  });

  describe('an uploaded version', () => {
    let version: number;

    beforeAll(async () => {
      await createModel(t, engineer, 'drift-uploaded', { task: 'classification' });
      const res = await uploadVersion(t, engineer, 'drift-uploaded', fixtureFiles('classifier'));
      expect(res.statusCode).toBe(201);
      version = res.json().version;
      expect((await transition(t, engineer, 'drift-uploaded', version, { to: 'staging' })).statusCode).toBe(200);
    });

    const putProfile = (payload: unknown, token = engineer, v = version) =>
      inject({
        method: 'PUT',
        url: `/v1/models/drift-uploaded/versions/${v}/profile`,
        headers: authHeader(token),
        payload: payload as object,
      });

    it('has no profile until one is set: drift answers 404 PROFILE_NOT_FOUND', async () => {
      const res = await inject({
        method: 'GET',
        url: `/v1/models/drift-uploaded/versions/${version}/drift`,
        headers: authHeader(engineer),
      });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('PROFILE_NOT_FOUND');
    });

    it('refuses bad profiles with a problem naming what is wrong', async () => {
      const feature = (name: string) => ({ name, binEdges: [0, 1, 2], binShares: [0.5, 0.5], mean: 1, std: 0.5 });
      const cases: [unknown, number, string][] = [
        [{}, 400, 'VALIDATION_FAILED'],
        [{ datasetId, features: [feature('a')] }, 400, 'VALIDATION_FAILED'],
        [{ datasetId: 'not-a-uuid' }, 400, 'VALIDATION_FAILED'],
        [{ features: [{ ...feature('a'), binShares: [0.5, 'x'] }] }, 400, 'VALIDATION_FAILED'],
        [{ features: [{ ...feature('a'), binShares: [0.7, 0.7] }] }, 422, 'VALIDATION_FAILED'],
        [{ features: [{ ...feature('a'), binEdges: [2, 1, 0] }] }, 422, 'VALIDATION_FAILED'],
        [{ features: [feature('a'), feature('a'), feature('b'), feature('c')] }, 422, 'VALIDATION_FAILED'],
        [{ features: [feature('a')] }, 422, 'PROFILE_NOT_APPLICABLE'],
        [{ features: null }, 400, 'VALIDATION_FAILED'],
        [{ datasetId: null }, 400, 'VALIDATION_FAILED'],
        [[], 400, 'VALIDATION_FAILED'],
        [{ features: ['a', 'b', 'c', 'd'].map(feature), predictions: {} }, 400, 'VALIDATION_FAILED'],
        [{ features: ['a', 'b', 'c', 'd'].map(feature), predictions: { classes: ['x', 'y', 'z'] } }, 422, 'VALIDATION_FAILED'],
        [{ features: ['a', 'b', 'c', 'd'].map((n) => ({ ...feature(n), mean: 'NaN' })) }, 400, 'VALIDATION_FAILED'],
        [{ datasetId, columns: [] }, 400, 'VALIDATION_FAILED'],
        [
          { features: ['a', 'b', 'c', 'd'].map(feature), predictions: { classes: ['x', 'y'], shares: [0.5, 0.5] } },
          422,
          'PROFILE_NOT_APPLICABLE',
        ],
        [{ datasetId, columns: ['sepal_length', 'species', 'nope', 'petal_width'] }, 422, 'VALIDATION_FAILED'],
        [{ datasetId, columns: ['sepal_length'] }, 422, 'PROFILE_NOT_APPLICABLE'],
        [{ datasetId: '00000000-0000-4000-8000-000000000000' }, 404, 'DATASET_NOT_FOUND'],
      ];
      for (const [payload, status, code] of cases) {
        const res = await putProfile(payload);
        expect({ payload, status: res.statusCode, code: res.json().code }).toEqual({ payload, status, code });
        expect(res.headers['content-type']).toContain('application/problem+json');
      }
      expect((await putProfile({ datasetId }, consumer)).statusCode).toBe(403);
      expect((await putProfile({ datasetId }, engineer, 999)).json().code).toBe('MODEL_VERSION_NOT_FOUND');
    });

    it('builds its profile from a dataset (its numeric columns, the version’s own predictions), then reports drift as for a trained one', async () => {
      const res = await putProfile({ datasetId });
      expect(res.statusCode).toBe(200);
      const profile = res.json();
      expect(profile).toMatchObject({ source: 'dataset', revision: 1, datasetId, rows: rows.length });
      expect(profile.features.map((f: { name: string }) => f.name)).toEqual(BLOBS_FEATURES);
      expect(profile.predictions).toMatchObject({ kind: 'classes', classes: ['setosa', 'versicolor', 'virginica'] });

      await serve('drift-uploaded', version, draw(2000, 21), false);
      const calm = await drift('drift-uploaded', version, '?window=30');
      expect(calm).toMatchObject({ window: 30, rows: 2000, profile: { source: 'dataset', revision: 1 } });
      expect(statusOf(calm)).toEqual(Object.fromEntries(BLOBS_FEATURES.map((f) => [f, 'ok'])));
      expect(calm.predictions.status).toBe('ok');

      const std = profile.features.find((f: { name: string }) => f.name === SHIFTED).std;
      await serve('drift-uploaded', version, draw(3000, 22, 3, std), false);
      const shifted = await drift('drift-uploaded', version);
      expect(statusOf(shifted)).toEqual(Object.fromEntries(BLOBS_FEATURES.map((f) => [f, f === SHIFTED ? 'alert' : 'ok'])));
    });

    it('takes statistics directly; a new profile restarts the counts (its revision)', async () => {
      const current = (
        await inject({ method: 'GET', url: `/v1/models/drift-uploaded/versions/${version}/profile`, headers: authHeader(engineer) })
      ).json();
      // The same bins given as inner cut points (9 edges for 10 bins): an accepted form.
      const features = current.features.map((f: { name: string; binEdges: number[]; binShares: number[]; mean: number; std: number }) => ({
        ...f,
        binEdges: f.binEdges.slice(1, -1),
      }));
      const res = await putProfile({ features });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ source: 'statistics', revision: 2, datasetId: null, rows: null, predictions: null });
      const fresh = await drift('drift-uploaded', version);
      expect(fresh.rows).toBe(0);
      expect(fresh.features.every((f: { psi: number | null; status: string | null }) => f.psi === null && f.status === null)).toBe(true);
      expect(fresh.predictions).toMatchObject({ kind: null, psi: null });

      await serve('drift-uploaded', version, draw(1000, 31), false);
      const after = await drift('drift-uploaded', version);
      expect(after.rows).toBe(1000);
      expect(statusOf(after)).toEqual(Object.fromEntries(BLOBS_FEATURES.map((f) => [f, 'ok'])));
    });

    it('checks the window and the role', async () => {
      for (const q of ['?window=0', '?window=abc', '?window=1.5', '?window=200000']) {
        const res = await inject({
          method: 'GET',
          url: `/v1/models/drift-uploaded/versions/${version}/drift${q}`,
          headers: authHeader(engineer),
        });
        expect({ q, status: res.statusCode }).toEqual({ q, status: 400 });
      }
      // Within the DTO's bound but beyond the counts' retention (7 days by default).
      const beyond = await inject({
        method: 'GET',
        url: `/v1/models/drift-uploaded/versions/${version}/drift?window=20000`,
        headers: authHeader(engineer),
      });
      expect(beyond.statusCode).toBe(400);
      expect(beyond.json().errors[0].field).toBe('window');
      const forbidden = await inject({
        method: 'GET',
        url: `/v1/models/drift-uploaded/versions/${version}/drift`,
        headers: authHeader(consumer),
      });
      expect(forbidden.statusCode).toBe(403);
      expect(admin).toBeTruthy();
    });
  });
});
