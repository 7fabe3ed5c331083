import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  UsageEventsRepository,
  UsageFilter,
  UsageGroupBy,
  UsageInterval,
  UsageRow,
  UsageTotals,
  VersionActivity,
} from './usage-events.repository';

const KEY_SQL: Record<UsageGroupBy, string> = {
  model: `model_name`,
  version: `model_name || ':' || coalesce(version::text, '-')`,
  caller: `coalesce(caller_id, 'anonymous')`,
};

// date_trunc on a timestamptz truncates in the session's time zone: buckets are UTC whatever it is.
const BUCKET_SQL: Record<UsageInterval, string> = {
  hour: `date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
  day: `date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
};

/**
 * Caller ids are user or API key ids (uuid, stored as text). Users and keys are few next to the
 * ledger, so the names come from one join over the grouped rows.
 */
const CALLER_NAME_JOIN = `LEFT JOIN users u ON u.id::text = t.key LEFT JOIN api_keys k ON k.id::text = t.key`;
const CALLER_NAME_SQL = `CASE WHEN t.key = 'anonymous' THEN 'anonymous' ELSE coalesce(u.email, k.name) END`;

@Injectable()
export class TypeormUsageEventsRepository extends UsageEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /**
   * One statement per batch with one array parameter per column: the statement text and parameter
   * count stay the same whatever the batch size (cheap to build, plan-cacheable). Each row's
   * latencies travel as an array literal (unnest would flatten an array of arrays).
   */
  async insertBatch(batch: readonly UsageRow[]): Promise<void> {
    const col = <K extends keyof UsageRow>(k: K) => batch.map((e) => e[k]);
    await this.dataSource.query(
      `INSERT INTO usage_events (at, model_name, version, caller_id, caller_kind, api, status, rows, latency_ms, compute_ms, requests, latencies_ms, trace_id)
       SELECT at, model_name, version, caller_id, caller_kind, api, status, rows, latency_ms, compute_ms, requests, latencies::float8[], trace_id
         FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
                     $7::smallint[], $8::int[], $9::float8[], $10::float8[], $11::int[], $12::text[], $13::text[])
           AS b(at, model_name, version, caller_id, caller_kind, api, status, rows, latency_ms, compute_ms, requests, latencies, trace_id)`,
      [
        col('at').map((d) => d.toISOString()),
        col('modelName'),
        col('version'),
        col('callerId'),
        col('callerKind'),
        col('api'),
        col('status'),
        col('rows'),
        col('latencyMs'),
        col('computeMs'),
        col('requests').map((n) => n ?? 1),
        col('latenciesMs').map((l) => (l ? `{${l.join(',')}}` : null)),
        col('traceId').map((t) => t ?? null),
      ],
    );
  }

  async versionActivity(from: Date, versions: readonly { model: string; version: number }[]): Promise<Map<string, VersionActivity>> {
    if (!versions.length) return new Map();
    const rows: { model_name: string; version: number; requests: number; callers: number }[] = await this.dataSource.query(
      `SELECT e.model_name, e.version, sum(e.requests)::int AS requests, count(DISTINCT e.caller_id)::int AS callers
         FROM usage_events e
         JOIN unnest($2::text[], $3::int[]) AS w(model_name, version) ON w.model_name = e.model_name AND w.version = e.version
        WHERE e.at >= $1
        GROUP BY e.model_name, e.version`,
      [from, versions.map((v) => v.model), versions.map((v) => v.version)],
    );
    return new Map(rows.map((r) => [`${r.model_name}:${r.version}`, { requests: Number(r.requests), callers: Number(r.callers) }]));
  }

  /**
   * Latency percentiles are computed by Postgres over every request (a folded row unnests into its
   * latencies; sums count each row once, at its first latency); caller names joined in the same
   * statement.
   */
  async aggregate(range: { from: Date; to: Date }, groupBy: UsageGroupBy, filter: UsageFilter = {}): Promise<UsageTotals[]> {
    const params: unknown[] = [range.from, range.to];
    let where = `at >= $1 AND at < $2`;
    if (filter.model !== undefined) {
      params.push(filter.model);
      where += ` AND model_name = $${params.length}`;
    }
    const interval = filter.interval;
    const named = groupBy === 'caller';
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH t AS (
         SELECT ${KEY_SQL[groupBy]} AS key,${interval ? ` ${BUCKET_SQL[interval]} AS bucket,` : ''}
                count(*)::int AS requests,
                coalesce(sum(rows) FILTER (WHERE l.i = 1), 0)::bigint AS rows,
                (count(*) FILTER (WHERE status >= 400))::int AS errors,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY l.ms) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY l.ms) AS p95,
                coalesce(sum(compute_ms) FILTER (WHERE l.i = 1), 0) AS compute
           FROM usage_events
           CROSS JOIN LATERAL unnest(coalesce(latencies_ms, ARRAY[latency_ms])) WITH ORDINALITY AS l(ms, i)
          WHERE ${where}
          GROUP BY ${interval ? '1, 2' : '1'}
       )
       SELECT t.*${named ? `, ${CALLER_NAME_SQL} AS name` : ''}
         FROM t ${named ? CALLER_NAME_JOIN : ''}
        ORDER BY ${interval ? 't.bucket, ' : ''}t.requests DESC, t.key`,
      params,
    );
    return rows.map((r) => ({
      key: String(r.key),
      ...(named ? { name: r.name === null ? null : String(r.name) } : {}),
      ...(interval ? { bucket: new Date(r.bucket as string | Date) } : {}),
      requests: Number(r.requests),
      rows: Number(r.rows),
      errors: Number(r.errors),
      p50Ms: Number(r.p50),
      p95Ms: Number(r.p95),
      computeMs: Number(r.compute),
    }));
  }
}
