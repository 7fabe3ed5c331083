import { OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { LoadedModel } from '../runtime/loaded-model';
import type { InferenceMetrics } from '../metrics/inference-metrics';

export interface ModelCacheOptions {
  maxModels: number;
  /** Budget for LoadedModel.sizeBytes summed over cached models. */
  maxBytes: number;
}

/** A model borrowed from the cache: it will not be disposed until released. */
export interface ModelLease {
  readonly model: LoadedModel;
  release(): void;
}

export type ModelLoader = () => Promise<LoadedModel>;

interface CacheLogger {
  warn(obj: object, msg: string): void;
}

interface Entry {
  key: string;
  model: LoadedModel;
  /** Leases not yet released. */
  refs: number;
  /** Out of the cache (evicted, invalidated or never admitted): dispose once the last lease ends. */
  retired: boolean;
  disposed: boolean;
}

/**
 * What the LRU holds: a fresh slot for the same entry makes lru-cache measure the entry again
 * (it does not when the same value is set twice), without disposing it.
 */
interface Slot {
  entry: Entry;
}

/**
 * Loaded models, least recently used first out, bounded by count and by bytes. Keys are opaque
 * (the registry uses `${modelId}:${version}:${sha256}`). Concurrent lookups of a key that is not
 * loaded share one load. A model is disposed when it leaves the cache, but never under a caller
 * still using it: callers hold a lease (`use()` handles that) and the last release disposes.
 */
export class ModelCache implements OnModuleDestroy {
  private readonly lru: LRUCache<string, Slot>;
  private readonly loading = new Map<string, { token: object; promise: Promise<Entry> }>();

  constructor(
    private readonly options: ModelCacheOptions,
    private readonly metrics?: InferenceMetrics,
    private readonly logger?: CacheLogger,
  ) {
    this.lru = new LRUCache<string, Slot>({
      max: options.maxModels,
      maxSize: options.maxBytes,
      sizeCalculation: (slot) => Math.max(1, slot.entry.model.sizeBytes),
      dispose: (slot, _key, reason) => {
        if (reason === 'evict') this.metrics?.cacheEvictions.inc();
        this.retire(slot.entry);
      },
    });
  }

  /** Runs `fn` with the model for `key` (loading it with `loader` if needed), holding a lease meanwhile. */
  async use<T>(key: string, loader: ModelLoader, fn: (model: LoadedModel) => Promise<T> | T): Promise<T> {
    const lease = await this.acquire(key, loader);
    try {
      return await fn(lease.model);
    } finally {
      lease.release();
    }
  }

  async acquire(key: string, loader: ModelLoader): Promise<ModelLease> {
    // A lookup can lose a race with eviction (entry disposed between load and lease): look again.
    for (let attempt = 0; attempt < 3; attempt++) {
      let cached = this.lru.get(key)?.entry;
      // A copy whose pool thread ended is gone: load the model again (on a live thread).
      if (cached && cached.model.alive === false) {
        this.lru.delete(key);
        cached = undefined;
      }
      if (cached) {
        const lease = this.lease(cached);
        if (lease) {
          this.metrics?.cacheHits.inc();
          return lease;
        }
      }
      this.metrics?.cacheMisses.inc();
      const lease = this.lease(await this.loadOnce(key, loader));
      if (lease) return lease;
    }
    throw new Error(`Model ${key} was evicted repeatedly while loading; the cache is too small for the load.`);
  }

  /** The model loaded for a key, if any, without counting as a use (no lease: do not run it). */
  peek(key: string): LoadedModel | undefined {
    return this.lru.peek(key)?.entry.model;
  }

  /** Whether the key is loaded (not merely loading). */
  has(key: string): boolean {
    return this.lru.has(key);
  }

  /** Drops a key (e.g. the version was retired or replaced); a load under way is not admitted. */
  invalidate(key: string): boolean {
    this.loading.delete(key);
    const present = this.lru.delete(key);
    this.updateGauges();
    return present;
  }

  /** Drops every key matching the predicate, e.g. all versions of one model. Returns how many. */
  invalidateWhere(predicate: (key: string) => boolean): number {
    for (const key of [...this.loading.keys()]) if (predicate(key)) this.loading.delete(key);
    let n = 0;
    for (const key of [...this.lru.keys()]) if (predicate(key) && this.lru.delete(key)) n++;
    this.updateGauges();
    return n;
  }

  keys(): string[] {
    return [...this.lru.keys()];
  }

  get size(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  clear(): void {
    this.loading.clear();
    this.lru.clear();
    this.updateGauges();
  }

  onModuleDestroy(): void {
    this.clear();
  }

  private loadOnce(key: string, loader: ModelLoader): Promise<Entry> {
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight.promise;
    const token = {};
    const promise = this.load(key, loader, token);
    this.loading.set(key, { token, promise });
    const done = () => {
      if (this.loading.get(key)?.token === token) this.loading.delete(key);
    };
    promise.then(done, done);
    return promise;
  }

  private async load(key: string, loader: ModelLoader, token: object): Promise<Entry> {
    const end = this.metrics?.loadDuration.startTimer();
    const model = await loader();
    end?.();
    const entry: Entry = { key, model, refs: 0, retired: false, disposed: false };
    if (this.loading.get(key)?.token !== token) {
      // Invalidated while loading: serve the callers already waiting, then let it go.
      entry.retired = true;
    } else if (model.sizeBytes > this.options.maxBytes) {
      this.logger?.warn(
        { key, sizeBytes: model.sizeBytes, maxBytes: this.options.maxBytes },
        'model larger than MODEL_CACHE_MAX_BYTES: served without caching',
      );
      entry.retired = true;
    } else {
      this.lru.set(key, { entry });
      this.updateGauges();
      model.attachBudget?.({
        // A copy more only where it fits beside the others: growing never evicts another model.
        canGrow: (extraBytes) => !entry.retired && this.lru.calculatedSize + extraBytes <= this.options.maxBytes,
        grew: () => this.remeasure(entry),
      });
    }
    return entry;
  }

  private remeasure(entry: Entry): void {
    if (this.lru.peek(entry.key)?.entry !== entry) return;
    this.lru.set(entry.key, { entry }, { noDisposeOnSet: true });
    this.updateGauges();
  }

  private lease(entry: Entry): ModelLease | undefined {
    if (entry.disposed) return undefined;
    entry.refs++;
    let released = false;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        entry.refs--;
        if (entry.retired && entry.refs === 0) this.disposeEntry(entry);
      },
    };
  }

  private retire(entry: Entry): void {
    entry.retired = true;
    if (entry.refs === 0) this.disposeEntry(entry);
    // lru-cache calls dispose before updating its own counters; refresh the gauges afterwards.
    queueMicrotask(() => this.updateGauges());
  }

  private disposeEntry(entry: Entry): void {
    if (entry.disposed) return;
    entry.disposed = true;
    entry.model.dispose();
  }

  private updateGauges(): void {
    this.metrics?.loadedModels.set(this.lru.size);
    this.metrics?.loadedBytes.set(this.lru.calculatedSize);
  }
}
