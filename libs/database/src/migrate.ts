import { DataSource } from 'typeorm';

/** Arbitrary but fixed: every ModelGate process agrees on it. */
const MIGRATION_LOCK_KEY = 7_410_993_201;

/**
 * Applies pending migrations. On a shared Postgres, several replicas may start at once: a session
 * advisory lock (held on its own connection) makes them take turns, and the later ones find nothing
 * to do. PGlite is in-process and single-connection, so it needs (and could not take) no lock.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const embedded = !(dataSource.options as { url?: string }).url;
  if (embedded) return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
