import { retryDelayMs } from './backoff';

const policy = { baseMs: 30_000, factor: 4, maxMs: 3_600_000 };

describe('retryDelayMs', () => {
  it('grows ×4 per attempt, capped at the maximum (upper bound: no jitter taken off)', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => retryDelayMs(a, policy, () => 1))).toEqual([
      30_000, 120_000, 480_000, 1_920_000, 3_600_000, 3_600_000,
    ]);
  });

  it('jitters into the upper half of the exponential delay', () => {
    expect(retryDelayMs(1, policy, () => 0)).toBe(15_000);
    expect(retryDelayMs(2, policy, () => 0.5)).toBe(90_000);
    for (let i = 0; i < 100; i++) {
      const d = retryDelayMs(3, policy);
      expect(d).toBeGreaterThanOrEqual(240_000);
      expect(d).toBeLessThanOrEqual(480_000);
    }
  });

  it('retries the first time within a minute with the defaults', () => {
    for (let i = 0; i < 100; i++) expect(retryDelayMs(1, policy)).toBeLessThanOrEqual(60_000);
  });

  it('spreads a whole default schedule (6 attempts) over more than half an hour', () => {
    const total = [1, 2, 3, 4, 5].reduce((sum, a) => sum + retryDelayMs(a, policy, () => 0), 0);
    expect(total).toBeGreaterThan(30 * 60_000);
  });
});
