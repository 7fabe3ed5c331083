import type { Transaction } from '@app/database';
import type { PromotionRequestEntity, PromotionStatus } from '../entities/promotion-request.entity';

export type NewPromotionRequest = Pick<
  PromotionRequestEntity,
  'modelId' | 'modelName' | 'versionId' | 'version' | 'fromStage' | 'force' | 'reason' | 'requestedBy' | 'requestedByName'
>;

export interface PromotionDecision {
  status: Exclude<PromotionStatus, 'pending'>;
  decidedBy: string | null;
  decidedByName: string | null;
  comment: string | null;
}

export interface PromotionFilter {
  status?: PromotionStatus;
  model?: string;
  limit: number;
  offset: number;
}

/** Promotion requests (DI token; the TypeORM implementation is bound in ModelsModule). */
export abstract class PromotionRequestsRepository {
  abstract insert(request: NewPromotionRequest, tx: Transaction): Promise<PromotionRequestEntity>;
  abstract findPendingForVersion(versionId: string, tx: Transaction): Promise<PromotionRequestEntity | null>;
  /** The request, its row locked until the transaction ends (null for an unknown id). */
  abstract findByIdForUpdate(id: string, tx: Transaction): Promise<PromotionRequestEntity | null>;
  /** Newest first. */
  abstract list(filter: PromotionFilter): Promise<{ rows: PromotionRequestEntity[]; total: number }>;
  abstract decide(id: string, decision: PromotionDecision, tx: Transaction): Promise<PromotionRequestEntity>;
  /** Marks the version's pending requests stale (it left the stage they were made in); returns them. */
  abstract markStale(versionId: string, tx: Transaction): Promise<PromotionRequestEntity[]>;
}
