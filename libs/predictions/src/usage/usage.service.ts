import { Injectable } from '@nestjs/common';
import { ValidationFailedError } from '@app/common';
import { UsageEventsRepository, UsageGroupBy, UsageInterval, UsageTotals } from './usage-events.repository';
import { UsageRecorder } from './usage-recorder';

export type { UsageGroupBy, UsageInterval } from './usage-events.repository';
export { USAGE_INTERVALS } from './usage-events.repository';

/** One group (and, with an interval, one time bucket) of usage as the API answers it (percentiles rounded). */
export type UsageRow = Omit<UsageTotals, 'bucket'> & { bucket?: string };

export interface UsageQuery {
  from?: Date;
  to?: Date;
  groupBy: UsageGroupBy;
  /** Totals per UTC hour or day instead of over the whole range. */
  interval?: UsageInterval;
  /** Only this model's events. */
  model?: string;
}

const DEFAULT_RANGE_MS = 30 * 86_400_000;

/** A report is bounded: the database groups at most this many buckets per key (and the console draws them). */
export const MAX_USAGE_BUCKETS = 1000;

const INTERVAL_MS: Record<UsageInterval, number> = { hour: 3_600_000, day: 86_400_000 };

/** How many UTC hours or days [from, to) touches (epoch time starts at a UTC midnight). */
export function bucketCount(from: Date, to: Date, interval: UsageInterval): number {
  const size = INTERVAL_MS[interval];
  return Math.floor((to.getTime() - 1) / size) - Math.floor(from.getTime() / size) + 1;
}

@Injectable()
export class UsageService {
  constructor(
    private readonly events: UsageEventsRepository,
    private readonly recorder: UsageRecorder,
  ) {}

  /** Aggregates the ledger for cost analysis (the last 30 days unless told otherwise); ms to two decimals. */
  async aggregate(query: UsageQuery): Promise<{ items: UsageRow[] }> {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from >= to) throw new ValidationFailedError([{ field: 'from', message: 'from must be before to' }]);
    const { interval, model } = query;
    if (interval) {
      const buckets = bucketCount(from, to, interval);
      if (buckets > MAX_USAGE_BUCKETS) {
        throw new ValidationFailedError(
          [
            {
              field: 'interval',
              message: `from..to spans ${buckets} ${interval}s; at most ${MAX_USAGE_BUCKETS} buckets are allowed: narrow the range or use a longer interval`,
            },
          ],
          `The range holds ${buckets} buckets at interval=${interval}; at most ${MAX_USAGE_BUCKETS} are allowed.`,
          'unprocessable',
        );
      }
    }
    // This replica's buffered events are part of the answer.
    await this.recorder.flush();
    const round = (v: number) => Math.round(v * 100) / 100;
    const totals = await this.events.aggregate({ from, to }, query.groupBy, { interval, model });
    return {
      items: totals.map((t) => ({
        key: t.key,
        ...(t.name !== undefined ? { name: t.name } : {}),
        ...(t.bucket ? { bucket: t.bucket.toISOString() } : {}),
        requests: t.requests,
        rows: t.rows,
        errors: t.errors,
        p50Ms: round(t.p50Ms),
        p95Ms: round(t.p95Ms),
        computeMs: round(t.computeMs),
      })),
    };
  }
}
