import { authHeader, tokenFor } from './support/auth';
import { readFixtureCsv } from './support/fixtures';
import { dashboardExpressions, family, ruleExpressions, selectedMetrics } from './support/monitoring';
import { createModel, transition, uploadVersion } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';
import { BLOBS_FEATURES, csvText, uploadDataset } from './support/training';

/**
 * The shipped dashboard and alert rules (deploy/monitoring) query only metrics a running ModelGate
 * exposes, and every metric it exposes is namespaced `modelgate_` but Node's own process_/nodejs_
 * defaults (CONTRACT.md, "Monitoring (v1)"). The drift gauges have series only once a version has a
 * drift reading, so the setup makes one: the classifier fixture with a profile from the blobs
 * dataset, a few rows served, its drift report asked for.
 */
describe('/metrics against the shipped dashboard and alert rules (e2e)', () => {
  let t: TestApp;
  let exposed: Map<string, string>;
  let body: string;

  beforeAll(async () => {
    t = await startTestApp();
    await driftReading(t);
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    body = res.body;
    exposed = new Map([...res.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
  });
  afterAll(() => t?.close());

  it('exposes every metric the dashboard and the rules query (a histogram through its family)', () => {
    const queried = new Set(
      [...dashboardExpressions(), ...ruleExpressions()]
        .flatMap((e) => selectedMetrics(e).names)
        .filter((n) => /^(modelgate|process|nodejs)_/.test(n)),
    );
    const missing = [...queried].filter((name) => !exposed.has(name) && !(exposed.get(family(name)) === 'histogram'));
    expect(missing).toEqual([]);
    expect(queried.size).toBeGreaterThan(15);
  });

  it('has series on the drift gauges (the setup’s reading), which the drift panels and rules select', () => {
    // prom-client declares a gauge (# TYPE) before it has any series: the samples are what a panel plots.
    expect(exposed.get('modelgate_feature_drift_psi')).toBe('gauge');
    expect(exposed.get('modelgate_prediction_drift_psi')).toBe('gauge');
    const features = [...body.matchAll(/^modelgate_feature_drift_psi\{model="monitored",version="1",feature="(\w+)"\} (\S+)$/gm)];
    expect(features.map((m) => m[1]).sort()).toEqual([...BLOBS_FEATURES].sort());
    expect(features.every((m) => Number.isFinite(Number(m[2])))).toBe(true);
    expect(body).toMatch(/^modelgate_prediction_drift_psi\{model="monitored",version="1"\} [\d.e+-]+$/m);
  });

  it('namespaces every metric of its own modelgate_', () => {
    const unprefixed = [...exposed.keys()].filter((name) => !/^(modelgate|process|nodejs)_/.test(name));
    expect(unprefixed).toEqual([]);
    expect([...exposed.keys()].filter((n) => n.startsWith('modelgate_')).length).toBeGreaterThan(20);
  });
});

/** A profiled version (the classifier fixture, its profile from the blobs dataset), 120 rows served (the gauges need DRIFT_GAUGE_MIN_ROWS, 100), its drift report (the gauges' window). */
async function driftReading(t: TestApp): Promise<void> {
  const engineer = await tokenFor(t, 'ml-engineer');
  const consumer = await tokenFor(t, 'consumer');
  const { header, rows } = readFixtureCsv('blobs');
  const dataset = await uploadDataset(t, engineer, csvText(header, rows), 'blobs-monitoring');
  expect(dataset.statusCode).toBe(201);
  await createModel(t, engineer, 'monitored', { task: 'classification' });
  const upload = await uploadVersion(t, engineer, 'monitored');
  expect(upload.statusCode).toBe(201);
  const version = upload.json().version as number;
  expect((await transition(t, engineer, 'monitored', version, { to: 'staging' })).statusCode).toBe(200);
  const inject = t.app.inject.bind(t.app);
  const url = `/v1/models/monitored/versions/${version}`;
  const profile = await inject({
    method: 'PUT',
    url: `${url}/profile`,
    headers: authHeader(engineer),
    payload: { datasetId: dataset.json().id },
  });
  expect(profile.statusCode).toBe(200);
  const columns = BLOBS_FEATURES.map((f) => header.indexOf(f));
  for (let start = 0; start < 120; start += 40) {
    const instances = rows.slice(start, start + 40).map((r) => columns.map((c) => Number(r[c])));
    const served = await inject({ method: 'POST', url: `${url}/predict`, headers: authHeader(consumer), payload: { instances } });
    expect(served.statusCode).toBe(200);
  }
  const drift = await inject({ method: 'GET', url: `${url}/drift`, headers: authHeader(engineer) });
  expect(drift.statusCode).toBe(200);
  expect(drift.json()).toMatchObject({ window: 60, rows: 120, predictions: { psi: expect.any(Number) } });
  expect(drift.json().features.map((f: { psi: unknown }) => typeof f.psi)).toEqual(BLOBS_FEATURES.map(() => 'number'));
}
