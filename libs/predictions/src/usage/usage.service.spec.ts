import { SchedulerRegistry } from '@nestjs/schedule';
import type { Logger as PinoInstance } from 'pino';
import { loadConfigSlice, MetricsRegistry, ValidationFailedError } from '@app/common';
import { servingConfig } from '../serving.config';
import { ScheduledJobs } from '@app/database';
import { aUsageRecord as event, USAGE_T0 as T0 } from '../testing/fixtures';
import { InMemoryUnitOfWork, InMemoryUsageEventsRepository } from '../testing/in-memory-repositories';
import { UsageRecorder } from './usage-recorder';
import { bucketCount, MAX_USAGE_BUCKETS, UsageService } from './usage.service';

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
    recorder = new UsageRecorder(repo, config, logger, new MetricsRegistry(), jobs, { url: undefined });
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

  describe('with an interval', () => {
    const H = 3_600_000;
    const iso = (ms: number) => new Date(ms).toISOString();

    it('totals each group per UTC hour or day, ordered by bucket then most requests; empty buckets absent', async () => {
      recorder.record(event({ at: new Date(T0 + 5 * 60_000), latencyMs: 4 }));
      recorder.record(event({ at: new Date(T0 + 59 * 60_000), latencyMs: 6, status: 500 }));
      recorder.record(event({ at: new Date(T0 + 10 * 60_000), modelName: 'wine' }));
      recorder.record(event({ at: new Date(T0 + 10 * 60_000), modelName: 'wine' }));
      recorder.record(event({ at: new Date(T0 + H) })); // the next hour, same day
      recorder.record(event({ at: new Date(T0 + 3 * H + 1) })); // two hours later: the hours between have nothing
      recorder.record(event({ at: new Date(T0 - 1), modelName: 'wine' })); // the day before
      const range = { from: new Date(T0 - H), to: new Date(T0 + 4 * H) };
      const hourly = (await usage.aggregate({ ...range, groupBy: 'model', interval: 'hour' })).items;
      expect(hourly.map((r) => [r.bucket, r.key, r.requests])).toEqual([
        [iso(T0 - H), 'wine', 1],
        [iso(T0), 'iris', 2],
        [iso(T0), 'wine', 2],
        [iso(T0 + H), 'iris', 1],
        [iso(T0 + 3 * H), 'iris', 1],
      ]);
      expect(hourly[1]).toEqual({ key: 'iris', bucket: iso(T0), requests: 2, rows: 2, errors: 1, p50Ms: 5, p95Ms: 5.9, computeMs: 2 });
      const daily = (await usage.aggregate({ ...range, groupBy: 'model', interval: 'day' })).items;
      expect(daily.map((r) => [r.bucket, r.key, r.requests])).toEqual([
        ['2030-01-09T00:00:00.000Z', 'wine', 1],
        ['2030-01-10T00:00:00.000Z', 'iris', 4],
        ['2030-01-10T00:00:00.000Z', 'wine', 2],
      ]);
    });

    it('leaves the answer without an interval as it was: no bucket, no name outside groupBy=caller', async () => {
      recorder.record(event({}));
      const [row] = (await usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1), groupBy: 'version' })).items;
      expect(Object.keys(row).sort()).toEqual(['computeMs', 'errors', 'key', 'p50Ms', 'p95Ms', 'requests', 'rows']);
    });

    it('counts the buckets a range touches, partial ones included', () => {
      expect(bucketCount(new Date(T0), new Date(T0 + H), 'hour')).toBe(1);
      expect(bucketCount(new Date(T0), new Date(T0 + H + 1), 'hour')).toBe(2);
      expect(bucketCount(new Date(T0 - 1), new Date(T0 + 1), 'hour')).toBe(2);
      expect(bucketCount(new Date(T0 + 1), new Date(T0 + 2), 'day')).toBe(1);
      expect(bucketCount(new Date(T0), new Date(T0 + 1000 * H), 'hour')).toBe(1000);
      expect(bucketCount(new Date(T0 + 1), new Date(T0 + 1000 * H), 'hour')).toBe(1000);
      expect(bucketCount(new Date(T0 - 1), new Date(T0 + 1000 * H), 'hour')).toBe(1001);
    });

    it(`refuses (422) a range of more than ${MAX_USAGE_BUCKETS} buckets before asking the database; the default range fits hourly`, async () => {
      const tooMany = usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1000 * H + 1), groupBy: 'model', interval: 'hour' });
      await expect(tooMany).rejects.toBeInstanceOf(ValidationFailedError);
      await expect(tooMany).rejects.toMatchObject({
        kind: 'unprocessable',
        message: expect.stringContaining(`at most ${MAX_USAGE_BUCKETS}`),
        errors: [{ field: 'interval', message: expect.stringContaining('1001 hours') }],
      });
      expect(repo.aggregations).toBe(0);
      await expect(
        usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1000 * H), groupBy: 'model', interval: 'hour' }),
      ).resolves.toEqual({
        items: [],
      });
      await expect(usage.aggregate({ groupBy: 'model', interval: 'hour' })).resolves.toEqual({ items: [] });
      await expect(
        usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1001 * 24 * H), groupBy: 'model', interval: 'day' }),
      ).rejects.toBeInstanceOf(ValidationFailedError);
    });
  });

  it('filters to one model', async () => {
    recorder.record(event({ version: 1 }));
    recorder.record(event({ version: 2 }));
    recorder.record(event({ modelName: 'wine' }));
    const items = (await usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1), groupBy: 'version', model: 'iris' })).items;
    expect(items.map((r) => r.key).sort()).toEqual(['iris:1', 'iris:2']);
    expect((await usage.aggregate({ from: new Date(T0), to: new Date(T0 + 1), groupBy: 'model', model: 'nope' })).items).toEqual([]);
  });

  it('names callers (groupBy=caller): anonymous for none, null for a caller that no longer exists; one lookup per report', async () => {
    repo.callerNames.set('u-1', 'ana@example.com');
    repo.callerNames.set('k-1', 'batch-scorer');
    recorder.record(event({ callerId: 'u-1', callerKind: 'user' }));
    recorder.record(event({ callerId: 'k-1' }));
    recorder.record(event({ callerId: 'k-1' }));
    recorder.record(event({ callerId: null, callerKind: null }));
    recorder.record(event({ callerId: 'gone' }));
    const range = { from: new Date(T0), to: new Date(T0 + 1) };
    const before = repo.aggregations;
    const items = (await usage.aggregate({ ...range, groupBy: 'caller' })).items;
    expect(repo.aggregations - before).toBe(1);
    expect(items.map((r) => [r.key, r.name, r.requests])).toEqual([
      ['k-1', 'batch-scorer', 2],
      ['anonymous', 'anonymous', 1],
      ['gone', null, 1],
      ['u-1', 'ana@example.com', 1],
    ]);
    const hourly = (await usage.aggregate({ ...range, groupBy: 'caller', interval: 'hour' })).items;
    expect(hourly[0]).toEqual(expect.objectContaining({ key: 'k-1', name: 'batch-scorer', bucket: new Date(T0).toISOString() }));
  });
});
