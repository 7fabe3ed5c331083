import type { InputColumns, OutputColumns } from '../artifact/artifact.types';
import { Registry } from 'prom-client';
import type { LoadedModel, ModelBudget } from '../runtime/loaded-model';
import { InferenceMetrics } from '../metrics/inference-metrics';
import { ModelCache } from './model-cache';

/** A stand-in for a loaded tfjs model: the cache only needs its size and dispose(). */
function fakeModel(name: string, sizeBytes = 100): LoadedModel & { disposed: number; name: string } {
  const model = {
    name,
    disposed: 0,
    sizeBytes,
    parameterCount: sizeBytes / 4,
    weightBytes: sizeBytes,
    bytesPerRow: 0,
    signature: { framework: 'tfjs-layers' as const, inputs: [], outputs: [] },
    predict: async (rows: number[][]) => {
      if (model.disposed) throw new Error(`${name} used after dispose`);
      return rows;
    },
    predictOutputs: async (inputs: InputColumns) => inputs as OutputColumns,
    dispose: () => {
      model.disposed++;
    },
  };
  return model;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function metricValue(registry: Registry, name: string): Promise<number> {
  return (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
}

describe('ModelCache', () => {
  it('lets a model grow (a pool copy more) only where it fits without evicting another, and counts what it grew', async () => {
    const registry = new Registry();
    const cache = new ModelCache({ maxModels: 4, maxBytes: 350 }, new InferenceMetrics(registry));
    let budget: ModelBudget | undefined;
    const growing = Object.assign(fakeModel('grows', 100), { attachBudget: (b: ModelBudget) => (budget = b) });
    const other = fakeModel('other', 100);
    await cache.use(
      'g',
      async () => growing,
      () => undefined,
    );
    await cache.use(
      'o',
      async () => other,
      () => undefined,
    );
    expect(cache.bytes).toBe(200);
    expect(cache.peek('g')).toBe(growing);
    expect(cache.peek('absent')).toBeUndefined();
    expect(budget!.canGrow(100)).toBe(true);
    (growing as { sizeBytes: number }).sizeBytes = 200;
    budget!.grew();
    expect(cache.bytes).toBe(300);
    expect(await metricValue(registry, 'modelgate_model_cache_bytes')).toBe(300);
    // Another copy would need 400 of 350: refused, and nothing was evicted or disposed.
    expect(budget!.canGrow(100)).toBe(false);
    expect(cache.keys().sort()).toEqual(['g', 'o']);
    expect(growing.disposed + other.disposed).toBe(0);
    // Once out of the cache, it may not grow.
    cache.invalidate('g');
    expect(budget!.canGrow(1)).toBe(false);
    expect(growing.disposed).toBe(1);
  });

  it('loads a key once for concurrent lookups (single flight) and then serves it from memory', async () => {
    const registry = new Registry();
    const cache = new ModelCache({ maxModels: 4, maxBytes: 10_000 }, new InferenceMetrics(registry));
    const gate = deferred<LoadedModel>();
    const loader = jest.fn(() => gate.promise);
    const a = cache.use('m:1', loader, (m) => m.predict([[1]]));
    const b = cache.use('m:1', loader, (m) => m.predict([[2]]));
    gate.resolve(fakeModel('m1'));
    expect(await Promise.all([a, b])).toEqual([[[1]], [[2]]]);
    await cache.use('m:1', loader, (m) => m.predict([[3]]));
    expect(loader).toHaveBeenCalledTimes(1);
    expect(await metricValue(registry, 'modelgate_model_cache_misses_total')).toBe(2);
    expect(await metricValue(registry, 'modelgate_model_cache_hits_total')).toBe(1);
    expect(await metricValue(registry, 'modelgate_model_cache_loaded_models')).toBe(1);
    expect(await metricValue(registry, 'modelgate_model_cache_bytes')).toBe(100);
  });

  it('evicts the least recently used model beyond maxModels and disposes it', async () => {
    const registry = new Registry();
    const cache = new ModelCache({ maxModels: 2, maxBytes: 10_000 }, new InferenceMetrics(registry));
    const models = { a: fakeModel('a'), b: fakeModel('b'), c: fakeModel('c') };
    const load = (k: keyof typeof models) =>
      cache.use(
        k,
        async () => models[k],
        () => undefined,
      );
    await load('a');
    await load('b');
    await load('a'); // a is now the most recently used
    await load('c');
    expect(cache.keys().sort()).toEqual(['a', 'c']);
    expect(models.b.disposed).toBe(1);
    expect(models.a.disposed + models.c.disposed).toBe(0);
    expect(await metricValue(registry, 'modelgate_model_cache_evictions_total')).toBe(1);
    await Promise.resolve();
    expect(await metricValue(registry, 'modelgate_model_cache_loaded_models')).toBe(2);
  });

  it('stays within maxBytes, evicting as many models as needed', async () => {
    const cache = new ModelCache({ maxModels: 10, maxBytes: 1000 });
    const small = [fakeModel('s1', 400), fakeModel('s2', 400)];
    await cache.use(
      's1',
      async () => small[0],
      () => undefined,
    );
    await cache.use(
      's2',
      async () => small[1],
      () => undefined,
    );
    const big = fakeModel('big', 900);
    await cache.use(
      'big',
      async () => big,
      () => undefined,
    );
    expect(cache.keys()).toEqual(['big']);
    expect(cache.bytes).toBe(900);
    expect(small.map((m) => m.disposed)).toEqual([1, 1]);
  });

  it('never disposes a model while a caller still holds it; the last release does', async () => {
    const cache = new ModelCache({ maxModels: 1, maxBytes: 10_000 });
    const a = fakeModel('a');
    const lease = await cache.acquire('a', async () => a);
    await cache.use(
      'b',
      async () => fakeModel('b'),
      () => undefined,
    ); // evicts a
    expect(cache.has('a')).toBe(false);
    expect(a.disposed).toBe(0);
    expect(await lease.model.predict([[1]])).toEqual([[1]]);
    lease.release();
    lease.release(); // idempotent
    expect(a.disposed).toBe(1);
  });

  it('serves a model larger than maxBytes without caching it, disposing it after use', async () => {
    const cache = new ModelCache({ maxModels: 4, maxBytes: 100 });
    const huge = fakeModel('huge', 1000);
    const loader = jest.fn(async () => huge);
    expect(await cache.use('huge', loader, (m) => m.predict([[7]]))).toEqual([[7]]);
    expect(cache.has('huge')).toBe(false);
    expect(huge.disposed).toBe(1);
  });

  it('a load failure rejects every waiter and is not cached; the next lookup retries', async () => {
    const cache = new ModelCache({ maxModels: 4, maxBytes: 10_000 });
    const gate = deferred<LoadedModel>();
    const failing = jest.fn(() => gate.promise);
    const waiters = [cache.acquire('m', failing), cache.acquire('m', failing)];
    gate.reject(new Error('artifact store unavailable'));
    for (const w of waiters) await expect(w).rejects.toThrow('artifact store unavailable');
    expect(failing).toHaveBeenCalledTimes(1);
    const lease = await cache.acquire('m', async () => fakeModel('m'));
    expect(cache.has('m')).toBe(true);
    lease.release();
  });

  it('invalidate() drops and disposes a model; a load under way when invalidated is not admitted', async () => {
    const cache = new ModelCache({ maxModels: 4, maxBytes: 10_000 });
    const v1 = fakeModel('v1');
    await cache.use(
      'm:1',
      async () => v1,
      () => undefined,
    );
    expect(cache.invalidate('m:1')).toBe(true);
    expect(v1.disposed).toBe(1);

    const gate = deferred<LoadedModel>();
    const stale = fakeModel('stale');
    const inFlight = cache.use(
      'm:2',
      () => gate.promise,
      (m) => m.predict([[1]]),
    );
    cache.invalidate('m:2');
    gate.resolve(stale);
    expect(await inFlight).toEqual([[1]]); // the caller that asked still gets an answer
    expect(cache.has('m:2')).toBe(false);
    expect(stale.disposed).toBe(1);
  });

  it('invalidateWhere() drops every matching key', async () => {
    const cache = new ModelCache({ maxModels: 10, maxBytes: 10_000 });
    for (const key of ['a:1', 'a:2', 'b:1'])
      await cache.use(
        key,
        async () => fakeModel(key),
        () => undefined,
      );
    expect(cache.invalidateWhere((k) => k.startsWith('a:'))).toBe(2);
    expect(cache.keys()).toEqual(['b:1']);
  });

  it('clear() on shutdown disposes everything', async () => {
    const cache = new ModelCache({ maxModels: 10, maxBytes: 10_000 });
    const models = [fakeModel('x'), fakeModel('y')];
    await cache.use(
      'x',
      async () => models[0],
      () => undefined,
    );
    await cache.use(
      'y',
      async () => models[1],
      () => undefined,
    );
    cache.onModuleDestroy();
    expect(models.map((m) => m.disposed)).toEqual([1, 1]);
    expect(cache.size).toBe(0);
  });
});
