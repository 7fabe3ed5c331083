import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from './database.config';
import { lockEmbeddedDataDir } from './embedded-lock';
import { embeddedPostgresDriver } from './pglite-serial-pool';
import { embeddedOptions } from './pglite-seed';
import { MIGRATIONS } from './migrations';
import { ParameterFreeLogger } from './parameter-free-logger';
import { pgDriver } from './pg-driver';

/**
 * The embedded data directory, taken for this process (EmbeddedDatabaseInUseError when another
 * process has it open), and the release that closing the data source calls.
 */
function embeddedDataDir(config: DatabaseConfig): { dataDir?: string; release?: () => void } {
  const dir = config.embeddedDir;
  if (dir === 'memory') return {};
  mkdirSync(dir, { recursive: true });
  return { dataDir: dir, release: lockEmbeddedDataDir(dir) };
}

/**
 * For a process entry point (the API's main, the CLI): takes the embedded data directory before
 * anything starts, so that a directory in use stops the process with one clear message
 * (EmbeddedDatabaseInUseError) instead of a failed module graph. Held until the process exits;
 * the data source's own claim, made later in the same process, simply shares it. Nothing to take
 * with DATABASE_URL or an in-memory database.
 */
export function claimEmbeddedDatabase(config: DatabaseConfig): void {
  if (config.url || config.embeddedDir === 'memory') return;
  mkdirSync(config.embeddedDir, { recursive: true });
  lockEmbeddedDataDir(config.embeddedDir);
}

/**
 * One set of options for both engines: real Postgres through `pg` when DATABASE_URL is set,
 * otherwise PGlite (Postgres compiled to WASM) in-process. The same migrations run on both.
 * For PGlite on disk this takes the data directory's lock (one process at a time): call it only to
 * open the data source, which releases the lock when it is destroyed.
 */
export function databaseOptions(config: DatabaseConfig): DataSourceOptions {
  const common = {
    type: 'postgres' as const,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    // Entities' uuid defaults use gen_random_uuid(), built into Postgres 13+: no extension to install.
    uuidExtension: 'pgcrypto' as const,
    installExtensions: false,
    logging: ['error' as const, 'warn' as const, 'migration' as const],
    logger: new ParameterFreeLogger(),
  };
  if (config.url) {
    return {
      ...common,
      url: config.url,
      poolSize: config.poolSize,
      ssl: config.ssl ? { rejectUnauthorized: true } : undefined,
      driver: pgDriver,
      extra: {
        application_name: 'modelgate',
        // Bounds so that a database that is down or unreachable fails a request fast (503) instead
        // of holding it: obtaining a connection, a statement on the server, and the client's own
        // wait for an answer (a silently dropped network path never errors by itself).
        connectionTimeoutMillis: config.connectTimeoutMs,
        statement_timeout: config.statementTimeoutMs,
        query_timeout: config.statementTimeoutMs + config.connectTimeoutMs,
        keepAlive: true,
      },
    };
  }
  const { dataDir, release } = embeddedDataDir(config);
  return {
    ...common,
    driver: embeddedPostgresDriver(embeddedOptions(dataDir, { sharedBuffersMb: config.embeddedSharedBuffersMb }), release),
  };
}
