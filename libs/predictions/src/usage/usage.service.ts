import { Injectable } from '@nestjs/common';
import { ValidationFailedError } from '@app/common';
import { UsageEventsRepository, UsageGroupBy, UsageTotals } from './usage-events.repository';
import { UsageRecorder } from './usage-recorder';

export type { UsageGroupBy } from './usage-events.repository';

/** One group of usage as the API answers it (percentiles rounded). */
export type UsageRow = UsageTotals;

const DEFAULT_RANGE_MS = 30 * 86_400_000;

@Injectable()
export class UsageService {
  constructor(
    private readonly events: UsageEventsRepository,
    private readonly recorder: UsageRecorder,
  ) {}

  /** Aggregates the ledger for cost analysis (the last 30 days unless told otherwise); ms to two decimals. */
  async aggregate(query: { from?: Date; to?: Date; groupBy: UsageGroupBy }): Promise<{ items: UsageRow[] }> {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_MS);
    if (from >= to) throw new ValidationFailedError([{ field: 'from', message: 'from must be before to' }]);
    // This replica's buffered events are part of the answer.
    await this.recorder.flush();
    const round = (v: number) => Math.round(v * 100) / 100;
    const totals = await this.events.aggregate({ from, to }, query.groupBy);
    return {
      items: totals.map((t) => ({ ...t, p50Ms: round(t.p50Ms), p95Ms: round(t.p95Ms), computeMs: round(t.computeMs) })),
    };
  }
}
