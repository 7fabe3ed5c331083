import type { ExclusiveRun } from '../run-exclusively';
import { Transaction, UnitOfWork } from '../unit-of-work';

/**
 * The unit of work of the in-memory repositories that unit tests use in place of the TypeORM ones:
 * no database, no server. Rows are copied in and out (a service changing what it read changes
 * nothing until it saves), a unit of work rolls every store back when its work throws, and each
 * transaction notes the row locks it took, in order ("user:<id>:update", "model:<name>:update"...),
 * so tests can check the order the real implementations rely on to avoid deadlocks.
 */
export class InMemoryTransaction extends Transaction {
  readonly locks: string[] = [];
}

/** A fake's table: what a rolled-back unit of work restores. */
export interface Store {
  /** Copies the current state; the function returned puts it back. */
  snapshot(): () => void;
}

/** Rows cross the fake's boundary as copies, as they would a database's. */
export function copyRow<T>(row: T): T {
  return structuredClone(row);
}

/** The lock list of a fake transaction (none outside one); a transaction some other fake started is a programming error. */
export function locksOf(tx: Transaction | undefined): string[] {
  if (tx === undefined) return [];
  if (!(tx instanceof InMemoryTransaction)) throw new TypeError('An in-memory repository was handed a transaction it did not start.');
  return tx.locks;
}

export class InMemoryUnitOfWork extends UnitOfWork {
  readonly transactions: InMemoryTransaction[] = [];
  /** Names of the jobs run exclusively, in order. */
  readonly exclusiveJobs: string[] = [];

  constructor(private readonly stores: Store[]) {
    super();
  }

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const restore = this.stores.map((s) => s.snapshot());
    const tx = new InMemoryTransaction();
    this.transactions.push(tx);
    try {
      return await work(tx);
    } catch (error) {
      for (const r of restore) r();
      throw error;
    }
  }

  /** One process: nobody else can hold the job. */
  async exclusively<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    this.exclusiveJobs.push(job);
    return { ran: true, result: await work() };
  }
}
