import { aUsageRecord, USAGE_T0 } from '../testing/fixtures';
import type { UsageRecord } from './usage-events.repository';
import { UsageRollup } from './usage-rollup';

/** A request `ms` after a whole second. */
const event = (ms: number, overrides: Partial<UsageRecord> = {}): UsageRecord =>
  aUsageRecord({ at: new Date(USAGE_T0 + ms), ...overrides });

const fold = (events: UsageRecord[]) => {
  const rollup = new UsageRollup();
  events.forEach((e) => rollup.add(e));
  return rollup;
};

describe('UsageRollup', () => {
  it('folds requests of one second that share model, version, caller, API and status', () => {
    const rollup = fold([event(0, { latencyMs: 3 }), event(400, { latencyMs: 9, rows: 4 }), event(999, { latencyMs: 5, computeMs: 2 })]);
    expect([rollup.size, rollup.events]).toEqual([1, 3]);
    expect(rollup.drain()).toEqual([{ ...event(0), requests: 3, latenciesMs: [3, 9, 5], latencyMs: 9, rows: 6, computeMs: 4 }]);
    expect([rollup.size, rollup.events, rollup.drain()]).toEqual([0, 0, []]);
  });

  it('keeps apart what differs in any key, or falls in another second; a lone request has no latency list', () => {
    const batch = [
      event(0),
      event(1000),
      event(0, { version: 2 }),
      event(0, { version: null }),
      event(0, { callerId: null, callerKind: null }),
      event(0, { api: 'v2' }),
      event(0, { status: 500 }),
      event(0, { modelName: 'wine' }),
    ];
    const rows = fold(batch).drain();
    expect(rows).toHaveLength(batch.length);
    expect(rows.every((r) => r.requests === 1 && r.latenciesMs === null)).toBe(true);
  });

  it("keeps a traced request (one in a caller's trace) on its own row; untraced requests still fold", () => {
    const traced = 'a'.repeat(32);
    const rows = fold([
      event(0),
      event(1, { traceId: traced }),
      event(2, { traceId: null }),
      event(3),
      event(4, { traceId: traced }),
    ]).drain();
    expect(rows.map((r) => [r.traceId ?? null, r.requests])).toEqual([
      [null, 3],
      [traced, 2],
    ]);
  });

  it('does not change the events it was given', () => {
    const batch = [event(0), event(1)];
    fold(batch).drain();
    expect(batch).toEqual([event(0), event(1)]);
  });

  it('closes a row that holds maxRequestsPerRow requests; the next of its group opens another', () => {
    const rollup = new UsageRollup(3);
    for (let i = 0; i < 7; i++) rollup.add(event(i, { latencyMs: i }));
    expect(rollup.size).toBe(3);
    expect(rollup.drain().map((r) => [r.requests, r.latenciesMs])).toEqual([
      [3, [0, 1, 2]],
      [3, [3, 4, 5]],
      [1, null],
    ]);
    const single = new UsageRollup(1);
    single.add(event(0));
    single.add(event(1));
    expect(single.drain().map((r) => r.requests)).toEqual([1, 1]);
  });
});
