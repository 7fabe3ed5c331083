import type { Transaction } from '@app/database';
import type { ModelAliasEntity } from '../entities/model-alias.entity';

export interface AliasAssignment {
  modelId: string;
  alias: string;
  version: number;
  updatedBy: string;
}

/** Stored aliases (`production` is derived from the stage and never stored). Writes take the model's row lock first. */
export abstract class ModelAliasesRepository {
  /** The model's aliases in name order. */
  abstract listByModel(modelId: string): Promise<ModelAliasEntity[]>;
  abstract find(modelId: string, alias: string, tx?: Transaction): Promise<ModelAliasEntity | null>;
  /** Points the alias at the version, creating it when absent (updatedAt moves on). */
  abstract upsert(assignment: AliasAssignment, tx: Transaction): Promise<void>;
  abstract delete(modelId: string, alias: string, tx: Transaction): Promise<void>;
}
