import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ValidationFailedError } from '@app/common';
import { UsageRecorder } from './usage-recorder';

export type UsageGroupBy = 'model' | 'version' | 'caller';

export interface UsageRow {
  key: string;
  requests: number;
  rows: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  computeMs: number;
}

const KEY_SQL: Record<UsageGroupBy, string> = {
  model: `model_name`,
  version: `model_name || ':' || coalesce(version::text, '-')`,
  caller: `coalesce(caller_id, 'anonymous')`,
};

@Injectable()
export class UsageService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly recorder: UsageRecorder,
  ) {}

  /** Aggregates the ledger for cost analysis; latency percentiles are computed by Postgres. */
  async aggregate(query: { from?: Date; to?: Date; groupBy: UsageGroupBy }): Promise<{ items: UsageRow[] }> {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - 30 * 86_400_000);
    if (from >= to) throw new ValidationFailedError([{ field: 'from', message: 'from must be before to' }]);
    // This replica's buffered events are part of the answer.
    await this.recorder.flush();
    const rows: Record<string, string | number>[] = await this.dataSource.query(
      `SELECT ${KEY_SQL[query.groupBy]} AS key,
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
      [from, to],
    );
    const round = (v: string | number) => Math.round(Number(v) * 100) / 100;
    return {
      items: rows.map((r) => ({
        key: String(r.key),
        requests: Number(r.requests),
        rows: Number(r.rows),
        errors: Number(r.errors),
        p50Ms: round(r.p50),
        p95Ms: round(r.p95),
        computeMs: round(r.compute),
      })),
    };
  }
}
