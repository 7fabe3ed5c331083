import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One prediction request, for cost analysis. Append-only; written in batches off the hot path. */
@Entity('usage_events')
@Check('usage_events_api_valid', `api IN ('v1', 'v2')`)
@Check('usage_events_rows_nonnegative', `rows >= 0`)
@Index('usage_events_at_idx', ['at'])
@Index('usage_events_model_at_idx', ['modelName', 'at'])
export class UsageEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'usage_events_pkey' })
  id: string;

  @Column('timestamptz')
  at: Date;

  @Column('text', { name: 'model_name' })
  modelName: string;

  @Column('integer', { nullable: true })
  version: number | null;

  @Column('text', { name: 'caller_id', nullable: true })
  callerId: string | null;

  @Column('text', { name: 'caller_kind', nullable: true })
  callerKind: string | null;

  @Column('text')
  api: 'v1' | 'v2';

  @Column('smallint')
  status: number;

  @Column('integer', { default: 0 })
  rows: number;

  @Column('double precision', { name: 'latency_ms' })
  latencyMs: number;

  @Column('double precision', { name: 'compute_ms', default: 0 })
  computeMs: number;
}
