import type { Transaction } from '@app/database';
import type { DatasetEntity } from './entities/dataset.entity';

export type NewDataset = Pick<
  DatasetEntity,
  'id' | 'name' | 'format' | 'rows' | 'columns' | 'sha256' | 'sizeBytes' | 'storageKey' | 'ownerId' | 'createdBy'
>;

/**
 * Datasets (DI token; the TypeORM implementation is bound in TrainingModule). "Live" means not
 * soft-deleted. The two locks are what keeps job creation and dataset deletion from crossing: a job
 * takes a share lock on the live row in its unit of work, a delete takes an update lock first.
 */
export abstract class DatasetsRepository {
  abstract create(dataset: NewDataset, uow?: Transaction): Promise<DatasetEntity>;
  abstract findLive(id: string): Promise<DatasetEntity | null>;
  /** Live rows, newest first, with the total. */
  abstract list(filter: { ownerId?: string }, page: { limit: number; offset: number }): Promise<[DatasetEntity[], number]>;
  /** Share-locks the live row until `uow` ends and answers its sha256; null when it is gone (deleted). */
  abstract lockLiveForShare(id: string, uow: Transaction): Promise<{ sha256: string } | null>;
  /** Update-locks the row until `uow` ends. */
  abstract lockForUpdate(id: string, uow: Transaction): Promise<void>;
  abstract softDelete(id: string, uow?: Transaction): Promise<void>;
}
