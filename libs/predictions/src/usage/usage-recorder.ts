import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { Counter } from 'prom-client';
import { InjectConfig, MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { databaseConfig, type DatabaseConfig, ScheduledJobs, WriteBehindRecorder } from '@app/database';
import { servingConfig, type ServingConfig } from '../serving.config';
import { UsageEventsRepository, UsageRecord, UsageRow } from './usage-events.repository';
import { UsageRollup } from './usage-rollup';

export type { UsageRecord } from './usage-events.repository';

/**
 * Keeps the usage ledger off the request path: requests are folded in memory (UsageRollup: one row
 * per second and caller, not per request) and the rows inserted in one statement per batch (at
 * most 100 rows, with the event loop let run between them, on the embedded database). A failed
 * write puts the batch back (bounded by USAGE_BUFFER_MAX_EVENTS requests), so a database blip
 * delays events instead of losing them; shutdown flushes what is left. The periodic flush is the
 * scheduled job `predictions.flush-usage-events` (every USAGE_FLUSH_INTERVAL_MS).
 */
@Injectable()
export class UsageRecorder extends WriteBehindRecorder<UsageRow> {
  private readonly open: UsageRollup;
  private readonly maxEvents: number;
  private readonly dropped: Counter;

  constructor(
    events: UsageEventsRepository,
    @InjectConfig(servingConfig) config: ServingConfig,
    @Inject(ROOT_LOGGER) logger: PinoInstance,
    registry: MetricsRegistry,
    jobs: ScheduledJobs,
    @InjectConfig(databaseConfig) database: Pick<DatabaseConfig, 'url'>,
  ) {
    const written = new Counter({ name: 'modelgate_usage_events_written_total', help: 'Usage events persisted', registers: [registry] });
    const dropped = new Counter({
      name: 'modelgate_usage_events_dropped_total',
      help: 'Usage events dropped because the buffer was full while the database was unreachable',
      registers: [registry],
    });
    super(jobs, logger, {
      weigh: (row) => row.requests ?? 1,
      what: 'usage events',
      job: 'predictions.flush-usage-events',
      intervalMs: config.usageFlushIntervalMs,
      maxBatch: config.usageFlushMaxBatch,
      maxBuffered: config.usageBufferMaxEvents,
      database,
      write: (batch) => events.insertBatch(batch),
      onWritten: (n) => written.inc(n),
      onDropped: (row) => dropped.inc(row.requests ?? 1),
    });
    this.dropped = dropped;
    this.open = new UsageRollup(this.maxBatchWeight);
    this.maxEvents = config.usageBufferMaxEvents;
  }

  record(event: UsageRecord): void {
    if (this.pending + this.open.events >= this.maxEvents) {
      this.dropped.inc();
      return;
    }
    this.open.add(event);
    if (this.open.size >= this.maxBatch) this.close();
  }

  /** Writes everything recorded so far (open rows included); concurrent callers share the write in progress. */
  override flush(): Promise<void> {
    this.close();
    return super.flush();
  }

  private close(): void {
    for (const row of this.open.drain()) this.push(row);
  }
}
