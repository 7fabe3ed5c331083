import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { ModelEntity } from './model.entity';
import { ModelVersionEntity } from './model-version.entity';

export const PROMOTION_STATUSES = ['pending', 'approved', 'rejected', 'stale'] as const;
export type PromotionStatus = (typeof PROMOTION_STATUSES)[number];

/** A move to production waiting for (or given) an approver's decision. */
@Entity('promotion_requests')
@Check('promotion_requests_status_valid', `status IN ('pending', 'approved', 'rejected', 'stale')`)
@Check('promotion_requests_from_valid', `from_stage IN ('staging', 'deprecated')`)
@Check('promotion_requests_decided', `(status = 'pending') = (decided_at IS NULL)`)
@Check('promotion_requests_decider', `status NOT IN ('approved', 'rejected') OR decided_by IS NOT NULL`)
@Check('promotion_requests_not_self', `decided_by IS NULL OR status = 'stale' OR decided_by <> requested_by`)
@ForeignKey(() => ModelEntity, ['modelId'], ['id'], { name: 'promotion_requests_model_id_fkey', onDelete: 'CASCADE' })
@ForeignKey(() => ModelVersionEntity, ['versionId'], ['id'], { name: 'promotion_requests_version_id_fkey', onDelete: 'CASCADE' })
@Index('promotion_requests_one_pending', ['versionId'], { unique: true, where: `status = 'pending'` })
@Index('promotion_requests_status_created_idx', ['status', 'createdAt'])
export class PromotionRequestEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'promotion_requests_pkey' })
  id: string;

  @Column('uuid', { name: 'model_id' })
  modelId: string;

  /** Model names never change: kept here for listings. */
  @Column('text', { name: 'model_name' })
  modelName: string;

  @Column('uuid', { name: 'version_id' })
  versionId: string;

  @Column('integer')
  version: number;

  /** The stage the version was in when the move was requested; leaving it makes the request stale. */
  @Column('text', { name: 'from_stage' })
  fromStage: 'staging' | 'deprecated';

  @Column('text', { default: 'pending' })
  status: PromotionStatus;

  /** An admin's `force` (signature guard override), applied when the request is approved. */
  @Column('boolean', { default: false })
  force: boolean;

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('text', { name: 'requested_by' })
  requestedBy: string;

  @Column('text', { name: 'requested_by_name', nullable: true })
  requestedByName: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('text', { name: 'decided_by', nullable: true })
  decidedBy: string | null;

  @Column('text', { name: 'decided_by_name', nullable: true })
  decidedByName: string | null;

  @Column('timestamptz', { name: 'decided_at', nullable: true })
  decidedAt: Date | null;

  @Column('text', { nullable: true })
  comment: string | null;
}
