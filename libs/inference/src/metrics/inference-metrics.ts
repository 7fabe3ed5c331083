import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Runtime-level metrics (no model labels: cache and batch keys are opaque here). */
export class InferenceMetrics {
  readonly backendInfo: Gauge<'backend'>;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheEvictions: Counter;
  readonly loadedModels: Gauge;
  readonly loadedBytes: Gauge;
  readonly loadDuration: Histogram;
  readonly batchSize: Histogram;
  readonly queueRejections: Counter;
  readonly engineUp: Gauge;
  readonly engineFailures: Counter;
  readonly poolThreadsReplaced: Counter;
  readonly queuedRows: Gauge;
  /** What queuedRows reads at each scrape (the batcher's rows waiting, all versions). */
  private queued: () => number = () => 0;

  constructor(registry: Registry) {
    const registers = [registry];
    this.backendInfo = new Gauge({
      name: 'modelgate_tf_backend_info',
      help: 'The TensorFlow.js backend chosen at start-up (value 1)',
      labelNames: ['backend'],
      registers,
    });
    this.cacheHits = new Counter({ name: 'modelgate_model_cache_hits_total', help: 'Model lookups served from memory', registers });
    this.cacheMisses = new Counter({
      name: 'modelgate_model_cache_misses_total',
      help: 'Model lookups that had to load (or wait for a load already under way)',
      registers,
    });
    this.cacheEvictions = new Counter({
      name: 'modelgate_model_cache_evictions_total',
      help: 'Models evicted to stay within MODEL_CACHE_MAX_MODELS / MODEL_CACHE_MAX_BYTES',
      registers,
    });
    this.loadedModels = new Gauge({ name: 'modelgate_model_cache_loaded_models', help: 'Models held in the cache', registers });
    this.loadedBytes = new Gauge({ name: 'modelgate_model_cache_bytes', help: 'Weight bytes of the models held in the cache', registers });
    this.loadDuration = new Histogram({
      name: 'modelgate_model_load_duration_seconds',
      help: 'Time to load (parse, validate, warm up) a model into memory',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'modelgate_inference_batch_size',
      help: 'Rows per predict call after dynamic batching',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers,
    });
    this.queueRejections = new Counter({
      name: 'modelgate_inference_queue_rejections_total',
      help: 'Requests refused with 429 because their model version queue was full',
      registers,
    });
    this.engineUp = new Gauge({
      name: 'modelgate_inference_engine_up',
      help: '1 while the inference backend is trusted, 0 after a fatal engine error (the process is then replaced)',
      registers,
    });
    this.engineUp.set(1);
    this.engineFailures = new Counter({
      name: 'modelgate_inference_engine_failures_total',
      help: 'Fatal inference engine errors (wasm traps, aborts) that marked this process not ready',
      registers,
    });
    this.poolThreadsReplaced = new Counter({
      name: 'modelgate_inference_pool_threads_replaced_total',
      help: 'Inference pool threads that ended (a fatal engine error, a crash) and were replaced (INFERENCE_THREADS ≥ 1)',
      registers,
    });
    const queued = () => this.queued();
    this.queuedRows = new Gauge({
      name: 'modelgate_inference_queue_rows',
      help: 'Rows waiting for a batch, over every model version (each version refuses beyond BATCH_MAX_QUEUE_ROWS)',
      registers,
      collect() {
        this.set(queued());
      },
    });
  }

  /** The source of `modelgate_inference_queue_rows`, read at scrape time (no work per request). */
  watchQueue(rowsWaiting: () => number): void {
    this.queued = rowsWaiting;
  }

  engineFailed(): void {
    this.engineUp.set(0);
    this.engineFailures.inc();
  }

  setBackend(backend: string): void {
    this.backendInfo.reset();
    this.backendInfo.set({ backend }, 1);
  }
}
