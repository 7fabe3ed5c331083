import type { BeforeApplicationShutdown, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import type { DatabaseConfig } from '../database.config';
import type { ScheduledJobs } from '../scheduled-jobs';
import { backgroundWrites, WriteBehindBuffer, type WriteBehindOptions } from './write-behind-buffer';

export interface WriteBehindRecorderOptions<T>
  extends Pick<WriteBehindOptions<T>, 'write' | 'maxBuffered' | 'weigh' | 'onWritten' | 'onDropped'> {
  /** What is recorded, for the logs ("usage events"). */
  what: string;
  /** The scheduled job that flushes every `intervalMs`. */
  job: string;
  intervalMs: number;
  /** Rows per write as configured (capped on the embedded database, see backgroundWrites). */
  maxBatch: number;
  database: Pick<DatabaseConfig, 'url'>;
}

/**
 * The lifecycle every write-behind ledger needs, in one place: a periodic flush as a scheduled job,
 * a flush before any module closes its connections, a last one for what arrived meanwhile, and an
 * error naming what could not be written. Subclasses add the typed `record` their callers use.
 */
export abstract class WriteBehindRecorder<T> implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly buffer: WriteBehindBuffer<T>;
  /** Items per write: as configured, capped on the embedded database. */
  protected readonly maxBatch: number;
  /** Weight per write (unbounded on Postgres). */
  protected readonly maxBatchWeight: number;

  protected constructor(
    private readonly jobs: ScheduledJobs,
    private readonly logger: Pick<PinoInstance, 'warn' | 'error'>,
    private readonly options: WriteBehindRecorderOptions<T>,
  ) {
    const writes = backgroundWrites(options.database, options.maxBatch);
    this.maxBatch = writes.maxBatch;
    this.maxBatchWeight = writes.maxBatchWeight;
    this.buffer = new WriteBehindBuffer<T>({
      write: options.write,
      ...writes,
      maxBuffered: options.maxBuffered,
      weigh: options.weigh,
      onWritten: options.onWritten,
      onDropped: options.onDropped,
      onFailed: (error, pending) => this.logger.warn({ err: error, pending }, `${options.what} not written yet; will retry`),
    });
  }

  /** The weight of the items not written yet (their number, unless `weigh` says otherwise). */
  get pending(): number {
    return this.buffer.pending;
  }

  onApplicationBootstrap(): void {
    this.jobs.every(this.options.job, this.options.intervalMs, () => this.flush());
  }

  /** Writes everything buffered so far; concurrent callers share the write in progress. */
  flush(): Promise<void> {
    return this.buffer.flush();
  }

  /** Before any module closes its connections: the database is certainly still open (ScheduledJobs stops the ticks). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    // Anything recorded after the first flush (a request that finished while the server closed).
    await this.flush();
    if (this.buffer.pending > 0)
      this.logger.error({ lost: this.buffer.pending }, `${this.options.what} could not be written before shutdown`);
  }

  /** False when the buffer is full (the item is dropped, and onDropped told). */
  protected push(item: T): boolean {
    return this.buffer.push(item);
  }
}
