import type { UsageEventEntity } from '../entities/usage-event.entity';

/** One prediction request as the recorder receives it (no trace id: not part of a caller's trace). */
export type UsageRecord = Omit<UsageEventEntity, 'id' | 'requests' | 'latenciesMs' | 'traceId'> &
  Partial<Pick<UsageEventEntity, 'traceId'>>;

/**
 * One ledger row: `requests` requests of one second sharing model, version, caller, API, status and
 * trace (see UsageRollup); without `requests`, one request.
 */
export type UsageRow = UsageRecord & Partial<Pick<UsageEventEntity, 'requests' | 'latenciesMs'>>;

export type UsageGroupBy = 'model' | 'version' | 'caller';

export const USAGE_INTERVALS = ['hour', 'day'] as const;
export type UsageInterval = (typeof USAGE_INTERVALS)[number];

/** Narrows a report: one model's events, and/or totals per UTC hour or day. */
export interface UsageFilter {
  model?: string;
  interval?: UsageInterval;
}

/** One group (and, with an interval, one time bucket) of the ledger over a time range, as stored (no rounding). */
export interface UsageTotals {
  key: string;
  /**
   * groupBy=caller only: the caller's display name (a user's email, an API key's name),
   * `anonymous` for no caller, null for a caller that no longer exists.
   */
  name?: string | null;
  /** With an interval only: the start of the UTC hour or day. */
  bucket?: Date;
  requests: number;
  rows: number;
  errors: number;
  /** Latency percentiles over the group's events. */
  p50Ms: number;
  p95Ms: number;
  computeMs: number;
}

/** Requests and distinct callers of one version over a period. */
export interface VersionActivity {
  requests: number;
  callers: number;
}

/** The usage_events ledger (DI token; the TypeORM implementation is bound in PredictionsModule). Append-only. */
export abstract class UsageEventsRepository {
  /** Appends the batch in one statement; all of it or (on an error) none of it. Reports count a row's requests one by one. */
  abstract insertBatch(batch: readonly UsageRow[]): Promise<void>;
  /**
   * Totals per group of the events at or after `from` and before `to`: the group key is the model
   * name, `model:version` (`-` for none) or the caller id (`anonymous` for none). Most requests
   * first, then by key; with an interval, per group and bucket, ordered by bucket first. Caller
   * names are looked up in the same statement (never one query per row).
   */
  abstract aggregate(range: { from: Date; to: Date }, groupBy: UsageGroupBy, filter?: UsageFilter): Promise<UsageTotals[]>;
  /**
   * Requests and distinct callers (anonymous not counted) since `from`, for each of the given
   * versions, keyed `model:version`; a version without requests is absent. One statement.
   */
  abstract versionActivity(from: Date, versions: readonly { model: string; version: number }[]): Promise<Map<string, VersionActivity>>;
}
