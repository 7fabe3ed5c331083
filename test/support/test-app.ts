import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Client } from 'pg';
import pino, { Logger as PinoInstance } from 'pino';
import { type ApiConfig, type ApiConfigInput, loadApiConfig } from '../../apps/api/src/api-config';
import { createApp } from '../../apps/api/src/create-app';

export interface StartTestAppOptions {
  logger?: PinoInstance;
  /**
   * Create the suite's fresh database on this Postgres even without TEST_DATABASE_URL: for suites
   * whose database is shared with another process (the BullMQ worker), which PGlite cannot be.
   */
  postgresUrl?: string;
  /** Connect to that database through this loopback port instead (a fault-injection proxy). */
  databasePort?: number;
  /**
   * Join this existing database instead of creating one (several in-process apps as replicas of
   * one deployment); the caller creates and drops it, e.g. with freshDatabase().
   */
  databaseUrl?: string;
  /** Always the embedded database, even under TEST_DATABASE_URL (suites about the default set-up). */
  embedded?: boolean;
  /** Spans go here (an InMemorySpanExporter): tracing on without an OTLP collector. */
  traceExporter?: SpanExporter;
}

export interface TestApp {
  app: NestFastifyApplication;
  config: ApiConfig;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Boots the real application in-process. Default: embedded PGlite in memory. With
 * TEST_DATABASE_URL, a fresh Postgres database is created for this suite and dropped afterwards.
 */
export async function startTestApp(env: ApiConfigInput = {}, options: StartTestAppOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-test-'));
  const database = options.embedded
    ? undefined
    : options.databaseUrl
      ? { url: options.databaseUrl, drop: async () => undefined }
      : await freshDatabase(options.postgresUrl ?? process.env.TEST_DATABASE_URL);
  const config = testConfig(dataDir, database && (options.databasePort ? viaPort(database.url, options.databasePort) : database.url), env);
  const app = await createApp(config, {
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    traceExporter: options.traceExporter,
  });
  return {
    app,
    config,
    dataDir,
    async close() {
      await app.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A suite's configuration: its own data directory and secret, silent logs, and its database (else the embedded one, in memory). */
function testConfig(dataDir: string, databaseUrl: string | undefined, env: ApiConfigInput): ApiConfig {
  return loadApiConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    PGLITE_DATA_DIR: 'memory',
    JWT_SECRET: randomBytes(32).toString('hex'),
    // The cheapest allowed password hashing: suites create many users; the cost itself is unit-tested.
    PASSWORD_SCRYPT_COST: '14',
    // Suites boot hundreds of apps: models run on the main thread unless a suite asks for the pool
    // (inference-pool); the service's default (a pool) is what the README walkthrough's server runs.
    INFERENCE_THREADS: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
}

function viaPort(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

/** A new, empty database on the Postgres at `base` (none without a base), and how to drop it. */
export async function freshDatabase(base: string | undefined): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!base) return undefined;
  const name = `modelgate_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Two apps on one database: one with the lean inference handlers, one on Nest's router alone. */
export interface LeanAndNestApps {
  lean: TestApp;
  nest: TestApp;
  close(): Promise<void>;
}

/**
 * Two apps on one database, as two replicas of a deployment (PGlite is one instance per process;
 * with TEST_DATABASE_URL, one fresh Postgres database), sharing the JWT secret: the same tokens,
 * keys and models are good on both, and each keeps its own (in-memory) rate-limit budget. One
 * serves the inference routes on the lean handlers, the other (createApp's `leanRoutes: false`) on
 * Nest's router: suites send both the same requests and compare the answers.
 */
export async function startLeanAndNestApps(env: ApiConfigInput = {}): Promise<LeanAndNestApps> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-lean-nest-'));
  const database = await freshDatabase(process.env.TEST_DATABASE_URL);
  const config = testConfig(dataDir, database?.url, env);
  const logger = pino({ level: 'silent' });
  const lean = await createApp(config, { logger, leanRoutes: true });
  const nest = await createApp(config, { logger, leanRoutes: false });
  const close = async () => undefined;
  return {
    lean: { app: lean, config, dataDir, close },
    nest: { app: nest, config, dataDir, close },
    async close() {
      await nest.close();
      await lean.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
