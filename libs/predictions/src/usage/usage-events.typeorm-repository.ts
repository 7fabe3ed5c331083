import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { UsageEventsRepository, UsageGroupBy, UsageRecord, UsageTotals } from './usage-events.repository';

const KEY_SQL: Record<UsageGroupBy, string> = {
  model: `model_name`,
  version: `model_name || ':' || coalesce(version::text, '-')`,
  caller: `coalesce(caller_id, 'anonymous')`,
};

@Injectable()
export class TypeormUsageEventsRepository extends UsageEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /**
   * One statement per batch with one array parameter per column: the statement text and parameter
   * count stay the same whatever the batch size (cheap to build, plan-cacheable).
   */
  async insertBatch(batch: readonly UsageRecord[]): Promise<void> {
    const col = <K extends keyof UsageRecord>(k: K) => batch.map((e) => e[k]);
    await this.dataSource.query(
      `INSERT INTO usage_events (at, model_name, version, caller_id, caller_kind, api, status, rows, latency_ms, compute_ms)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
                            $7::smallint[], $8::int[], $9::float8[], $10::float8[])`,
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
      ],
    );
  }

  /** Latency percentiles are computed by Postgres. */
  async aggregate(range: { from: Date; to: Date }, groupBy: UsageGroupBy): Promise<UsageTotals[]> {
    const rows: Record<string, string | number>[] = await this.dataSource.query(
      `SELECT ${KEY_SQL[groupBy]} AS key,
              count(*)::int AS requests,
              coalesce(sum(rows), 0)::bigint AS rows,
              (count(*) FILTER (WHERE status >= 400))::int AS errors,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
              coalesce(sum(compute_ms), 0) AS compute
         FROM usage_events
        WHERE at >= $1 AND at < $2
        GROUP BY 1
        ORDER BY requests DESC, key`,
      [range.from, range.to],
    );
    return rows.map((r) => ({
      key: String(r.key),
      requests: Number(r.requests),
      rows: Number(r.rows),
      errors: Number(r.errors),
      p50Ms: Number(r.p50),
      p95Ms: Number(r.p95),
      computeMs: Number(r.compute),
    }));
  }
}
