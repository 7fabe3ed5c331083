import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { defineConfig, int, type ConfigOf } from '@app/common';

/** The TensorFlow.js runtime: backend, model cache, batching, and what one model may cost. */
export const inferenceConfig = defineConfig({
  key: 'inference',
  variables: {
    // auto = tfjs-node if installed, else wasm, else cpu.
    TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    MODEL_CACHE_MAX_MODELS: int(32, 1),
    MODEL_CACHE_MAX_BYTES: int(1_073_741_824, 1),
    BATCH_MAX_ROWS: int(64, 1),
    BATCH_MAX_DELAY_MS: int(0, 0, 1000),
    // A batch also closes at the rows its model computes in about this long (0: off): see the
    // README's performance section for what it buys a heavy model.
    BATCH_MAX_COMPUTE_MS: int(4, 0, 1000),
    BATCH_MAX_QUEUE_ROWS: int(2048, 1),
    MAX_ROWS_PER_REQUEST: int(1000, 1),
    // Checked at upload, at load and per request.
    MAX_MODEL_PARAMETERS: int(100_000_000, 1),
    INFERENCE_MAX_RUN_BYTES: int(256 * 1_048_576, 1_048_576, 1_073_741_824),
    MAX_OUTPUT_VALUES_PER_REQUEST: int(1_000_000, 1, 100_000_000),
    INSPECTION_TIMEOUT_MS: int(60_000, 1_000, 3_600_000),
    INSPECTION_MAX_MEMORY_MB: int(1024, 128, 3072),
    INSPECTION_CONCURRENCY: int(1, 1, 16),
    INFERENCE_FAILURE_EXIT_DELAY_MS: int(5_000, 0, 600_000),
    // 0: models run on the main thread; n: on a pool of n inference threads. Default: every core
    // but the one the HTTP, JSON and validation run on (at least one). In a container set it from
    // the CPU limit: Node sees the host's cores, not the cgroup's quota.
    INFERENCE_THREADS: int(defaultInferenceThreads(), 0, 64),
    // With a pool, models smaller than this stay on the main thread (0: every model goes to the
    // pool). Measured here the pool wins on tail latency even for a 6,500-parameter MLP, so 0.
    INFERENCE_POOL_MIN_PARAMETERS: int(0, 0),
  },
  build: (e) => ({
    backend: e.TF_BACKEND,
    /** Loaded models kept in memory: at most this many, and at most this many bytes of weights. */
    cache: { maxModels: e.MODEL_CACHE_MAX_MODELS, maxBytes: e.MODEL_CACHE_MAX_BYTES },
    /** Dynamic batching per model version; the queue bound turns overload into 429s. */
    batching: {
      maxRows: e.BATCH_MAX_ROWS,
      maxDelayMs: e.BATCH_MAX_DELAY_MS,
      maxComputeMs: e.BATCH_MAX_COMPUTE_MS,
      maxQueueRows: e.BATCH_MAX_QUEUE_ROWS,
    },
    maxRowsPerRequest: e.MAX_ROWS_PER_REQUEST,
    /** Per-model bounds: parameters, memory of one run, output values of one request. */
    limits: {
      maxParameters: e.MAX_MODEL_PARAMETERS,
      maxRunBytes: e.INFERENCE_MAX_RUN_BYTES,
      maxOutputValues: e.MAX_OUTPUT_VALUES_PER_REQUEST,
    },
    /** Uploads are loaded and test-run in a fresh thread each, bounded in time and memory. */
    inspection: { timeoutMs: e.INSPECTION_TIMEOUT_MS, maxMemoryMb: e.INSPECTION_MAX_MEMORY_MB, concurrency: e.INSPECTION_CONCURRENCY },
    /** After a fatal engine error, how long readiness answers 503 before the process shuts down (to be restarted). */
    failureExitDelayMs: e.INFERENCE_FAILURE_EXIT_DELAY_MS,
    /** Inference threads serving registered versions (0: the main thread). */
    threads: e.INFERENCE_THREADS,
    /** Models with fewer parameters run on the main thread even with a pool. */
    poolMinParameters: e.INFERENCE_POOL_MIN_PARAMETERS,
  }),
});
export type InferenceConfig = ConfigOf<typeof inferenceConfig>;

/** Cores minus one, at least one. */
export function defaultInferenceThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
