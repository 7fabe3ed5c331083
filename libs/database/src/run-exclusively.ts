import type { DataSource } from 'typeorm';

/** First key of every lock taken here ('MGAT'): keeps them apart from other users of advisory locks. */
const LOCK_NAMESPACE = 0x4d474154;

export type ExclusiveRun<T> = { ran: true; result: T } | { ran: false };

/**
 * Runs `work` only if no other process is running the job of the same name: a transaction-scoped
 * Postgres advisory lock, tried (never waited for), so of replicas whose schedulers fire together
 * one does the work and the others skip. The lock lives on a connection of its own and ends with
 * its transaction, also when the process dies. Embedded PGlite is one process by construction and
 * has a single connection that `work` needs, so there the work simply runs.
 */
export async function runExclusively<T>(db: DataSource, job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
  if (!usesServerPostgres(db)) return { ran: true, result: await work() };
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const [row] = (await runner.query(`SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)) AS locked`, [LOCK_NAMESPACE, job])) as {
      locked: boolean;
    }[];
    if (!row?.locked) return { ran: false };
    return { ran: true, result: await work() };
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    await runner.release();
  }
}

function usesServerPostgres(db: DataSource): boolean {
  return Boolean((db.options as { url?: string }).url);
}
