import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ExclusiveRun, runExclusively } from './run-exclusively';
import { Transaction, UnitOfWork } from './unit-of-work';

/** A TypeORM transaction: the EntityManager every statement of the unit of work runs on. */
export class TypeormTransaction extends Transaction {
  constructor(readonly manager: EntityManager) {
    super();
  }
}

/**
 * For repository implementations: the EntityManager of `tx` (a transaction some other
 * implementation started is a programming error), or `fallback` when there is no transaction.
 */
export function managerOf(tx: Transaction): EntityManager;
export function managerOf(tx: Transaction | undefined, fallback: EntityManager): EntityManager;
export function managerOf(tx: Transaction | undefined, fallback?: EntityManager): EntityManager {
  if (!tx && fallback) return fallback;
  if (!(tx instanceof TypeormTransaction)) throw new TypeError('A TypeORM repository was handed a transaction it did not start.');
  return tx.manager;
}

@Injectable()
export class TypeormUnitOfWork extends UnitOfWork {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((m) => work(new TypeormTransaction(m)));
  }

  exclusively<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    return runExclusively(this.dataSource, job, work);
  }
}
