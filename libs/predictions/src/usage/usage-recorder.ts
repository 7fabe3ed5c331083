import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { Counter } from 'prom-client';
import { InjectConfig, MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { backgroundWrites, databaseConfig, type DatabaseConfig, ScheduledJobs, WriteBehindBuffer } from '@app/database';
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
export class UsageRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly buffer: WriteBehindBuffer<UsageRecord>;

  constructor(
    events: UsageEventsRepository,
    @InjectConfig(servingConfig) private readonly config: ServingConfig,
    @Inject(ROOT_LOGGER) private readonly logger: PinoInstance,
    registry: MetricsRegistry,
    private readonly jobs: ScheduledJobs,
    @InjectConfig(databaseConfig) database: Pick<DatabaseConfig, 'url'>,
  ) {
    const written = new Counter({ name: 'usage_events_written_total', help: 'Usage events persisted', registers: [registry] });
    const dropped = new Counter({
      name: 'usage_events_dropped_total',
      help: 'Usage events dropped because the buffer was full while the database was unreachable',
      registers: [registry],
    });
    this.buffer = new WriteBehindBuffer<UsageRecord>({
      write: (batch) => events.insertBatch(batch),
      ...backgroundWrites(database, config.usageFlushMaxBatch),
      maxBuffered: config.usageBufferMaxEvents,
      onWritten: (n) => written.inc(n),
      onDropped: () => dropped.inc(),
      onFailed: (error, pending) => this.logger.warn({ err: error, pending }, 'usage events not written yet; will retry'),
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.every('predictions.flush-usage-events', this.config.usageFlushIntervalMs, () => this.flush());
  }

  record(event: UsageRecord): void {
    this.buffer.push(event);
  }

  /** Writes everything buffered so far; concurrent callers share the write in progress. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  /** Before any module closes its connections: the database is certainly still open here (ScheduledJobs stops the ticks). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    // Anything recorded after the first flush (a request that finished while the server closed).
    await this.flush();
    if (this.buffer.pending > 0) this.logger.error({ lost: this.buffer.pending }, 'usage events could not be written before shutdown');
  }
}
