import { mkdirSync } from 'node:fs';
import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '@app/common';
import { embeddedPostgresDriver } from './pglite-serial-pool';
import { embeddedOptions } from './pglite-seed';
import { MIGRATIONS } from './migrations';
import { ParameterFreeLogger } from './parameter-free-logger';

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
      extra: { connectionTimeoutMillis: 5_000, statement_timeout: 30_000, application_name: 'modelgate' },
    };
  }
  const dataDir = embeddedDataDir(config);
  return { ...common, driver: embeddedPostgresDriver(embeddedOptions(dataDir)) };
}
