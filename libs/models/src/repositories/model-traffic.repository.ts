import type { Transaction } from '@app/database';
import type { ModelTrafficEntity } from '../entities/model-traffic.entity';

/** What a model's production traffic is split to and mirrored on; each part null when unset. */
export interface TrafficSplit {
  modelId: string;
  canaryVersion: number | null;
  canaryPercent: number | null;
  shadowVersion: number | null;
  shadowPercent: number | null;
  shadowSince: Date | null;
  updatedBy: string;
}

/** A model's canary split and shadow (no row: neither). Writes take the model's row lock first. */
export abstract class ModelTrafficRepository {
  abstract find(modelId: string, tx?: Transaction): Promise<ModelTrafficEntity | null>;
  /** Replaces the model's split; one with neither a canary nor a shadow removes the row. */
  abstract save(split: TrafficSplit, tx: Transaction): Promise<void>;
  abstract delete(modelId: string, tx: Transaction): Promise<void>;
  /**
   * Removes `version` from the model's traffic: as its canary, and as its shadow (a version that
   * goes to production or leaves service has nothing left to be compared with). Whether the canary
   * was removed.
   */
  abstract clearCanaryOf(modelId: string, version: number, tx: Transaction): Promise<boolean>;
}

export function isEmptySplit(split: Pick<TrafficSplit, 'canaryVersion' | 'shadowVersion'>): boolean {
  return split.canaryVersion === null && split.shadowVersion === null;
}
