import type { Transaction } from '@app/database';
import type { ModelTrafficEntity } from '../entities/model-traffic.entity';

export interface CanaryAssignment {
  modelId: string;
  canaryVersion: number;
  canaryPercent: number;
  updatedBy: string;
}

/** A model's canary split (no row: no canary). Writes take the model's row lock first. */
export abstract class ModelTrafficRepository {
  abstract find(modelId: string, tx?: Transaction): Promise<ModelTrafficEntity | null>;
  /** Sets the model's canary, replacing any other. */
  abstract upsert(canary: CanaryAssignment, tx: Transaction): Promise<void>;
  abstract delete(modelId: string, tx: Transaction): Promise<void>;
  /** Removes the model's canary if it is `version`; whether there was one to remove. */
  abstract clearCanaryOf(modelId: string, version: number, tx: Transaction): Promise<boolean>;
}
