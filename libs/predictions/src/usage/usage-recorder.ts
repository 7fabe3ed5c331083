import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Logger as PinoInstance } from 'pino';
import { Counter } from 'prom-client';
import { Repository } from 'typeorm';
import { AppConfig, InjectConfig, MetricsRegistry, ROOT_LOGGER } from '@app/common';
import { UsageEventEntity } from '../entities/usage-event.entity';

export type UsageRecord = Omit<UsageEventEntity, 'id'>;

/**
 * Keeps the usage ledger off the request path: events are buffered in memory and inserted in one
 * statement per batch. A failed write puts the batch back (bounded), so a database blip delays
 * events instead of losing them; shutdown flushes what is left.
 */
@Injectable()
export class UsageRecorder implements BeforeApplicationShutdown, OnApplicationShutdown {
  private buffer: UsageRecord[] = [];
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly dropped: Counter;
  private readonly written: Counter;

  constructor(
    @InjectRepository(UsageEventEntity) private readonly events: Repository<UsageEventEntity>,
    @InjectConfig() private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly logger: PinoInstance,
    registry: MetricsRegistry,
  ) {
    this.timer = setInterval(() => void this.flush(), config.serving.usageFlushIntervalMs);
    this.timer.unref();
    this.written = new Counter({ name: 'usage_events_written_total', help: 'Usage events persisted', registers: [registry] });
    this.dropped = new Counter({
      name: 'usage_events_dropped_total',
      help: 'Usage events dropped because the buffer was full while the database was unreachable',
      registers: [registry],
    });
  }

  record(event: UsageRecord): void {
    if (this.buffer.length >= this.config.serving.usageBufferMaxEvents) {
      this.dropped.inc();
      return;
    }
    this.buffer.push(event);
    if (this.buffer.length >= this.config.serving.usageFlushMaxBatch) void this.flush();
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
      const batch = this.buffer.splice(0, this.config.serving.usageFlushMaxBatch);
      try {
        await this.insert(batch);
        this.written.inc(batch.length);
      } catch (error) {
        this.buffer.unshift(...batch);
        this.logger.warn({ err: error, pending: this.buffer.length }, 'usage events not written yet; will retry');
        return;
      }
    }
  }

  /**
   * One statement per batch with one array parameter per column: the statement text and parameter
   * count stay the same whatever the batch size (cheap to build, plan-cacheable).
   */
  private async insert(batch: UsageRecord[]): Promise<void> {
    const col = <K extends keyof UsageRecord>(k: K) => batch.map((e) => e[k]);
    await this.events.query(
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

  /** Before any module closes its connections: the database is certainly still open here. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    // Anything recorded after the first flush (a request that finished while the server closed).
    await this.flush();
    if (this.buffer.length > 0) this.logger.error({ lost: this.buffer.length }, 'usage events could not be written before shutdown');
  }
}
