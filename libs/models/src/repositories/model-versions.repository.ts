import type { Transaction } from '@app/database';
import type { LifecycleState, Stage } from '../domain/lifecycle';
import type { ModelEntity } from '../entities/model.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { StageTransitionEntity } from '../entities/stage-transition.entity';

/** A version as the registry records it; the database fills in createdAt/updatedAt. */
export type NewModelVersion = Omit<ModelVersionEntity, 'createdAt' | 'updatedAt'>;

/** The columns a version's PATCH may write (its artifact and stage never change there). */
export type VersionDetails = Partial<Pick<ModelVersionEntity, 'description' | 'labels' | 'sunsetAt'>>;

/** One row of a version's stage history; `at` is the database's now(). */
export type NewStageTransition = Omit<StageTransitionEntity, 'id' | 'at'>;

export interface VersionFilter {
  /** The effective stage: past its sunset, a deprecated version counts as retired. */
  stage?: Stage;
  /** When "past its sunset" is judged. */
  now: Date;
  limit: number;
  offset: number;
}

/** What a model's resource shows of a version it serves. */
export type ServedVersion = Pick<ModelVersionEntity, 'version' | 'stage' | 'sunsetAt'>;

/** A production version with its (live) model. */
export interface ProductionVersion {
  model: ModelEntity;
  version: ModelVersionEntity;
}

/**
 * Model versions and their stage history (one aggregate: a version's history is written with every
 * change of its stage). Writes refused by a unique constraint (the version number, the artifact key,
 * the partial unique index allowing one production version per model) throw RegistryWriteConflict.
 * Lock order: the model's row first (ModelsRepository), then the version moved, then the model's
 * production version.
 */
export abstract class ModelVersionsRepository {
  /** Throws RegistryWriteConflict when a unique constraint refuses the row. */
  abstract insert(version: NewModelVersion, tx: Transaction): Promise<ModelVersionEntity>;
  /** Newest first; `total` counts every match. */
  abstract list(modelId: string, filter: VersionFilter): Promise<{ rows: ModelVersionEntity[]; total: number }>;
  /** Every version of the model, newest first. */
  abstract listAll(modelId: string): Promise<ModelVersionEntity[]>;
  abstract findByNumber(modelId: string, version: number, tx?: Transaction): Promise<ModelVersionEntity | null>;
  /** Locks the row (FOR UPDATE) until the transaction ends. */
  abstract findByNumberForUpdate(modelId: string, version: number, tx: Transaction): Promise<ModelVersionEntity | null>;
  abstract findProduction(modelId: string, tx?: Transaction): Promise<ModelVersionEntity | null>;
  /** Locks the production row (FOR UPDATE), if there is one, until the transaction ends. */
  abstract findProductionForUpdate(modelId: string, tx: Transaction): Promise<ModelVersionEntity | null>;
  /**
   * The staging, production and deprecated versions of several models at once (collections, the
   * model resource's `model_version_status`), by model id, newest first: number, stored stage and
   * sunset only.
   */
  abstract servedVersions(modelIds: string[], tx?: Transaction): Promise<Map<string, ServedVersion[]>>;
  /** The production version of every model that is not deleted, by model name. */
  abstract listLiveProduction(): Promise<ProductionVersion[]>;
  /**
   * Deprecated versions of models that are not deleted, soonest sunset first (then model, version),
   * those sunsetting before `before` only when given; with their model.
   */
  abstract listDeprecated(filter: { before?: Date; limit: number; offset: number }): Promise<{ rows: ProductionVersion[]; total: number }>;
  /**
   * Up to `limit` deprecated versions whose sunset is at or before `now`, oldest sunset first,
   * locked (FOR UPDATE SKIP LOCKED: concurrent sweeps take different rows, never wait).
   */
  abstract lockSunsetDue(now: Date, limit: number, tx: Transaction): Promise<ModelVersionEntity[]>;
  /** Writes the lifecycle columns; throws RegistryWriteConflict when a unique index refuses the stage. */
  abstract updateLifecycle(id: string, state: LifecycleState, tx: Transaction): Promise<void>;
  /** Writes the given metadata columns (and updatedAt); the lifecycle stays as it is. */
  abstract updateDetails(id: string, details: VersionDetails, tx: Transaction): Promise<void>;
  /** Appends to the version's stage history. */
  abstract addTransition(transition: NewStageTransition, tx: Transaction): Promise<void>;
  /** The version's stage history, oldest first. */
  abstract transitions(versionId: string): Promise<StageTransitionEntity[]>;
}
