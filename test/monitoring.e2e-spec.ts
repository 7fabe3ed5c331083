import { dashboardExpressions, family, ruleExpressions, selectedMetrics } from './support/monitoring';
import { startTestApp, TestApp } from './support/test-app';

/**
 * The shipped dashboard and alert rules (deploy/monitoring) query only metrics a running ModelGate
 * exposes, and every metric it exposes is namespaced `modelgate_` but Node's own process_/nodejs_
 * defaults (CONTRACT.md, "Monitoring (v1)").
 */
describe('/metrics against the shipped dashboard and alert rules (e2e)', () => {
  let t: TestApp;
  let exposed: Map<string, string>;

  beforeAll(async () => {
    t = await startTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
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

  it('namespaces every metric of its own modelgate_', () => {
    const unprefixed = [...exposed.keys()].filter((name) => !/^(modelgate|process|nodejs)_/.test(name));
    expect(unprefixed).toEqual([]);
    expect([...exposed.keys()].filter((n) => n.startsWith('modelgate_')).length).toBeGreaterThan(20);
  });
});
