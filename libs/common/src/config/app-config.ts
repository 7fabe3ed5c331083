import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';

/**
 * The one place that reads the environment. Everything else receives a frozen, typed AppConfig
 * through dependency injection, so tests can boot the app with any configuration in-process.
 */

const WEAK_SECRETS = new Set(['secret', 'changeme', 'change-me', 'password', 'jwt-secret', 'development']);

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);

const optionalUrl = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().url().optional())
  .optional();

const isoDate = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.string().datetime({ offset: true }).optional())
  .optional();

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().default('0.0.0.0'),
    PORT: int(3000, 0, 65535),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: bool.optional(),
    DATA_DIR: z.string().default('./data'),
    DATABASE_URL: optionalUrl,
    DATABASE_POOL_SIZE: int(10, 1, 200),
    DATABASE_SSL: bool.default(false),
    DATABASE_CONNECT_TIMEOUT_MS: int(5_000, 100, 120_000),
    DATABASE_STATEMENT_TIMEOUT_MS: int(30_000, 100, 3_600_000),
    STALE_IF_ERROR_MS: int(300_000, 0, 86_400_000),
    PGLITE_DATA_DIR: z.string().optional(),
    REDIS_URL: optionalUrl,
    // Namespace of this deployment's keys and channels in a shared Redis (rate limits, cluster events).
    REDIS_KEY_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .default('modelgate:'),
    BODY_LIMIT_BYTES: int(1_048_576, 1024),
    // Deepest nesting of arrays/objects a JSON body may have (checked before parsing; v2 tensors need ~12).
    JSON_MAX_DEPTH: int(64, 8, 1000),
    JWT_SECRET: z.string().optional(),
    JWT_ISSUER: z.string().default('modelgate'),
    JWT_AUDIENCE: z.string().default('modelgate-api'),
    JWT_ACCESS_TTL_SECONDS: int(900, 30, 86_400),
    JWT_REFRESH_TTL_SECONDS: int(1_209_600, 60),
    JWT_PRIVATE_KEY_FILE: z.string().optional(),
    JWT_PUBLIC_KEY_FILE: z.string().optional(),
    ADMIN_EMAIL: z.string().email().optional(),
    ADMIN_PASSWORD: z.string().min(12).optional(),
    RATE_LIMIT_PER_MINUTE: int(600, 1),
    AUTH_RATE_LIMIT_PER_MINUTE: int(10, 1),
    // Server-Sent Event streams one caller (user or key) may hold open at once, per replica.
    SSE_MAX_STREAMS_PER_CALLER: int(5, 1, 1000),
    // log2 of scrypt's N (memory = 128 * N * 8 bytes): 16 is 64 MiB per hash. Stored in each hash,
    // so raising it re-hashes passwords at their next login.
    PASSWORD_SCRYPT_COST: int(16, 14, 20),
    METRICS_TOKEN: z.string().min(16).optional(),
    TLS_CERT_FILE: z.string().optional(),
    TLS_KEY_FILE: z.string().optional(),
    CORS_ORIGINS: z.string().default(''),
    TRUST_PROXY: bool.default(false),
    SHUTDOWN_TIMEOUT_MS: int(15_000, 0, 600_000),
    API_V1_DEPRECATED_AT: isoDate,
    API_V1_SUNSET_AT: isoDate,
    // Inference runtime (libs/inference). auto = tfjs-node if installed, else wasm, else cpu.
    TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    MODEL_CACHE_MAX_MODELS: int(32, 1),
    MODEL_CACHE_MAX_BYTES: int(1_073_741_824, 1),
    BATCH_MAX_ROWS: int(64, 1),
    BATCH_MAX_DELAY_MS: int(0, 0, 1000),
    BATCH_MAX_QUEUE_ROWS: int(2048, 1),
    MAX_ROWS_PER_REQUEST: int(1000, 1),
    // Bounds on what one model may cost (libs/inference): checked at upload, at load and per request.
    MAX_MODEL_PARAMETERS: int(100_000_000, 1),
    INFERENCE_MAX_RUN_BYTES: int(256 * 1_048_576, 1_048_576, 1_073_741_824),
    MAX_OUTPUT_VALUES_PER_REQUEST: int(1_000_000, 1, 100_000_000),
    INSPECTION_TIMEOUT_MS: int(60_000, 1_000, 3_600_000),
    INSPECTION_MAX_MEMORY_MB: int(1024, 128, 3072),
    INSPECTION_CONCURRENCY: int(1, 1, 16),
    INFERENCE_FAILURE_EXIT_DELAY_MS: int(5_000, 0, 600_000),
    // Serving (libs/predictions).
    USAGE_FLUSH_INTERVAL_MS: int(1000, 10, 60_000),
    USAGE_FLUSH_MAX_BATCH: int(500, 1, 10_000),
    USAGE_BUFFER_MAX_EVENTS: int(100_000, 100),
    RESPONSE_CACHE_MAX_ENTRIES: int(10_000, 1),
    SERVING_RESOLVE_TTL_MS: int(1000, 0, 60_000),
    SERVING_WARM_ON_START: bool.default(true),
    PAYLOAD_PURGE_INTERVAL_SECONDS: int(3600, 0, 86_400),
    // Model registry (libs/models).
    MAX_ARTIFACT_BYTES: int(200 * 1024 * 1024, 1024),
    MAX_ARTIFACT_FILES: int(100, 1, 10_000),
    DEFAULT_SUNSET_DAYS: int(90, 1, 3650),
    SUNSET_SWEEP_INTERVAL_SECONDS: int(60, 0, 86_400),
    STORAGE_DRIVER: z.enum(['filesystem', 's3']).optional(),
    S3_ENDPOINT: optionalUrl,
    S3_BUCKET: z.string().trim().min(3).optional(),
    S3_REGION: z.string().default('us-east-1'),
    S3_ACCESS_KEY_ID: z.string().optional(),
    S3_SECRET_ACCESS_KEY: z.string().optional(),
    S3_FORCE_PATH_STYLE: bool.optional(),
    S3_PREFIX: z.string().default('artifacts/'),
    // Datasets and training (libs/training).
    MAX_DATASET_BYTES: int(50 * 1024 * 1024, 1024),
    // Caps applied while a dataset upload is read (CSV and JSON lines).
    DATASET_MAX_COLUMNS: int(1000, 1, 100_000),
    DATASET_MAX_FIELD_CHARS: int(65_536, 16),
    DATASET_MAX_RECORD_CHARS: int(1_048_576, 64),
    TRAINING_MAX_EPOCHS: int(500, 1, 100_000),
    TRAINING_MAX_LAYERS: int(8, 1, 100),
    TRAINING_MAX_UNITS: int(1024, 1, 65_536),
    TRAINING_MAX_BATCH_SIZE: int(4096, 1, 1_000_000),
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
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.JWT_PRIVATE_KEY_FILE) {
      const secret = env.JWT_SECRET ?? '';
      if (secret.length < 32 || WEAK_SECRETS.has(secret.toLowerCase()) || new Set(secret).size < 8) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'must be set in production to a random string of at least 32 characters',
        });
      }
    }
    if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET) {
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required when STORAGE_DRIVER=s3' });
    }
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      ctx.addIssue({
        code: 'custom',
        path: ['S3_SECRET_ACCESS_KEY'],
        message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together',
      });
    }
    if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['TLS_KEY_FILE'], message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together' });
    }
    if (Boolean(env.JWT_PRIVATE_KEY_FILE) !== Boolean(env.JWT_PUBLIC_KEY_FILE)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_PUBLIC_KEY_FILE'],
        message: 'JWT_PRIVATE_KEY_FILE and JWT_PUBLIC_KEY_FILE must be set together (RS256)',
      });
    }
  });

export type ConfigInput = Partial<Record<keyof z.input<typeof configSchema>, string>>;

export interface AppConfig {
  readonly env: 'development' | 'production' | 'test';
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimitBytes: number;
    /** Deepest nesting of arrays and objects in a JSON body; deeper ones are refused before parsing (400). */
    readonly jsonMaxDepth: number;
    /** HTTPS (and HSTS) when both files are set. */
    readonly tls?: { readonly certFile: string; readonly keyFile: string };
    /** Origins allowed by CORS; empty = no cross-origin browser access. */
    readonly corsOrigins: readonly string[];
    /** Honour X-Forwarded-* from a load balancer (client ip for rate limits and audit). */
    readonly trustProxy: boolean;
    /** On SIGTERM, how long in-flight requests and batches may take before the process exits. */
    readonly shutdownTimeoutMs: number;
  };
  readonly log: { readonly level: string; readonly pretty: boolean };
  readonly dataDir: string;
  readonly database: {
    readonly url?: string;
    readonly poolSize: number;
    readonly ssl: boolean;
    /** How long obtaining a pg connection may take before the request fails with 503. */
    readonly connectTimeoutMs: number;
    /** Longest statement (server side; the client gives up shortly after). */
    readonly statementTimeoutMs: number;
    /**
     * While the database is unreachable, cached lookups (callers, serving targets, settings) older
     * than their TTL may still be used for this long, so serving loaded models keeps working.
     */
    readonly staleIfErrorMs: number;
    /** Embedded PGlite's directory, or 'memory' for a throwaway in-memory database. */
    readonly embeddedDir: string;
  };
  readonly redisUrl?: string;
  /** Prefix of every key and pub/sub channel this deployment uses in Redis (not BullMQ's: TRAINING_QUEUE_PREFIX). */
  readonly redisKeyPrefix: string;
  readonly jwt: {
    readonly secret: string;
    readonly issuer: string;
    readonly audience: string;
    readonly accessTtlSeconds: number;
    readonly refreshTtlSeconds: number;
    readonly privateKeyFile?: string;
    readonly publicKeyFile?: string;
  };
  readonly bootstrapAdmin?: { readonly email: string; readonly password: string };
  readonly rateLimit: {
    readonly perMinute: number;
    readonly authPerMinute: number;
    /** Event streams (SSE) a caller may hold open at once on one replica; the next one is a 429. */
    readonly maxStreamsPerCaller: number;
  };
  readonly passwords: { readonly scryptCost: number };
  readonly metricsToken?: string;
  readonly serving: ServingConfig;
  readonly apiV1Deprecation?: { readonly deprecatedAt: Date; readonly sunsetAt?: Date };
  readonly inference: {
    readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
    /** Loaded models kept in memory: at most this many, and at most this many bytes of weights. */
    readonly cache: { readonly maxModels: number; readonly maxBytes: number };
    /** Dynamic batching per model version; the queue bound turns overload into 429s. */
    readonly batching: { readonly maxRows: number; readonly maxDelayMs: number; readonly maxQueueRows: number };
    readonly maxRowsPerRequest: number;
    /** Per-model bounds: parameters, memory of one run, output values of one request. */
    readonly limits: { readonly maxParameters: number; readonly maxRunBytes: number; readonly maxOutputValues: number };
    /** Uploads are loaded and test-run in a fresh thread each, bounded in time and memory. */
    readonly inspection: { readonly timeoutMs: number; readonly maxMemoryMb: number; readonly concurrency: number };
    /** After a fatal engine error, how long readiness answers 503 before the process shuts down (to be restarted). */
    readonly failureExitDelayMs: number;
  };
  readonly registry: {
    /** Upper bound of an artifact: the upload body, and the decompressed size of an archive. */
    readonly maxArtifactBytes: number;
    readonly maxArtifactFiles: number;
    /** Days between a version's deprecation (by promotion of a successor) and its retirement. */
    readonly defaultSunsetDays: number;
    /** How often deprecated versions past their sunset are retired; 0 turns the sweep off. */
    readonly sunsetSweepIntervalSeconds: number;
  };
  readonly training: {
    /** Upper bound of an uploaded dataset file. */
    readonly maxDatasetBytes: number;
    /** Caps checked while an uploaded dataset is read: columns, characters per value, per line (record). */
    readonly datasetLimits: { readonly maxColumns: number; readonly maxFieldChars: number; readonly maxRecordChars: number };
    /** Bounds on what a training request may ask for. */
    readonly maxEpochs: number;
    readonly maxLayers: number;
    readonly maxUnits: number;
    readonly maxBatchSize: number;
    /** Jobs run at once: per worker process with Redis (BullMQ), per API process without. */
    readonly concurrency: number;
    /** How often a running job proves its worker is alive. */
    readonly heartbeatIntervalMs: number;
    /** A running job whose heartbeat is older than this is presumed dead and recovered. */
    readonly staleAfterSeconds: number;
    /** How often stale jobs are looked for; 0 turns the sweep off. */
    readonly sweepIntervalSeconds: number;
    /** Runs a job may start (the first plus retries after a worker died) before it is failed. */
    readonly maxAttempts: number;
    /** Namespace of the BullMQ queue and the pub/sub channels in Redis. */
    readonly queuePrefix: string;
  };
  readonly artifactStorage:
    | { readonly kind: 'filesystem'; readonly root: string }
    | {
        readonly kind: 's3';
        readonly bucket: string;
        readonly prefix: string;
        readonly region: string;
        readonly endpoint?: string;
        readonly forcePathStyle: boolean;
        readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
      };
}

export interface ServingConfig {
  /** Usage events are buffered and written in batches this often (and when a batch fills). */
  readonly usageFlushIntervalMs: number;
  readonly usageFlushMaxBatch: number;
  /** While the database is unreachable, at most this many events wait; beyond it they are counted as dropped. */
  readonly usageBufferMaxEvents: number;
  readonly responseCacheMaxEntries: number;
  /** How long a resolved production/alias/canary may be reused; bounds cross-replica staleness. */
  readonly resolveTtlMs: number;
  /** Load production versions into the model cache while starting. */
  readonly warmOnStart: boolean;
  /** How often expired stored payloads are purged; 0 turns the purge off. */
  readonly payloadPurgeIntervalSeconds: number;
}

export class ConfigValidationError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

/** Values from an optional .env file; real environment variables win over it. */
function readDotenv(path: string): Record<string, string> {
  return existsSync(path) ? parseDotenv(readFileSync(path)) : {};
}

export function loadConfig(env: Record<string, string | undefined> = { ...readDotenv(resolve('.env')), ...process.env }): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigValidationError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  const e = parsed.data;
  const config: AppConfig = {
    env: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      jsonMaxDepth: e.JSON_MAX_DEPTH,
      tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : undefined,
      corsOrigins: e.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustProxy: e.TRUST_PROXY,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? e.NODE_ENV === 'development' },
    dataDir: resolve(e.DATA_DIR),
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      ssl: e.DATABASE_SSL,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      staleIfErrorMs: e.STALE_IF_ERROR_MS,
      embeddedDir: e.PGLITE_DATA_DIR === 'memory' ? 'memory' : resolve(e.PGLITE_DATA_DIR ?? join(e.DATA_DIR, 'pglite')),
    },
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    jwt: {
      // Outside production an unset secret gets a per-process random one: tokens then simply
      // do not survive a restart, which is the safe failure.
      secret: e.JWT_SECRET ?? randomDevSecret(),
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      accessTtlSeconds: e.JWT_ACCESS_TTL_SECONDS,
      refreshTtlSeconds: e.JWT_REFRESH_TTL_SECONDS,
      privateKeyFile: e.JWT_PRIVATE_KEY_FILE,
      publicKeyFile: e.JWT_PUBLIC_KEY_FILE,
    },
    bootstrapAdmin: e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    rateLimit: {
      perMinute: e.RATE_LIMIT_PER_MINUTE,
      authPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE,
      maxStreamsPerCaller: e.SSE_MAX_STREAMS_PER_CALLER,
    },
    passwords: { scryptCost: e.PASSWORD_SCRYPT_COST },
    metricsToken: e.METRICS_TOKEN,
    serving: {
      usageFlushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS,
      usageFlushMaxBatch: e.USAGE_FLUSH_MAX_BATCH,
      usageBufferMaxEvents: e.USAGE_BUFFER_MAX_EVENTS,
      responseCacheMaxEntries: e.RESPONSE_CACHE_MAX_ENTRIES,
      resolveTtlMs: e.SERVING_RESOLVE_TTL_MS,
      warmOnStart: e.SERVING_WARM_ON_START,
      payloadPurgeIntervalSeconds: e.PAYLOAD_PURGE_INTERVAL_SECONDS,
    },
    apiV1Deprecation: e.API_V1_DEPRECATED_AT
      ? {
          deprecatedAt: new Date(e.API_V1_DEPRECATED_AT),
          sunsetAt: e.API_V1_SUNSET_AT ? new Date(e.API_V1_SUNSET_AT) : undefined,
        }
      : undefined,
    inference: {
      backend: e.TF_BACKEND,
      cache: { maxModels: e.MODEL_CACHE_MAX_MODELS, maxBytes: e.MODEL_CACHE_MAX_BYTES },
      batching: { maxRows: e.BATCH_MAX_ROWS, maxDelayMs: e.BATCH_MAX_DELAY_MS, maxQueueRows: e.BATCH_MAX_QUEUE_ROWS },
      maxRowsPerRequest: e.MAX_ROWS_PER_REQUEST,
      limits: {
        maxParameters: e.MAX_MODEL_PARAMETERS,
        maxRunBytes: e.INFERENCE_MAX_RUN_BYTES,
        maxOutputValues: e.MAX_OUTPUT_VALUES_PER_REQUEST,
      },
      inspection: {
        timeoutMs: e.INSPECTION_TIMEOUT_MS,
        maxMemoryMb: e.INSPECTION_MAX_MEMORY_MB,
        concurrency: e.INSPECTION_CONCURRENCY,
      },
      failureExitDelayMs: e.INFERENCE_FAILURE_EXIT_DELAY_MS,
    },
    registry: {
      maxArtifactBytes: e.MAX_ARTIFACT_BYTES,
      maxArtifactFiles: e.MAX_ARTIFACT_FILES,
      defaultSunsetDays: e.DEFAULT_SUNSET_DAYS,
      sunsetSweepIntervalSeconds: e.SUNSET_SWEEP_INTERVAL_SECONDS,
    },
    training: {
      maxDatasetBytes: e.MAX_DATASET_BYTES,
      datasetLimits: {
        maxColumns: e.DATASET_MAX_COLUMNS,
        maxFieldChars: e.DATASET_MAX_FIELD_CHARS,
        maxRecordChars: e.DATASET_MAX_RECORD_CHARS,
      },
      maxEpochs: e.TRAINING_MAX_EPOCHS,
      maxLayers: e.TRAINING_MAX_LAYERS,
      maxUnits: e.TRAINING_MAX_UNITS,
      maxBatchSize: e.TRAINING_MAX_BATCH_SIZE,
      concurrency: e.TRAINING_CONCURRENCY,
      heartbeatIntervalMs: e.TRAINING_HEARTBEAT_INTERVAL_MS,
      staleAfterSeconds: e.TRAINING_STALE_AFTER_SECONDS,
      sweepIntervalSeconds: e.TRAINING_SWEEP_INTERVAL_SECONDS,
      maxAttempts: e.TRAINING_MAX_ATTEMPTS,
      queuePrefix: e.TRAINING_QUEUE_PREFIX,
    },
    // S3 when asked for, or when a bucket is configured without a choice; else files under DATA_DIR.
    artifactStorage:
      (e.STORAGE_DRIVER ?? (e.S3_BUCKET ? 's3' : 'filesystem')) === 's3'
        ? {
            kind: 's3',
            bucket: e.S3_BUCKET!,
            prefix: e.S3_PREFIX,
            region: e.S3_REGION,
            endpoint: e.S3_ENDPOINT,
            // MinIO and most S3-compatible servers want path-style URLs.
            forcePathStyle: e.S3_FORCE_PATH_STYLE ?? Boolean(e.S3_ENDPOINT),
            credentials:
              e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
                ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
                : undefined,
          }
        : { kind: 'filesystem', root: join(resolve(e.DATA_DIR), 'artifacts') },
  };
  return deepFreeze(config);
}

function randomDevSecret(): string {
  return randomBytes(48).toString('base64url');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
