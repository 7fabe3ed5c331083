import type { ExclusiveRun } from './run-exclusively';

/**
 * A transaction in progress. Services never look inside: they receive one from UnitOfWork.run and
 * hand it to repositories, which run their statements in it. The TypeORM implementation carries
 * the EntityManager (typeorm-unit-of-work.ts); in-memory fakes carry nothing. A repository method
 * given none runs on its own.
 */
export abstract class Transaction {
  /** Nominal: any object with no members would otherwise pass for a transaction. */
  protected readonly isTransaction = true;
}

/**
 * Where transactions start (a DI token, bound to TypeormUnitOfWork by the libs that use it). A
 * service decides what belongs together; every repository call that must commit (or roll back)
 * with the others takes the `tx` it is given.
 */
export abstract class UnitOfWork {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  abstract run<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;

  /**
   * Runs `work` unless another process is already running the job of that name (on Postgres, an
   * advisory lock held for the duration; a single-process embedded database always runs it).
   */
  abstract exclusively<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>>;
}
