// The console's tsconfig has no Jest globals: they are imported.
import { describe, expect, it } from '@jest/globals';
import { chartData, csvFileName, groupLabel, readView, resolveRange, toCsv, type UsageItem, type UsageView, writeView } from './usage-data';

const NOW = Date.parse('2025-03-10T14:25:00Z');
const view = (patch: Partial<UsageView> = {}): UsageView => ({ ...readView(new URLSearchParams()), ...patch });
const item = (key: string, bucket: string, requests: number, extra: Partial<UsageItem> = {}): UsageItem => ({
  key,
  bucket,
  requests,
  rows: requests * 2,
  errors: 0,
  p50Ms: 5,
  p95Ms: 10,
  computeMs: requests,
  ...extra,
});

describe('the usage view', () => {
  it('round-trips through the URL and ignores what it does not know', () => {
    const v = view({
      range: 'custom',
      fromDate: '2025-01-01',
      toDate: '2025-01-31',
      interval: 'hour',
      groupBy: 'caller',
      model: 'iris',
      metric: 'p95Ms',
    });
    expect(readView(writeView(v))).toEqual(v);
    expect(readView(new URLSearchParams('range=1y&groupBy=planet&metric=joy&interval=week'))).toEqual(view());
  });

  it('ends a preset with the current bucket and picks hourly up to 3 days, daily beyond', () => {
    expect(resolveRange(view({ range: '24h' }), NOW)).toEqual({
      ok: true,
      from: new Date('2025-03-09T15:00:00Z'),
      to: new Date('2025-03-10T15:00:00Z'),
      interval: 'hour',
      buckets: 24,
    });
    expect(resolveRange(view({ range: '7d' }), NOW)).toMatchObject({
      from: new Date('2025-03-04T00:00:00Z'),
      to: new Date('2025-03-11T00:00:00Z'),
      interval: 'day',
      buckets: 7,
    });
    expect(resolveRange(view({ range: '7d', interval: 'hour' }), NOW)).toMatchObject({ interval: 'hour', buckets: 168 });
  });

  it('reads a custom range as whole UTC days, both included', () => {
    expect(resolveRange(view({ range: 'custom', fromDate: '2025-01-01', toDate: '2025-01-03' }), NOW)).toEqual({
      ok: true,
      from: new Date('2025-01-01T00:00:00Z'),
      to: new Date('2025-01-04T00:00:00Z'),
      interval: 'hour',
      buckets: 72,
    });
    expect(resolveRange(view({ range: 'custom', fromDate: '2025-01-01', toDate: '2025-01-04' }), NOW)).toMatchObject({
      interval: 'day',
      buckets: 4,
    });
  });

  it('refuses, before asking, what the API would refuse', () => {
    expect(resolveRange(view({ range: 'custom', fromDate: '', toDate: '2025-01-01' }), NOW)).toMatchObject({ ok: false, field: 'from' });
    expect(resolveRange(view({ range: 'custom', fromDate: '2025-02-30', toDate: '2025-03-01' }), NOW)).toMatchObject({
      ok: false,
      field: 'from',
    });
    expect(resolveRange(view({ range: 'custom', fromDate: '2025-02-02', toDate: '2025-02-01' }), NOW)).toMatchObject({
      ok: false,
      field: 'to',
    });
    const hourly = resolveRange(view({ range: 'custom', fromDate: '2024-01-01', toDate: '2024-12-31', interval: 'hour' }), NOW);
    expect(hourly).toMatchObject({ ok: false, field: 'interval', message: expect.stringContaining('8,784 hourly buckets') });
    expect(resolveRange(view({ range: 'custom', fromDate: '2024-01-01', toDate: '2024-12-31' }), NOW)).toMatchObject({
      ok: true,
      buckets: 366,
    });
    expect(resolveRange(view({ range: 'custom', fromDate: '2020-01-01', toDate: '2024-12-31' }), NOW)).toMatchObject({
      ok: false,
      field: 'interval',
    });
  });
});

describe('the chart data', () => {
  const range = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-01T04:00:00Z'), interval: 'hour' as const };

  it('fills empty buckets with zeros (latency with gaps) and names callers', () => {
    const items = [
      item('u1', '2025-01-01T00:00:00.000Z', 3, { name: 'ada@example.com', p95Ms: 12 }),
      item('k1', '2025-01-01T02:00:00.000Z', 1, { name: 'nightly-batch', p95Ms: 30 }),
      item('u1', '2025-01-01T02:00:00.000Z', 2, { name: 'ada@example.com', p95Ms: 8 }),
    ];
    const requests = chartData(items, range, 'caller', 'requests');
    expect(requests.xs).toEqual([0, 1, 2, 3].map((h) => Date.parse('2025-01-01T00:00:00Z') / 1000 + h * 3600));
    expect(requests.series).toEqual([
      { key: 'u1', label: 'ada@example.com', values: [3, 0, 2, 0] },
      { key: 'k1', label: 'nightly-batch', values: [0, 0, 1, 0] },
    ]);
    expect(chartData(items, range, 'caller', 'p95Ms').series[0].values).toEqual([12, null, 8, null]);
  });

  it('draws the top 8 keys by requests and sums the rest as one series', () => {
    const items = Array.from({ length: 11 }, (_, i) => item(`m${i}`, '2025-01-01T01:00:00.000Z', 20 - i, { p95Ms: i }));
    const data = chartData(items, range, 'model', 'requests');
    expect(data.series.map((s) => s.label)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'Other (3 more)']);
    expect(data.series[8]).toEqual({ key: undefined, label: 'Other (3 more)', values: [0, 12 + 11 + 10, 0, 0] });
    expect(chartData(items, range, 'model', 'p95Ms').series[8].values).toEqual([null, 10, null, null]);
  });

  it('labels versions and callers for people', () => {
    expect(groupLabel({ key: 'iris:3' }, 'version')).toBe('iris v3');
    expect(groupLabel({ key: 'iris:-' }, 'version')).toBe('iris (no version)');
    expect(groupLabel({ key: '1f0e2c1a-0000-4000-8000-000000000000', name: 'ci key' }, 'caller')).toBe('ci key');
    expect(groupLabel({ key: '1f0e2c1a-0000-4000-8000-000000000000', name: null }, 'caller')).toBe('deleted caller');
    expect(groupLabel({ key: 'anonymous', name: 'anonymous' }, 'caller')).toBe('anonymous');
  });
});

describe('the CSV', () => {
  it('has the bucketed rows under a header, quoted where needed and safe to open in a spreadsheet', () => {
    const csv = toCsv(
      [
        item('k1', '2025-01-01T00:00:00.000Z', 2, { name: '=HYPERLINK("x")', p50Ms: 1.5 }),
        item('u1', '2025-01-01T00:00:00.000Z', 1, { name: 'ada@example.com' }),
      ],
      'caller',
    );
    expect(csv.split('\r\n')).toEqual([
      'bucket,key,name,requests,rows,errors,p50Ms,p95Ms,computeMs',
      `2025-01-01T00:00:00.000Z,k1,"'=HYPERLINK(""x"")",2,4,0,1.5,10,2`,
      '2025-01-01T00:00:00.000Z,u1,ada@example.com,1,2,0,5,10,1',
      '',
    ]);
    expect(csvFileName({ from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-08T00:00:00Z'), interval: 'day' }, 'model')).toBe(
      'usage-by-model-2025-01-01T00-00Z-to-2025-01-08T00-00Z-day.csv',
    );
  });
});
