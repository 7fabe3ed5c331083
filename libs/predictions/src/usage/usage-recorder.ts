import { Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { Counter } from 'prom-client';
import { InjectConfig, MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { databaseConfig, type DatabaseConfig, ScheduledJobs, WriteBehindRecorder } from '@app/database';
import { servingConfig, type ServingConfig } from '../serving.config';
import { UsageEventsRepository, UsageRecord } from './usage-events.repository';

export type { UsageRecord } from './usage-events.repository';

/**
 * Keeps the usage ledger off the request path: events are buffered in memory and inserted in one
 * statement per batch (at most 100 rows, with the event loop let run between them, on the embedded
 * database). A failed write puts the batch back (bounded), so a database blip delays events instead
 * of losing them; shutdown flushes what is left. The periodic flush is the scheduled job
 * `predictions.flush-usage-events` (every USAGE_FLUSH_INTERVAL_MS).
 */
@Injectable()
export class UsageRecorder extends WriteBehindRecorder<UsageRecord> {
  constructor(
    events: UsageEventsRepository,
    @InjectConfig(servingConfig) config: ServingConfig,
    @Inject(ROOT_LOGGER) logger: PinoInstance,
    registry: MetricsRegistry,
    jobs: ScheduledJobs,
    @InjectConfig(databaseConfig) database: Pick<DatabaseConfig, 'url'>,
  ) {
    const written = new Counter({ name: 'usage_events_written_total', help: 'Usage events persisted', registers: [registry] });
    const dropped = new Counter({
      name: 'usage_events_dropped_total',
      help: 'Usage events dropped because the buffer was full while the database was unreachable',
      registers: [registry],
    });
    super(jobs, logger, {
      what: 'usage events',
      job: 'predictions.flush-usage-events',
      intervalMs: config.usageFlushIntervalMs,
      maxBatch: config.usageFlushMaxBatch,
      maxBuffered: config.usageBufferMaxEvents,
      database,
      write: (batch) => events.insertBatch(batch),
      onWritten: (n) => written.inc(n),
      onDropped: () => dropped.inc(),
    });
  }

  record(event: UsageRecord): void {
    this.push(event);
  }
}
