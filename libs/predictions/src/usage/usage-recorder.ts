import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { Counter } from 'prom-client';
import { InjectConfig, MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { servingConfig, type ServingConfig } from '../serving.config';
import { ScheduledJobs } from '@app/database';
import { UsageEventsRepository, UsageRecord } from './usage-events.repository';

export type { UsageRecord } from './usage-events.repository';

/**
 * Keeps the usage ledger off the request path: events are buffered in memory and inserted in one
 * statement per batch. A failed write puts the batch back (bounded), so a database blip delays
 * events instead of losing them; shutdown flushes what is left. The periodic flush is the scheduled
 * job `predictions.flush-usage-events` (every USAGE_FLUSH_INTERVAL_MS).
 */
@Injectable()
export class UsageRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private buffer: UsageRecord[] = [];
  private flushing: Promise<void> | undefined;
  private readonly dropped: Counter;
  private readonly written: Counter;

  constructor(
    private readonly events: UsageEventsRepository,
    @InjectConfig(servingConfig) private readonly config: ServingConfig,
    @Inject(ROOT_LOGGER) private readonly logger: PinoInstance,
    registry: MetricsRegistry,
    private readonly jobs: ScheduledJobs,
  ) {
    this.written = new Counter({ name: 'usage_events_written_total', help: 'Usage events persisted', registers: [registry] });
    this.dropped = new Counter({
      name: 'usage_events_dropped_total',
      help: 'Usage events dropped because the buffer was full while the database was unreachable',
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    this.jobs.every('predictions.flush-usage-events', this.config.usageFlushIntervalMs, () => this.flush());
  }

  record(event: UsageRecord): void {
    if (this.buffer.length >= this.config.usageBufferMaxEvents) {
      this.dropped.inc();
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length >= this.config.usageFlushMaxBatch) void this.flush();
  }

  /** Writes everything buffered so far; concurrent callers share the write in progress. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    this.flushing = this.writeBuffered().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, this.config.usageFlushMaxBatch);
      try {
        await this.events.insertBatch(batch);
        this.written.inc(batch.length);
      } catch (error) {
        this.buffer.unshift(...batch);
        this.logger.warn({ err: error, pending: this.buffer.length }, 'usage events not written yet; will retry');
        return;
      }
    }
  }

  /** Before any module closes its connections: the database is certainly still open here (ScheduledJobs stops the ticks). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    // Anything recorded after the first flush (a request that finished while the server closed).
    await this.flush();
    if (this.buffer.length > 0) this.logger.error({ lost: this.buffer.length }, 'usage events could not be written before shutdown');
  }
}
