import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { describeWithServers } from '../../../../test/support/servers';

/** Against the real Redis on 127.0.0.1:6379, under a key prefix of this run's own. */
describeWithServers(['redis'], 'RedisThrottlerStorage', () => {
  const prefix = `mg-unit-${randomBytes(6).toString('hex')}:`;
  const clients: Redis[] = [];
  let now = 0;
  const storage = (clock: (() => number) | undefined = () => now) => {
    const redis = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    clients.push(redis);
    return new RedisThrottlerStorage(redis, prefix, clock);
  };
  beforeEach(() => (now = 1_000_000 * 60_000 - 10));

  afterAll(async () => {
    const keys = await clients[0].keys(`${prefix}*`);
    if (keys.length) await clients[0].del(...keys);
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('allows `limit` hits per window, then blocks until the window ends (the in-memory semantics)', async () => {
    const s = storage();
    for (let i = 1; i <= 5; i++) {
      expect(await s.increment('k1', 60_000, 5, 0, 'default')).toEqual(expect.objectContaining({ isBlocked: false, totalHits: i }));
      now += 5;
    }
    const blocked = await s.increment('k1', 60_000, 5, 0, 'default');
    expect(blocked).toEqual(expect.objectContaining({ isBlocked: true, timeToBlockExpire: 60 }));
    now += 30_000;
    expect((await s.increment('k1', 60_000, 5, 0, 'default')).isBlocked).toBe(true);
    now += 30_000;
    expect(await s.increment('k1', 60_000, 5, 0, 'default')).toEqual(expect.objectContaining({ isBlocked: false, totalHits: 1 }));
  });

  it('honours an explicit block duration', async () => {
    const s = storage();
    await s.increment('k2', 60_000, 1, 0, 'default');
    expect((await s.increment('k2', 60_000, 1, 120_000, 'default')).timeToBlockExpire).toBe(120);
    now += 90_000;
    expect((await s.increment('k2', 60_000, 1, 120_000, 'default')).isBlocked).toBe(true);
  });

  it('keeps keys and throttlers apart', async () => {
    const s = storage();
    await s.increment('k3', 60_000, 1, 0, 'default');
    expect((await s.increment('k3b', 60_000, 1, 0, 'default')).isBlocked).toBe(false);
    expect((await s.increment('k3', 60_000, 1, 0, 'auth-ip')).isBlocked).toBe(false);
    expect((await s.increment('k3', 60_000, 1, 0, 'default')).isBlocked).toBe(true);
  });

  it('is one budget for every process that shares the Redis, even under concurrent hits', async () => {
    const [a, b] = [storage(undefined), storage(undefined)];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).increment('shared', 60_000, 25, 0, 'default')));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(25);
    expect(
      results
        .filter((r) => !r.isBlocked)
        .map((r) => r.totalHits)
        .sort((x, y) => x - y),
    ).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('lets its keys expire when their window ends', async () => {
    const s = storage(undefined);
    await s.increment('expiring', 60_000, 5, 0, 'default');
    const ttl = await clients[0].pttl(`${prefix}rate-limit:default:expiring`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(61_000);
  });
});
