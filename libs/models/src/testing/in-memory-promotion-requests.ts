import { randomUUID } from 'node:crypto';
import { Transaction } from '@app/database';
import { copyRow, locksOf, Store } from '@app/database/testing';
import type { PromotionRequestEntity } from '../entities/promotion-request.entity';
import {
  NewPromotionRequest,
  PromotionDecision,
  PromotionFilter,
  PromotionRequestsRepository,
} from '../repositories/promotion-requests.repository';

/** Promotion requests in a list, with the table's one-pending-per-version and not-self constraints. */
export class InMemoryPromotionRequestsRepository extends PromotionRequestsRepository implements Store {
  rows: PromotionRequestEntity[] = [];

  snapshot(): () => void {
    const saved = this.rows.map(copyRow);
    return () => {
      this.rows = saved;
    };
  }

  async insert(request: NewPromotionRequest, tx: Transaction): Promise<PromotionRequestEntity> {
    locksOf(tx);
    if (this.rows.some((r) => r.versionId === request.versionId && r.status === 'pending')) {
      throw new Error('promotion_requests_one_pending');
    }
    const row: PromotionRequestEntity = {
      id: randomUUID(),
      ...request,
      status: 'pending',
      createdAt: new Date(Date.now() + this.rows.length),
      decidedBy: null,
      decidedByName: null,
      decidedAt: null,
      comment: null,
    };
    this.rows.push(row);
    return copyRow(row);
  }

  async findPendingForVersion(versionId: string, tx: Transaction): Promise<PromotionRequestEntity | null> {
    locksOf(tx);
    const row = this.rows.find((r) => r.versionId === versionId && r.status === 'pending');
    return row ? copyRow(row) : null;
  }

  async findByIdForUpdate(id: string, tx: Transaction): Promise<PromotionRequestEntity | null> {
    locksOf(tx).push(`promotion:${id}:update`);
    const row = this.rows.find((r) => r.id === id);
    return row ? copyRow(row) : null;
  }

  async list(filter: PromotionFilter): Promise<{ rows: PromotionRequestEntity[]; total: number }> {
    const matching = this.rows
      .filter((r) => (!filter.status || r.status === filter.status) && (!filter.model || r.modelName === filter.model))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return { rows: matching.slice(filter.offset, filter.offset + filter.limit).map(copyRow), total: matching.length };
  }

  async decide(id: string, decision: PromotionDecision, tx: Transaction): Promise<PromotionRequestEntity> {
    locksOf(tx);
    const row = this.rows.find((r) => r.id === id)!;
    if (decision.status !== 'stale' && decision.decidedBy === row.requestedBy) throw new Error('promotion_requests_not_self');
    Object.assign(row, decision, { decidedAt: new Date() });
    return copyRow(row);
  }

  async markStale(versionId: string, tx: Transaction): Promise<PromotionRequestEntity[]> {
    locksOf(tx);
    const pending = this.rows.filter((r) => r.versionId === versionId && r.status === 'pending');
    for (const r of pending) Object.assign(r, { status: 'stale', decidedAt: new Date() });
    return pending.map(copyRow);
  }
}
