import { ExclusiveRun, UnitOfWork, Transaction } from '@app/database';
import { ModelServingSettingsEntity } from '../entities/model-serving-settings.entity';
import { NewPredictionLog, PredictionLogsRepository } from '../serving/prediction-logs.repository';
import { ServingSettings, ServingSettingsRepository } from '../serving/serving-settings.repository';
import {
  UsageEventsRepository,
  UsageFilter,
  UsageGroupBy,
  UsageRecord,
  UsageRow,
  UsageTotals,
  VersionActivity,
} from '../usage/usage-events.repository';

/**
 * In-memory fakes of predictions' repositories, for unit tests (no database): the same conditions
 * as the TypeORM implementations (and the table's CHECK constraints), rows copied in and out.
 */

/** The ledger; `failNext(n)` makes the next n batch writes fail (a database outage), writing nothing. */
export class InMemoryUsageEventsRepository extends UsageEventsRepository {
  readonly rows: UsageRow[] = [];
  /** Sizes of the batches written (failed attempts not counted). */
  readonly batches: number[] = [];
  attempts = 0;
  private failures = 0;
  /** While set, a batch write waits for it (to observe concurrent flushes). */
  gate?: Promise<void>;
  /** Display names of callers by id (the users and API keys tables, for groupBy=caller). */
  readonly callerNames = new Map<string, string>();
  /** Reports asked for (each one statement in the real ledger). */
  aggregations = 0;

  failNext(n = 1): void {
    this.failures = n;
  }

  async insertBatch(batch: readonly UsageRow[]): Promise<void> {
    this.attempts++;
    if (this.gate) await this.gate;
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connection refused');
    }
    for (const e of batch) {
      if (e.api !== 'v1' && e.api !== 'v2') throw new Error('usage_events_api_valid');
      if (e.rows < 0) throw new Error('usage_events_rows_nonnegative');
      if (e.latenciesMs && e.latenciesMs.length !== e.requests) throw new Error('usage_events_latencies_match');
    }
    this.rows.push(...batch.map((e) => ({ ...e, at: new Date(e.at) })));
    this.batches.push(batch.length);
  }

  async versionActivity(from: Date, versions: readonly { model: string; version: number }[]): Promise<Map<string, VersionActivity>> {
    const wanted = new Set(versions.map((v) => `${v.model}:${v.version}`));
    const activity = new Map<string, { requests: number; callers: Set<string> }>();
    for (const row of this.rows) {
      const key = `${row.modelName}:${row.version}`;
      if (row.at < from || !wanted.has(key)) continue;
      const a = activity.get(key) ?? { requests: 0, callers: new Set<string>() };
      a.requests += row.requests ?? 1;
      if (row.callerId !== null) a.callers.add(row.callerId);
      activity.set(key, a);
    }
    return new Map([...activity].map(([k, a]) => [k, { requests: a.requests, callers: a.callers.size }]));
  }

  async aggregate(range: { from: Date; to: Date }, groupBy: UsageGroupBy, filter: UsageFilter = {}): Promise<UsageTotals[]> {
    this.aggregations++;
    const key = (e: UsageRecord) =>
      groupBy === 'model' ? e.modelName : groupBy === 'version' ? `${e.modelName}:${e.version ?? '-'}` : (e.callerId ?? 'anonymous');
    const bucketOf = (e: UsageRecord): Date | undefined => {
      if (!filter.interval) return undefined;
      const start = new Date(e.at);
      start.setUTCMinutes(0, 0, 0);
      if (filter.interval === 'day') start.setUTCHours(0);
      return start;
    };
    const groups = new Map<string, { key: string; bucket?: Date; events: UsageRecord[] }>();
    // A folded row counts as its requests, one by one (rows and compute on the first).
    const requests = this.rows.flatMap((row) =>
      (row.latenciesMs ?? [row.latencyMs]).map((latencyMs, i) => ({
        ...row,
        latencyMs,
        rows: i ? 0 : row.rows,
        computeMs: i ? 0 : row.computeMs,
      })),
    );
    for (const e of requests.filter((r) => r.at >= range.from && r.at < range.to)) {
      if (filter.model !== undefined && e.modelName !== filter.model) continue;
      const bucket = bucketOf(e);
      const id = `${key(e)}\u0000${bucket?.toISOString() ?? ''}`;
      const group = groups.get(id) ?? { key: key(e), bucket, events: [] };
      group.events.push(e);
      groups.set(id, group);
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const nameOf = (k: string) => (k === 'anonymous' ? 'anonymous' : (this.callerNames.get(k) ?? null));
    return [...groups.values()]
      .map(({ key: k, bucket, events }) => {
        const latencies = events.map((e) => e.latencyMs).sort((a, b) => a - b);
        return {
          key: k,
          ...(groupBy === 'caller' ? { name: nameOf(k) } : {}),
          ...(bucket ? { bucket } : {}),
          requests: events.length,
          rows: sum(events.map((e) => e.rows)),
          errors: events.filter((e) => e.status >= 400).length,
          p50Ms: percentileCont(latencies, 0.5),
          p95Ms: percentileCont(latencies, 0.95),
          computeMs: sum(events.map((e) => e.computeMs)),
        };
      })
      .sort(
        (a, b) =>
          (a.bucket?.getTime() ?? 0) - (b.bucket?.getTime() ?? 0) ||
          b.requests - a.requests ||
          (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
      );
  }
}

/** Postgres' percentile_cont: linear interpolation between the closest ranks of sorted values. */
function percentileCont(sorted: number[], p: number): number {
  const at = p * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export class InMemoryServingSettingsRepository extends ServingSettingsRepository {
  readonly rows = new Map<string, ModelServingSettingsEntity>();
  reads = 0;
  /** While set, reads fail with it (a database outage). */
  unavailable?: Error;

  async findByModelId(modelId: string): Promise<ModelServingSettingsEntity | null> {
    this.reads++;
    if (this.unavailable) throw this.unavailable;
    const row = this.rows.get(modelId);
    return row ? Object.assign(new ModelServingSettingsEntity(), row) : null;
  }

  async upsert(modelId: string, settings: ServingSettings, updatedBy: string): Promise<ModelServingSettingsEntity> {
    const ttl = settings.responseCacheTtlSeconds;
    if (ttl !== null && !(ttl >= 1 && ttl <= 86_400)) throw new Error('model_serving_settings_ttl_range');
    if (!(settings.payloadRetentionDays >= 1 && settings.payloadRetentionDays <= 3650))
      throw new Error('model_serving_settings_retention_range');
    const row = Object.assign(new ModelServingSettingsEntity(), { modelId, ...settings, updatedBy, updatedAt: new Date() });
    this.rows.set(modelId, row);
    return Object.assign(new ModelServingSettingsEntity(), row);
  }
}

export class InMemoryPredictionLogsRepository extends PredictionLogsRepository {
  readonly rows: (NewPredictionLog & { id: number })[] = [];
  private nextId = 1;
  /** While set, inserts fail with it. */
  failure?: Error;

  async insertBatch(logs: readonly NewPredictionLog[]): Promise<void> {
    if (this.failure) throw this.failure;
    for (const log of logs) this.rows.push({ ...structuredClone(log), id: this.nextId++ });
  }

  async deleteExpired(now: Date): Promise<number> {
    const before = this.rows.length;
    const kept = this.rows.filter((r) => !(r.expiresAt < now));
    this.rows.splice(0, this.rows.length, ...kept);
    return before - kept.length;
  }
}

/** One process; `heldElsewhere` names the jobs another replica is running (exclusively skips them). */
export class InMemoryUnitOfWork extends UnitOfWork {
  readonly heldElsewhere = new Set<string>();
  readonly exclusiveRuns: string[] = [];

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return work(new (class extends Transaction {})());
  }

  async exclusively<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    if (this.heldElsewhere.has(job)) return { ran: false };
    this.exclusiveRuns.push(job);
    return { ran: true, result: await work() };
  }
}
