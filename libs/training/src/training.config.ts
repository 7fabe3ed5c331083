import { z } from 'zod';
import { defineConfig, int, type ConfigOf } from '@app/common';

/** Datasets and training jobs: upload caps, request bounds, execution and recovery. */
export const trainingConfig = defineConfig({
  key: 'training',
  variables: {
    MAX_DATASET_BYTES: int(50 * 1024 * 1024, 1024),
    // Caps applied while a dataset upload is read (CSV and JSON lines).
    DATASET_MAX_COLUMNS: int(1000, 1, 100_000),
    DATASET_MAX_FIELD_CHARS: int(65_536, 16),
    DATASET_MAX_RECORD_CHARS: int(1_048_576, 64),
    TRAINING_MAX_EPOCHS: int(500, 1, 100_000),
    TRAINING_MAX_LAYERS: int(8, 1, 100),
    TRAINING_MAX_UNITS: int(1024, 1, 65_536),
    TRAINING_MAX_BATCH_SIZE: int(4096, 1, 1_000_000),
    TRAINING_MAX_CATEGORIES: int(100, 1, 10_000),
    TRAINING_EMBEDDING_ABOVE: int(16, 1, 10_000),
    TRAINING_MAX_INPUT_WIDTH: int(4096, 1, 1_000_000),
    TRAINING_MAX_CELLS: int(50_000_000, 1),
    TRAINING_CONCURRENCY: int(1, 1, 64),
    TRAINING_HEARTBEAT_INTERVAL_MS: int(5_000, 100, 600_000),
    TRAINING_STALE_AFTER_SECONDS: int(60, 1, 86_400),
    TRAINING_SWEEP_INTERVAL_SECONDS: int(30, 0, 86_400),
    TRAINING_MAX_ATTEMPTS: int(2, 1, 10),
    TRAINING_QUEUE_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('modelgate'),
  },
  build: (e) => ({
    /** Upper bound of an uploaded dataset file. */
    maxDatasetBytes: e.MAX_DATASET_BYTES,
    /** Caps checked while an uploaded dataset is read: columns, characters per value, per line (record). */
    datasetLimits: {
      maxColumns: e.DATASET_MAX_COLUMNS,
      maxFieldChars: e.DATASET_MAX_FIELD_CHARS,
      maxRecordChars: e.DATASET_MAX_RECORD_CHARS,
    },
    /** Bounds on what a training request may ask for. */
    maxEpochs: e.TRAINING_MAX_EPOCHS,
    maxLayers: e.TRAINING_MAX_LAYERS,
    maxUnits: e.TRAINING_MAX_UNITS,
    maxBatchSize: e.TRAINING_MAX_BATCH_SIZE,
    /** Vocabulary entries per text or boolean feature (the default and the most a request may ask for). */
    maxCategories: e.TRAINING_MAX_CATEGORIES,
    /** A category feature with a longer vocabulary is embedded rather than one-hot encoded. */
    embeddingAbove: e.TRAINING_EMBEDDING_ABOVE,
    /** Columns of the encoded model input (numbers, missing indicators, one-hot slots), checked before a job is queued. */
    maxInputWidth: e.TRAINING_MAX_INPUT_WIDTH,
    /** Rows × encoded input columns a job may train on (4 bytes each, several copies while training): memory per job stays bounded. */
    maxCells: e.TRAINING_MAX_CELLS,
    /** Jobs run at once: per worker process with Redis (BullMQ), per API process without. */
    concurrency: e.TRAINING_CONCURRENCY,
    /** How often a running job proves its worker is alive. */
    heartbeatIntervalMs: e.TRAINING_HEARTBEAT_INTERVAL_MS,
    /** A running job whose heartbeat is older than this is presumed dead and recovered. */
    staleAfterSeconds: e.TRAINING_STALE_AFTER_SECONDS,
    /** How often stale jobs are looked for; 0 turns the sweep off. */
    sweepIntervalSeconds: e.TRAINING_SWEEP_INTERVAL_SECONDS,
    /** Runs a job may start (the first plus retries after a worker died) before it is failed. */
    maxAttempts: e.TRAINING_MAX_ATTEMPTS,
    /** Namespace of the BullMQ queue and the pub/sub channels in Redis. */
    queuePrefix: e.TRAINING_QUEUE_PREFIX,
  }),
});
export type TrainingConfig = ConfigOf<typeof trainingConfig>;
