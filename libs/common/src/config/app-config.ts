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

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);

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
    PGLITE_DATA_DIR: z.string().optional(),
    REDIS_URL: optionalUrl,
    BODY_LIMIT_BYTES: int(1_048_576, 1024),
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
    METRICS_TOKEN: z.string().min(16).optional(),
    API_V1_DEPRECATED_AT: isoDate,
    API_V1_SUNSET_AT: isoDate,
    // Inference runtime (libs/inference). auto = tfjs-node if installed, else wasm, else cpu.
    TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    MODEL_CACHE_MAX_MODELS: int(32, 1),
    MODEL_CACHE_MAX_BYTES: int(1_073_741_824, 1),
    BATCH_MAX_ROWS: int(64, 1),
    BATCH_MAX_DELAY_MS: int(2, 0, 1000),
    BATCH_MAX_QUEUE_ROWS: int(2048, 1),
    MAX_ROWS_PER_REQUEST: int(1000, 1),
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
  readonly http: { readonly host: string; readonly port: number; readonly bodyLimitBytes: number };
  readonly log: { readonly level: string; readonly pretty: boolean };
  readonly dataDir: string;
  readonly database: {
    readonly url?: string;
    readonly poolSize: number;
    readonly ssl: boolean;
    /** Embedded PGlite's directory, or 'memory' for a throwaway in-memory database. */
    readonly embeddedDir: string;
  };
  readonly redisUrl?: string;
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
  readonly rateLimit: { readonly perMinute: number; readonly authPerMinute: number };
  readonly metricsToken?: string;
  readonly apiV1Deprecation?: { readonly deprecatedAt: Date; readonly sunsetAt?: Date };
  readonly inference: {
    readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
    /** Loaded models kept in memory: at most this many, and at most this many bytes of weights. */
    readonly cache: { readonly maxModels: number; readonly maxBytes: number };
    /** Dynamic batching per model version; the queue bound turns overload into 429s. */
    readonly batching: { readonly maxRows: number; readonly maxDelayMs: number; readonly maxQueueRows: number };
    readonly maxRowsPerRequest: number;
  };
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

export function loadConfig(
  env: Record<string, string | undefined> = { ...readDotenv(resolve('.env')), ...process.env },
): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigValidationError(
      parsed.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
    );
  }
  const e = parsed.data;
  const config: AppConfig = {
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, bodyLimitBytes: e.BODY_LIMIT_BYTES },
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY ?? e.NODE_ENV === 'development' },
    dataDir: resolve(e.DATA_DIR),
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      ssl: e.DATABASE_SSL,
      embeddedDir:
        e.PGLITE_DATA_DIR === 'memory' ? 'memory' : resolve(e.PGLITE_DATA_DIR ?? join(e.DATA_DIR, 'pglite')),
    },
    redisUrl: e.REDIS_URL,
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
    bootstrapAdmin:
      e.ADMIN_EMAIL && e.ADMIN_PASSWORD ? { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD } : undefined,
    rateLimit: { perMinute: e.RATE_LIMIT_PER_MINUTE, authPerMinute: e.AUTH_RATE_LIMIT_PER_MINUTE },
    metricsToken: e.METRICS_TOKEN,
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
    },
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
