import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@app/common';
import { embeddedPostgresDriver } from './pglite-serial-pool';
import { embeddedOptions } from './pglite-seed';
import { MIGRATIONS } from './migrations';
import { ParameterFreeLogger } from './parameter-free-logger';
import { pgDriver } from './pg-driver';

function embeddedDataDir(config: AppConfig): string | undefined {
  const dir = config.database.embeddedDir;
  if (dir === 'memory') return undefined;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * One set of options for both engines: real Postgres through `pg` when DATABASE_URL is set,
 * otherwise PGlite (Postgres compiled to WASM) in-process. The same migrations run on both.
 */
export function databaseOptions(config: AppConfig): DataSourceOptions {
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
  if (config.database.url) {
    return {
      ...common,
      url: config.database.url,
      poolSize: config.database.poolSize,
      ssl: config.database.ssl ? { rejectUnauthorized: true } : undefined,
      driver: pgDriver,
      extra: {
        application_name: 'modelgate',
        // Bounds so that a database that is down or unreachable fails a request fast (503) instead
        // of holding it: obtaining a connection, a statement on the server, and the client's own
        // wait for an answer (a silently dropped network path never errors by itself).
        connectionTimeoutMillis: config.database.connectTimeoutMs,
        statement_timeout: config.database.statementTimeoutMs,
        query_timeout: config.database.statementTimeoutMs + config.database.connectTimeoutMs,
        keepAlive: true,
      },
    };
  }
  const dataDir = embeddedDataDir(config);
  return { ...common, driver: embeddedPostgresDriver(embeddedOptions(dataDir)) };
}
