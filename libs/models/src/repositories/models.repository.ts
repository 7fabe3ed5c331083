import type { Transaction } from '@app/database';
import type { ModelEntity } from '../entities/model.entity';

/** The name is taken (by a live or a soft-deleted model): the unique constraint refused the insert. */
export class ModelNameTaken extends Error {
  constructor(readonly modelName: string) {
    super(`A model named "${modelName}" already exists.`);
    this.name = 'ModelNameTaken';
  }
}

export interface NewModel {
  name: string;
  description: string | null;
  task: string | null;
  tags: string[];
}

export type ModelChanges = Partial<Pick<ModelEntity, 'description' | 'task' | 'tags' | 'requireApproval'>>;

export interface ModelFilter {
  tag?: string;
  task?: string;
  /** A substring of the name or the description, case-insensitive, matched literally. */
  q?: string;
  limit: number;
  offset: number;
}

/**
 * The models table. Soft-deleted models are invisible to every read but findByIdWithDeleted, and
 * their names stay taken. Lock order, wherever several rows are taken: the model's row first
 * (findByNameForUpdate or allocateVersion), then its versions (ModelVersionsRepository).
 */
export abstract class ModelsRepository {
  /** Whether any model, deleted or not, has this name. */
  abstract nameTaken(name: string, tx?: Transaction): Promise<boolean>;
  /** Throws ModelNameTaken when the name is in use (deleted models included). */
  abstract insert(model: NewModel, tx: Transaction): Promise<ModelEntity>;
  /**
   * Creates the model (no description, no tags) unless the name is taken; the id when this call
   * created it, null when the name was taken (two concurrent creations: one wins, neither fails).
   */
  abstract insertIfAbsent(name: string, task: string | null, tx: Transaction): Promise<string | null>;
  /** Name order; `total` counts every match. */
  abstract list(filter: ModelFilter): Promise<{ rows: ModelEntity[]; total: number }>;
  abstract findByName(name: string, tx?: Transaction): Promise<ModelEntity | null>;
  /**
   * Locks the row (FOR UPDATE) until the transaction ends: serialises every write that must see a
   * consistent set of versions (promotions, alias and traffic changes, updates, deletion).
   */
  abstract findByNameForUpdate(name: string, tx: Transaction): Promise<ModelEntity | null>;
  abstract findByIdWithDeleted(id: string, tx: Transaction): Promise<ModelEntity | null>;
  /** Writes the changed fields (and updatedAt). */
  abstract update(id: string, changes: ModelChanges, tx: Transaction): Promise<void>;
  abstract softDelete(id: string, tx: Transaction): Promise<void>;
  /**
   * Allocates the model's next version number (last_version + 1) and returns it; null when the
   * model is gone. The row lock it takes serialises concurrent uploads to the model until the
   * transaction ends, and a rolled-back transaction gives the number back: numbers stay gapless.
   */
  abstract allocateVersion(id: string, tx: Transaction): Promise<number | null>;
}
