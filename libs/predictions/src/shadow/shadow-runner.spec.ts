import { MetricsRegistry } from '@app/common';
import type { DynamicBatcher, ModelCache, ServingRuntime } from '@app/inference';
import type { RegistryReader, ServableVersion, ShadowSetting } from '@app/models';
import type { ServingConfig } from '../serving.config';
import type { VersionResolver } from '../serving/version-resolver';
import { emptyHistogram, latencyBucket, type ShadowTally } from './shadow-comparison';
import { ShadowComparisonsRepository, ShadowRunFigures } from './shadow-comparisons.repository';
import { ShadowRunner } from './shadow-runner';

const version = (n: number, stage: ServableVersion['stage']): ServableVersion =>
  ({
    modelId: 'm-1',
    modelName: 'iris',
    versionId: `v-${n}`,
    version: n,
    stage,
    sha256: 'a'.repeat(64),
    deprecatedAt: null,
    sunsetAt: null,
  }) as ServableVersion;

class RecordingComparisons extends ShadowComparisonsRepository {
  readonly written: ShadowTally[] = [];
  async add(tally: ShadowTally) {
    this.written.push(structuredClone(tally));
  }
  figures(): Promise<ShadowRunFigures> {
    throw new Error('not used');
  }
  async deleteRunsBefore() {}
}

/** The runner with the batcher held until released: what it does while shadow runs are slow. */
function runner(queueMax: number, shadow: ShadowSetting | null, fails = false) {
  const metrics = new MetricsRegistry();
  const comparisons = new RecordingComparisons();
  const held: (() => void)[] = [];
  const submitted: unknown[] = [];
  const resolver = { shadow: async () => shadow, resolve: async () => version(2, 'staging') } as unknown as VersionResolver;
  const batcher = {
    submit: (_key: string, inputs: number[][][]) => {
      submitted.push(inputs);
      if (fails) return Promise.reject(new Error('the shadow version cannot load'));
      // The production answer below + 0.5 everywhere: the same top class.
      const outputs = [inputs[0].map(() => [0.6, 1.2, 0.7])];
      return new Promise((resolve) => held.push(() => resolve({ outputs, queueMs: 1, computeMs: 2, batchRows: inputs[0].length })));
    },
  } as unknown as DynamicBatcher;
  const models = { peek: () => undefined } as unknown as ModelCache;
  const run = new ShadowRunner(
    resolver,
    {} as RegistryReader,
    {} as ServingRuntime,
    models,
    batcher,
    comparisons,
    { shadowQueueMax: queueMax } as ServingConfig,
    metrics,
  );
  const release = async () => {
    while (held.length || run.pending) {
      held.splice(0).forEach((go) => go());
      await new Promise((r) => setImmediate(r));
    }
    await run.idle();
  };
  return { run, metrics, comparisons, submitted, release };
}

const metricValue = async (metrics: MetricsRegistry, name: string) => (await metrics.getSingleMetric(name)!.get()).values;
const flushMicrotasks = () => new Promise((r) => setImmediate(r));

describe('ShadowRunner', () => {
  const setting: ShadowSetting = { modelId: 'm-1', version: 2, percent: 100, since: new Date('2030-01-01T00:00:00Z') };
  const inputs = [[[1, 2, 3]]];
  const outputs = [[[0.1, 0.7, 0.2]]];

  it('offers without waiting, keeps at most SHADOW_QUEUE_MAX waiting, and counts what it drops', async () => {
    const h = runner(2, setting);
    for (let i = 0; i < 6; i++) expect(h.run.offer(version(1, 'production'), inputs, outputs, 3)).toBeUndefined();
    // All six are decided before the background loop takes any: two are queued, four dropped.
    await flushMicrotasks();
    await flushMicrotasks();
    expect(h.submitted).toHaveLength(2); // both taken together, held in the batcher
    expect(h.run.pending).toBe(0);
    expect(await metricValue(h.metrics, 'modelgate_shadow_queue_dropped_total')).toEqual([
      expect.objectContaining({ labels: { model: 'iris' }, value: 4 }),
    ]);

    await h.release();
    expect(h.submitted).toHaveLength(2);
    const written = h.comparisons.written.reduce((sum, t) => sum + t.requests, 0);
    expect(written).toBe(2);
    expect(h.comparisons.written).toHaveLength(1); // one write once the backlog drained
    expect(h.comparisons.written[0]).toMatchObject({
      modelId: 'm-1',
      shadowVersion: 2,
      shadowSince: setting.since,
      baselineVersion: 1,
      errors: 0,
      rowsAgreeing: 2,
      rowsClassified: 2,
      valuesCompared: 6,
    });
    expect(h.comparisons.written[0].shadowLatencyCounts[latencyBucket(3)]).toBe(2);
    expect(h.comparisons.written[0].baselineLatencyCounts[latencyBucket(3)]).toBe(2);
    expect(h.comparisons.written[0].absDiffSum).toBeCloseTo(3, 12);
    expect(await metricValue(h.metrics, 'modelgate_shadow_predictions_total')).toEqual([
      expect.objectContaining({ labels: { model: 'iris', version: '2', outcome: 'ok' }, value: 2 }),
    ]);
  });

  it("mirrors only the production version's requests (not a canary's), and nothing without a shadow", async () => {
    const h = runner(10, setting);
    h.run.offer(version(3, 'staging'), inputs, outputs, 3); // a canary's request
    h.run.offer(version(2, 'production'), inputs, outputs, 3); // production is the shadow version itself
    await h.release();
    expect(h.submitted).toHaveLength(0);

    const none = runner(10, null);
    none.run.offer(version(1, 'production'), inputs, outputs, 3);
    await none.release();
    expect(none.submitted).toHaveLength(0);
    expect(none.comparisons.written).toEqual([]);
  });

  it('a failing shadow run is an error in the figures and the metric, never thrown at anyone', async () => {
    const h = runner(10, setting, true);
    h.run.offer(version(1, 'production'), inputs, outputs, 3);
    h.run.offer(version(1, 'production'), inputs, outputs, 4);
    await h.release();
    expect(h.comparisons.written).toEqual([
      expect.objectContaining({ requests: 2, errors: 2, valuesCompared: 0, shadowLatencyCounts: emptyHistogram() }),
    ]);
    expect(await metricValue(h.metrics, 'modelgate_shadow_predictions_total')).toEqual([
      expect.objectContaining({ labels: { model: 'iris', version: '2', outcome: 'error' }, value: 2 }),
    ]);
  });

  it('a failing shadow lookup never reaches the caller', async () => {
    const h = runner(10, setting);
    (h.run as unknown as { resolver: { shadow: () => never } }).resolver.shadow = () => {
      throw new Error('database unreachable');
    };
    expect(() => h.run.offer(version(1, 'production'), inputs, outputs, 3)).not.toThrow();
    await h.release();
    expect(h.submitted).toHaveLength(0);
  });
});
