import { canaryBucket, routesToCanary } from './canary';

describe('canary routing', () => {
  it('is sticky: the same caller gets the same answer every time', () => {
    const first = routesToCanary('user-42', 'iris', 30);
    for (let i = 0; i < 20; i++) expect(routesToCanary('user-42', 'iris', 30)).toBe(first);
  });

  it('sends about `percent` of callers to the canary', () => {
    const callers = Array.from({ length: 20_000 }, (_, i) => `caller-${i}`);
    const share = callers.filter((c) => routesToCanary(c, 'iris', 25)).length / callers.length;
    expect(share).toBeGreaterThan(0.23);
    expect(share).toBeLessThan(0.27);
  });

  it('honours 0 and 100, and spreads buckets per model', () => {
    expect(routesToCanary('a', 'm', 0)).toBe(false);
    expect(routesToCanary('a', 'm', 100)).toBe(true);
    const differs = Array.from({ length: 50 }, (_, i) => canaryBucket(`c${i}`, 'm1') !== canaryBucket(`c${i}`, 'm2'));
    expect(differs.filter(Boolean).length).toBeGreaterThan(40);
  });
});
