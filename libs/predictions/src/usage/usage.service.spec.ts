import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger as PinoInstance } from 'pino';
import { loadConfigSlice, MetricsRegistry, ValidationFailedError } from '@app/common';
import { servingConfig } from '../serving.config';
import { ScheduledJobs } from '@app/database';
import { InMemoryUnitOfWork, InMemoryUsageEventsRepository } from '../testing/in-memory-repositories';
import type { UsageRecord } from './usage-events.repository';
import { UsageRecorder } from './usage-recorder';
import { UsageService } from './usage.service';

const T0 = Date.parse('2030-01-10T00:00:00.000Z');

function event(changes: Partial<UsageRecord>): UsageRecord {
  return {
    at: new Date(T0),
    modelName: 'iris',
    version: 1,
    callerId: 'k-1',
    callerKind: 'api-key',
    api: 'v1',
    status: 200,
    rows: 1,
    latencyMs: 10,
    computeMs: 1,
    ...changes,
  };
}

describe('UsageService (over an in-memory ledger)', () => {
  let repo: InMemoryUsageEventsRepository;
  let recorder: UsageRecorder;
  let usage: UsageService;

  beforeEach(() => {
    repo = new InMemoryUsageEventsRepository();
    const config = loadConfigSlice(servingConfig, {
      USAGE_FLUSH_INTERVAL_MS: '60000',
      USAGE_FLUSH_MAX_BATCH: '100',
      USAGE_BUFFER_MAX_EVENTS: '1000',
    });
    const jobs = new ScheduledJobs(new SchedulerRegistry(), new InMemoryUnitOfWork());
    const logger = { warn: jest.fn(), error: jest.fn() } as unknown as PinoInstance;
    recorder = new UsageRecorder(repo, config, logger, new MetricsRegistry(), jobs);
    usage = new UsageService(repo, recorder);
  });
  afterEach(() => recorder.beforeApplicationShutdown());

  it('refuses a range whose start is not before its end', async () => {
    const at = new Date(T0);
    await expect(usage.aggregate({ from: at, to: at, groupBy: 'model' })).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(usage.aggregate({ from: new Date(T0 + 1), to: at, groupBy: 'model' })).rejects.toBeInstanceOf(ValidationFailedError);
  });

  it('includes this replica’s buffered events, groups, orders by requests, and rounds ms to two decimals', async () => {
    recorder.record(event({ latencyMs: 1.004 }));
    recorder.record(event({ latencyMs: 2.006, status: 500, rows: 3, computeMs: 0.3333 }));
    recorder.record(event({ latencyMs: 3, version: null, callerId: null }));
    recorder.record(event({ modelName: 'wine', latencyMs: 7 }));
    const range = { from: new Date(T0 - 1000), to: new Date(T0 + 1000) };
    expect((await usage.aggregate({ ...range, groupBy: 'model' })).items).toEqual([
      { key: 'iris', requests: 3, rows: 5, errors: 1, p50Ms: 2.01, p95Ms: 2.9, computeMs: 2.33 },
      { key: 'wine', requests: 1, rows: 1, errors: 0, p50Ms: 7, p95Ms: 7, computeMs: 1 },
    ]);
    expect((await usage.aggregate({ ...range, groupBy: 'version' })).items.map((r) => [r.key, r.requests])).toEqual([
      ['iris:1', 2],
      ['iris:-', 1],
      ['wine:1', 1],
    ]);
    expect((await usage.aggregate({ ...range, groupBy: 'caller' })).items.map((r) => [r.key, r.requests])).toEqual([
      ['k-1', 3],
      ['anonymous', 1],
    ]);
  });

  it('counts `from` in and `to` out; without a range, the last 30 days up to now', async () => {
    const now = Date.now();
    recorder.record(event({ at: new Date(T0) }));
    recorder.record(event({ at: new Date(T0 + 1000) }));
    recorder.record(event({ at: new Date(now - 29 * 86_400_000), modelName: 'recent' }));
    recorder.record(event({ at: new Date(now - 31 * 86_400_000), modelName: 'old' }));
    const items = (await usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1000), groupBy: 'model' })).items;
    expect(items).toEqual([expect.objectContaining({ key: 'iris', requests: 1 })]);
    expect((await usage.aggregate({ groupBy: 'model' })).items.map((r) => r.key)).toEqual(['recent']);
  });
});
