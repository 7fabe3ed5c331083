import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ExclusiveRun } from './run-exclusively';
import { UnitOfWork } from './unit-of-work';

export interface ScheduledJobOptions {
  /**
   * Of several replicas whose timers fire together, one runs the job and the others skip that
   * tick (UnitOfWork.exclusively under the job's name: an advisory lock on Postgres).
   */
  exclusive?: boolean;
}

/** A background job: run it now, or have it run on an interval. Never runs concurrently with itself. */
export interface ScheduledJob<T> {
  readonly name: string;
  /**
   * Runs the job now, or joins the run in progress (so a tick, a start-up pass and a direct call
   * never overlap). `{ ran: false }` when `exclusive` and another replica holds the job. Rejects
   * with the work's error: the interval's ticks log it, a direct caller decides.
   */
  run(): Promise<ExclusiveRun<T>>;
  /** Runs the job every `intervalMs` from now until application shutdown; 0 (or less) = off. */
  every(intervalMs: number): ScheduledJob<T>;
}

/**
 * The one way background jobs are scheduled (sunset sweep, training recovery, usage and API key
 * flushes, payload purge). Each interval is registered in @nestjs/schedule's SchedulerRegistry
 * under the job's name (`getIntervals()` lists them); a tick that comes while the previous run is
 * still going is skipped; a failure is logged with the job's name and the next tick runs again.
 *
 * Timers are unref'd: a scheduled job never is what keeps a process alive (the HTTP server and
 * the queue consumer are), and tools that boot the app exit when they are done. On shutdown, before
 * any module closes its connections, every job's timer stops and runs in progress are awaited;
 * owners that must write something last (buffered usage, API key last use) do it in their own
 * shutdown hooks, which still run after this one has stopped the ticks.
 *
 * Provided by each lib module that schedules jobs, next to its UnitOfWork; the app registers
 * ScheduleModule.forRoot() once, which makes SchedulerRegistry visible everywhere.
 */
@Injectable()
export class ScheduledJobs implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ScheduledJobs.name);
  private readonly scheduled = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly transactions: UnitOfWork,
  ) {}

  /** Defines a job without scheduling it (call `every` on it later, e.g. at bootstrap). */
  define<T>(name: string, work: () => Promise<T>, options: ScheduledJobOptions = {}): ScheduledJob<T> {
    let running: Promise<ExclusiveRun<T>> | undefined;
    const once = (): Promise<ExclusiveRun<T>> =>
      options.exclusive ? this.transactions.exclusively(name, work) : work().then((result) => ({ ran: true as const, result }));
    const job: ScheduledJob<T> = {
      name,
      run: () => {
        if (running) return running;
        const current = once().finally(() => {
          running = undefined;
          this.inFlight.delete(current);
        });
        running = current;
        this.inFlight.add(current);
        return current;
      },
      every: (intervalMs) => {
        this.schedule(job, intervalMs);
        return job;
      },
    };
    return job;
  }

  /** Defines `work` as the job `name` and runs it every `intervalMs` (0 = off). */
  every<T>(name: string, intervalMs: number, work: () => Promise<T>, options: ScheduledJobOptions = {}): ScheduledJob<T> {
    return this.define(name, work, options).every(intervalMs);
  }

  /** Names of the jobs this instance has on an interval. */
  names(): string[] {
    return [...this.scheduled];
  }

  /** Stops every interval of this instance and waits for the runs in progress. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of this.scheduled) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    }
    this.scheduled.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(job: ScheduledJob<unknown>, intervalMs: number): void {
    if (!(intervalMs > 0) || this.stopped) return;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // the previous run is still going: skip this tick
      busy = true;
      job
        .run()
        .catch((error: unknown) =>
          this.logger.error({ err: error, job: job.name, msg: `scheduled job ${job.name} failed; it runs again at the next tick` }),
        )
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    try {
      this.registry.addInterval(job.name, timer);
    } catch (error) {
      clearInterval(timer);
      throw error;
    }
    this.scheduled.add(job.name);
  }
}
