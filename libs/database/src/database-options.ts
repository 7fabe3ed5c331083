import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import type { DatabaseConfig } from './database.config';
import { embeddedPostgresDriver } from './pglite-serial-pool';
import { embeddedOptions } from './pglite-seed';
import { MIGRATIONS } from './migrations';
import { ParameterFreeLogger } from './parameter-free-logger';
import { pgDriver } from './pg-driver';

function embeddedDataDir(config: DatabaseConfig): string | undefined {
  const dir = config.embeddedDir;
  if (dir === 'memory') return undefined;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * One set of options for both engines: real Postgres through `pg` when DATABASE_URL is set,
 * otherwise PGlite (Postgres compiled to WASM) in-process. The same migrations run on both.
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
  const dataDir = embeddedDataDir(config);
  return { ...common, driver: embeddedPostgresDriver(embeddedOptions(dataDir)) };
}
