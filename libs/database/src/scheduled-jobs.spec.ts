import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ExclusiveRun } from './run-exclusively';
import { ScheduledJobs } from './scheduled-jobs';
import { Transaction, UnitOfWork } from './unit-of-work';

/** Exclusivity as one process sees it: a job name held by "another replica" is skipped. */
class FakeUnitOfWork extends UnitOfWork {
  readonly held = new Set<string>();
  readonly exclusiveJobs: string[] = [];

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return work({} as Transaction);
  }

  async exclusively<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    this.exclusiveJobs.push(job);
    if (this.held.has(job)) return { ran: false };
    return { ran: true, result: await work() };
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ScheduledJobs (fake timers, no server)', () => {
  let registry: SchedulerRegistry;
  let uow: FakeUnitOfWork;
  let jobs: ScheduledJobs;
  let errors: jest.SpyInstance;

  beforeEach(() => {
    jest.useFakeTimers();
    registry = new SchedulerRegistry();
    uow = new FakeUnitOfWork();
    jobs = new ScheduledJobs(registry, uow);
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await jobs.beforeApplicationShutdown();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('registers the interval in SchedulerRegistry under its name and runs the work at every tick', async () => {
    const work = jest.fn(async () => 'done');
    jobs.every('test.tick', 1_000, work);
    expect(registry.getIntervals()).toEqual(['test.tick']);
    expect(jobs.names()).toEqual(['test.tick']);

    expect(work).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(3_000);
    expect(work).toHaveBeenCalledTimes(3);
    expect(uow.exclusiveJobs).toEqual([]); // not exclusive unless asked
  });

  it('refuses a second job of the same name', () => {
    jobs.every('test.same', 1_000, async () => undefined);
    expect(() => jobs.every('test.same', 1_000, async () => undefined)).toThrow(/test\.same/);
  });

  it('never overlaps a run with itself: a tick during a run is skipped', async () => {
    let gate = deferred();
    const work = jest.fn(() => gate.promise);
    jobs.every('test.slow', 1_000, work);

    await jest.advanceTimersByTimeAsync(5_000);
    expect(work).toHaveBeenCalledTimes(1);

    gate.resolve();
    gate = deferred();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(work).toHaveBeenCalledTimes(2);
    gate.resolve();
  });

  it('joins a run in progress when run() is called directly', async () => {
    const gate = deferred();
    let calls = 0;
    const job = jobs.define('test.direct', async () => {
      calls++;
      await gate.promise;
      return calls;
    });
    const first = job.run();
    const second = job.run();
    expect(second).toBe(first);
    gate.resolve();
    expect(await first).toEqual({ ran: true, result: 1 });
    expect(await job.run()).toEqual({ ran: true, result: 2 });
  });

  it('runs an exclusive job through UnitOfWork.exclusively and skips the tick while another replica holds it', async () => {
    const work = jest.fn(async () => undefined);
    const job = jobs.every('test.exclusive', 1_000, work, { exclusive: true });

    uow.held.add('test.exclusive');
    await jest.advanceTimersByTimeAsync(2_000);
    expect(work).not.toHaveBeenCalled();
    expect(uow.exclusiveJobs).toEqual(['test.exclusive', 'test.exclusive']);
    expect(await job.run()).toEqual({ ran: false });

    uow.held.delete('test.exclusive');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(work).toHaveBeenCalledTimes(1);
    expect(errors).not.toHaveBeenCalled();
  });

  it('does nothing when the interval is 0 (the settings where 0 turns a job off)', async () => {
    const work = jest.fn(async () => undefined);
    const job = jobs.every('test.off', 0, work);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(work).not.toHaveBeenCalled();
    expect(registry.getIntervals()).toEqual([]);
    // Still runnable on demand (tests and operators drive such jobs by hand).
    expect(await job.run()).toEqual({ ran: true, result: undefined });
  });

  it('stops every job on shutdown, after the run in progress finishes', async () => {
    const gate = deferred();
    const work = jest.fn(() => gate.promise);
    jobs.every('test.a', 1_000, work);
    jobs.every('test.b', 5_000, async () => undefined);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(work).toHaveBeenCalledTimes(1);

    let stopped = false;
    const stopping = jobs.beforeApplicationShutdown().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(registry.getIntervals()).toEqual([]);
    expect(stopped).toBe(false); // waits for the run in progress
    gate.resolve();
    await stopping;

    await jest.advanceTimersByTimeAsync(10_000);
    expect(work).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);

    jobs.every('test.late', 1_000, work); // nothing is scheduled after shutdown
    expect(registry.getIntervals()).toEqual([]);
  });

  it('logs a failure with the job name and runs again at the next tick', async () => {
    const work = jest.fn().mockRejectedValueOnce(new Error('database went away')).mockResolvedValue(undefined);
    jobs.every('test.flaky', 1_000, work);

    await jest.advanceTimersByTimeAsync(1_000);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toMatchObject({ job: 'test.flaky', err: expect.objectContaining({ message: 'database went away' }) });

    await jest.advanceTimersByTimeAsync(1_000);
    expect(work).toHaveBeenCalledTimes(2);
    expect(errors).toHaveBeenCalledTimes(1);
  });

  it('unrefs its timers: a scheduled job never keeps the process alive', () => {
    jest.useRealTimers();
    jobs.every('test.unref', 60_000, async () => undefined);
    expect((registry.getInterval('test.unref') as NodeJS.Timeout).hasRef()).toBe(false);
  });
});
