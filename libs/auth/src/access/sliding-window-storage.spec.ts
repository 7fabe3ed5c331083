import { SlidingWindowThrottlerStorage } from './sliding-window-storage';

describe('SlidingWindowThrottlerStorage', () => {
  let now = 0;
  const storage = () => new SlidingWindowThrottlerStorage(() => now);
  beforeEach(() => (now = 1_000_000 * 60_000));

  it('allows `limit` hits per window, then blocks with the time to wait', async () => {
    const s = storage();
    for (let i = 1; i <= 5; i++) {
      const r = await s.increment('k', 60_000, 5, 0, 'default');
      expect(r).toEqual(expect.objectContaining({ isBlocked: false, totalHits: i }));
    }
    const blocked = await s.increment('k', 60_000, 5, 0, 'default');
    expect(blocked.isBlocked).toBe(true);
    expect(blocked.timeToBlockExpire).toBe(60);
    now += 30_000;
    expect((await s.increment('k', 60_000, 5, 0, 'default')).isBlocked).toBe(true);
    s.onModuleDestroy();
  });

  it('slides: hits of the previous window count for the part that still overlaps', async () => {
    const s = storage();
    for (let i = 0; i < 10; i++) await s.increment('k', 60_000, 10, 1, 'default');
    now += 60_000 + 45_000; // 3/4 into the next window: 1/4 of the previous 10 hits still count
    const r = await s.increment('k', 60_000, 10, 1, 'default');
    expect(r).toEqual(expect.objectContaining({ isBlocked: false, totalHits: 3 }));
    s.onModuleDestroy();
  });

  it('keeps keys and throttlers apart and forgets idle callers', async () => {
    const s = storage();
    await s.increment('a', 60_000, 1, 0, 'default');
    expect((await s.increment('b', 60_000, 1, 0, 'default')).isBlocked).toBe(false);
    expect((await s.increment('a', 60_000, 1, 0, 'auth-ip')).isBlocked).toBe(false);
    expect((await s.increment('a', 60_000, 1, 0, 'default')).isBlocked).toBe(true);
    now += 3 * 60_000;
    s.sweep();
    expect(s.size).toBe(0);
    s.onModuleDestroy();
  });

  it('costs O(1) per hit: 200k hits of one caller stay fast and never throw', async () => {
    const s = storage();
    for (let i = 0; i < 200_000; i++) await s.increment('busy', 60_000, 1_000_000, 0, 'default');
    expect((await s.increment('busy', 60_000, 1_000_000, 0, 'default')).totalHits).toBe(200_001);
    s.onModuleDestroy();
  });
});
