import { FixedWindowThrottlerStorage } from './fixed-window-storage';

describe('FixedWindowThrottlerStorage', () => {
  let now = 0;
  const storage = () => new FixedWindowThrottlerStorage(() => now);
  // A wall-clock minute mark falls inside the burst: the window follows the caller, not the clock.
  beforeEach(() => (now = 1_000_000 * 60_000 - 10));

  it('allows `limit` hits per window, then blocks until the window ends', async () => {
    const s = storage();
    for (let i = 1; i <= 5; i++) {
      const r = await s.increment('k', 60_000, 5, 0, 'default');
      expect(r).toEqual(expect.objectContaining({ isBlocked: false, totalHits: i }));
      now += 5;
    }
    const blocked = await s.increment('k', 60_000, 5, 0, 'default');
    expect(blocked.isBlocked).toBe(true);
    expect(blocked.timeToBlockExpire).toBe(60);
    now += 30_000;
    expect((await s.increment('k', 60_000, 5, 0, 'default')).isBlocked).toBe(true);
    now += 30_000;
    expect(await s.increment('k', 60_000, 5, 0, 'default')).toEqual(expect.objectContaining({ isBlocked: false, totalHits: 1 }));
    s.onModuleDestroy();
  });

  it('honours an explicit block duration', async () => {
    const s = storage();
    await s.increment('k', 60_000, 1, 0, 'default');
    expect((await s.increment('k', 60_000, 1, 120_000, 'default')).timeToBlockExpire).toBe(120);
    now += 90_000;
    expect((await s.increment('k', 60_000, 1, 120_000, 'default')).isBlocked).toBe(true);
    s.onModuleDestroy();
  });

  it('keeps keys and throttlers apart and forgets idle callers', async () => {
    const s = storage();
    await s.increment('a', 60_000, 1, 0, 'default');
    expect((await s.increment('b', 60_000, 1, 0, 'default')).isBlocked).toBe(false);
    expect((await s.increment('a', 60_000, 1, 0, 'auth-ip')).isBlocked).toBe(false);
    expect((await s.increment('a', 60_000, 1, 0, 'default')).isBlocked).toBe(true);
    now += 2 * 60_000;
    s.sweep();
    expect(s.size).toBe(0);
    s.onModuleDestroy();
  });

  it('costs O(1) per hit: 200k hits of one caller never throw', async () => {
    const s = storage();
    for (let i = 0; i < 200_000; i++) await s.increment('busy', 60_000, 1_000_000, 0, 'default');
    expect((await s.increment('busy', 60_000, 1_000_000, 0, 'default')).totalHits).toBe(200_001);
    s.onModuleDestroy();
  });
});
