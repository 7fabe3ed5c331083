import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Prediction requests, for cost analysis: one row per second, model, version, caller, API and
 * status (`requests` of them, each latency in `latenciesMs`). Append-only; written in batches off
 * the hot path.
 */
@Entity('usage_events')
@Check('usage_events_api_valid', `api IN ('v1', 'v2')`)
@Check('usage_events_rows_nonnegative', `rows >= 0`)
@Check('usage_events_requests_positive', `requests >= 1`)
@Check('usage_events_latencies_match', `latencies_ms IS NULL OR cardinality(latencies_ms) = requests`)
@Check('usage_events_single_or_listed', `requests = 1 OR latencies_ms IS NOT NULL`)
@Check('usage_events_trace_id_format', `trace_id ~ '^[0-9a-f]{32}$'`)
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

  /** Rows predicted, over all the row's requests. */
  @Column('integer', { default: 0 })
  rows: number;

  /** The one request's latency; for a row of several, the largest. */
  @Column('double precision', { name: 'latency_ms' })
  latencyMs: number;

  @Column('integer', { default: 1 })
  requests: number;

  /** Every request's latency when the row stands for more than one (null: just latencyMs). */
  @Column('double precision', { name: 'latencies_ms', array: true, nullable: true })
  latenciesMs: number[] | null;

  @Column('double precision', { name: 'compute_ms', default: 0 })
  computeMs: number;

  /**
   * The W3C trace id of a request that came with a `traceparent` (its row is its own: it does not
   * fold with others); null for the rest.
   */
  @Column('text', { name: 'trace_id', nullable: true })
  traceId: string | null;
}
