import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger as PinoInstance } from 'pino';
import { MetricsRegistry } from '@app/common';
import type { ServingConfig } from '../serving.config';
import { ScheduledJobs } from '@app/database';
import { InMemoryUnitOfWork, InMemoryUsageEventsRepository } from '../testing/in-memory-repositories';
import type { UsageRecord } from './usage-events.repository';
import { UsageRecorder } from './usage-recorder';

function event(i: number, changes: Partial<UsageRecord> = {}): UsageRecord {
  return {
    at: new Date(Date.parse('2030-01-01T00:00:00.000Z') + i * 1000),
    modelName: 'iris',
    version: 1,
    callerId: `k-${i}`,
    callerKind: 'api-key',
    api: 'v1',
    status: 200,
    rows: 1,
    latencyMs: i,
    computeMs: 0.5,
    ...changes,
  };
}

function setup(serving: { usageFlushMaxBatch?: number; usageBufferMaxEvents?: number } = {}) {
  const repo = new InMemoryUsageEventsRepository();
  const registry = new MetricsRegistry();
  const logger = { warn: jest.fn(), error: jest.fn() };
  const config = { usageFlushIntervalMs: 3_600_000, usageFlushMaxBatch: 100, usageBufferMaxEvents: 1000, ...serving } as ServingConfig;
  const jobs = new ScheduledJobs(new SchedulerRegistry(), new InMemoryUnitOfWork());
  const recorder = new UsageRecorder(repo, config, logger as unknown as PinoInstance, registry, jobs, { url: undefined });
  const counter = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  return { repo, recorder, logger, counter };
}

describe('UsageRecorder (over an in-memory ledger)', () => {
  const recorders: UsageRecorder[] = [];
  const make = (...args: Parameters<typeof setup>) => {
    const s = setup(...args);
    recorders.push(s.recorder);
    return s;
  };
  afterEach(async () => {
    for (const r of recorders.splice(0)) await r.beforeApplicationShutdown().catch(() => undefined);
  });

  it('buffers events off the request path and writes them on flush, in batches of at most usageFlushMaxBatch', async () => {
    const { repo, recorder, counter } = make({ usageFlushMaxBatch: 4 });
    for (let i = 0; i < 3; i++) recorder.record(event(i));
    expect(repo.attempts).toBe(0);
    for (let i = 3; i < 10; i++) recorder.record(event(i)); // the 4th event fills a batch: a flush starts
    await recorder.flush();
    expect(repo.rows.map((r) => r.latencyMs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(repo.batches.every((n) => n <= 4)).toBe(true);
    expect(await counter('modelgate_usage_events_written_total')).toBe(10);
  });

  it('concurrent flushes share the write in progress: nothing is written twice', async () => {
    const { repo, recorder } = make();
    let open!: () => void;
    repo.gate = new Promise<void>((r) => (open = r));
    for (let i = 0; i < 5; i++) recorder.record(event(i));
    const first = recorder.flush();
    const second = recorder.flush();
    open();
    await Promise.all([first, second]);
    expect(repo.rows).toHaveLength(5);
    expect(repo.batches).toEqual([5]);
  });

  it('puts a failed batch back, in order, and writes it on a later flush: nothing is lost', async () => {
    const { repo, recorder, logger, counter } = make({ usageFlushMaxBatch: 3 });
    for (let i = 0; i < 2; i++) recorder.record(event(i));
    repo.failNext(2);
    await recorder.flush();
    expect(repo.rows).toHaveLength(0);
    expect(logger.warn).toHaveBeenCalledWith(expect.objectContaining({ pending: 2 }), expect.stringContaining('will retry'));
    for (let i = 2; i < 5; i++) recorder.record(event(i)); // three open rows fill a batch: a flush starts, and fails again
    await new Promise((r) => setImmediate(r));
    expect(repo.attempts).toBe(2);
    expect(repo.rows).toHaveLength(0);
    recorder.record(event(5));
    await recorder.flush(); // the database is back
    expect(repo.rows.map((r) => r.latencyMs)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await counter('modelgate_usage_events_written_total')).toBe(6);
    expect(await counter('modelgate_usage_events_dropped_total')).toBe(0);
  });

  it('counts events as dropped once the buffer is full (the database unreachable), and keeps the rest', async () => {
    const { repo, recorder, counter } = make({ usageFlushMaxBatch: 100, usageBufferMaxEvents: 5 });
    repo.failNext(1);
    for (let i = 0; i < 5; i++) recorder.record(event(i));
    await recorder.flush(); // fails: all five go back
    for (let i = 5; i < 8; i++) recorder.record(event(i)); // the buffer is full: dropped
    expect(await counter('modelgate_usage_events_dropped_total')).toBe(3);
    await recorder.flush();
    expect(repo.rows.map((r) => r.latencyMs)).toEqual([0, 1, 2, 3, 4]);
    recorder.record(event(8)); // room again
    await recorder.flush();
    expect(repo.rows).toHaveLength(6);
    expect(await counter('modelgate_usage_events_dropped_total')).toBe(3);
  });

  it('flushes on shutdown, and reports what could not be written', async () => {
    const { repo, recorder, logger } = make();
    recorder.record(event(0));
    await recorder.beforeApplicationShutdown();
    expect(repo.rows).toHaveLength(1);
    recorder.record(event(1));
    repo.failNext(1);
    await recorder.onApplicationShutdown();
    expect(logger.error).toHaveBeenCalledWith({ lost: 1 }, expect.any(String));
  });

  it('folds the requests of one second and caller into one row, and counts (and bounds) requests, not rows', async () => {
    const { repo, recorder, counter } = make({ usageFlushMaxBatch: 100, usageBufferMaxEvents: 250 });
    // A busy second: 200 requests of one caller, 50 of another.
    for (let i = 0; i < 250; i++)
      recorder.record(
        event(0, { at: new Date(Date.parse('2030-01-01T00:00:00.000Z') + (i % 1000)), callerId: i < 200 ? 'k-a' : 'k-b', latencyMs: i }),
      );
    recorder.record(event(1)); // the bound is 250 requests, however few rows hold them
    expect(await counter('modelgate_usage_events_dropped_total')).toBe(1);
    await recorder.flush();
    expect(repo.batches).toEqual([2]);
    expect(repo.rows.map((r) => [r.callerId, r.requests, r.latenciesMs?.length, r.latencyMs])).toEqual([
      ['k-a', 200, 200, 199],
      ['k-b', 50, 50, 249],
    ]);
    expect(await counter('modelgate_usage_events_written_total')).toBe(250);
    const [totals] = await repo.aggregate({ from: new Date(0), to: new Date(Date.parse('2031-01-01T00:00:00.000Z')) }, 'model');
    expect(totals).toMatchObject({ requests: 250, rows: 250, p50Ms: 124.5 });
  });
});
