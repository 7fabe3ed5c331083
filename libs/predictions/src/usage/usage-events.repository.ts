import type { UsageEventEntity } from '../entities/usage-event.entity';

/** One prediction request as the recorder buffers it; the table assigns the id. */
export type UsageRecord = Omit<UsageEventEntity, 'id'>;

export type UsageGroupBy = 'model' | 'version' | 'caller';

/** One group of the ledger over a time range, as stored (no rounding). */
export interface UsageTotals {
  key: string;
  requests: number;
  rows: number;
  errors: number;
  /** Latency percentiles over the group's events. */
  p50Ms: number;
  p95Ms: number;
  computeMs: number;
}

/** The usage_events ledger (DI token; the TypeORM implementation is bound in PredictionsModule). Append-only. */
export abstract class UsageEventsRepository {
  /** Appends the batch in one statement; all of it or (on an error) none of it. */
  abstract insertBatch(batch: readonly UsageRecord[]): Promise<void>;
  /**
   * Totals per group of the events at or after `from` and before `to`: the group key is the model
   * name, `model:version` (`-` for none) or the caller id (`anonymous` for none). Most requests
   * first, then by key.
   */
  abstract aggregate(range: { from: Date; to: Date }, groupBy: UsageGroupBy): Promise<UsageTotals[]>;
}
