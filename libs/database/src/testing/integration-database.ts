import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, DataSourceOptions, EntitySchema, MixedList } from 'typeorm';
import { loadConfigSlice } from '@app/common';
import { databaseConfig } from '../database.config';
import { databaseOptions } from '../database-options';
import { MIGRATIONS } from '../migrations';

export interface IntegrationDatabase {
  readonly ds: DataSource;
  /** 'postgres' under TEST_DATABASE_URL (a fresh database, dropped by close()), else 'pglite' in memory. */
  readonly kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/**
 * The database of an integration spec: the real Postgres of TEST_DATABASE_URL when set (CI's second
 * pass), else PGlite in memory, with only the migrations (by name) and entities the spec needs, so
 * a repository's SQL is proven on both engines it runs on.
 */
export async function integrationDatabase(options: {
  migrations: string[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
}): Promise<IntegrationDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  let drop: (() => Promise<void>) | undefined;
  let url: string | undefined;
  if (base) {
    const name = `modelgate_int_${Date.now()}_${randomBytes(4).toString('hex')}`;
    await withClient(base, (c) => c.query(`CREATE DATABASE "${name}"`));
    const parsed = new URL(base);
    parsed.pathname = `/${name}`;
    url = parsed.toString();
    drop = () => withClient(base, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  }
  const config = loadConfigSlice(databaseConfig, { PGLITE_DATA_DIR: 'memory', ...(url ? { DATABASE_URL: url } : {}) });
  const ds = await new DataSource({
    ...databaseOptions(config),
    migrations: MIGRATIONS.filter((m) => options.migrations.includes(m.name)),
    entities: options.entities,
  } as DataSourceOptions).initialize();
  await ds.runMigrations();
  return {
    ds,
    kind: base ? 'postgres' : 'pglite',
    async close() {
      await ds.destroy();
      await drop?.();
    },
  };
}

async function withClient(connectionString: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
