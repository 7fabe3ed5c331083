import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisOptions } from '@app/common';
import { startTcpProxy, TcpProxy } from '../../../../test/support/tcp-proxy';
import { FixedWindowThrottlerStorage } from './fixed-window-storage';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { ResilientThrottlerStorage, SharedThrottlerStorage } from './resilient-throttler-storage';
import { describeWithServers } from '../../../../test/support/servers';

const hit = (s: ResilientThrottlerStorage, key = 'k') => s.increment(key, 60_000, 3, 0, 'default');

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ResilientThrottlerStorage', () => {
  const logger = () => ({ warn: jest.fn(), log: jest.fn() });

  it('counts on the shared store while it answers, locally while it fails, and goes back when it answers again', async () => {
    let down = false;
    const sharedCounts = new FixedWindowThrottlerStorage();
    const shared: SharedThrottlerStorage = {
      increment: (...args) => (down ? Promise.reject(new Error('Connection is closed.')) : sharedCounts.increment(...args)),
      ping: () => (down ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve('PONG')),
    };
    const log = logger();
    const s = new ResilientThrottlerStorage(shared, new FixedWindowThrottlerStorage(), { logger: log, probeIntervalMs: 10 });

    expect((await hit(s)).totalHits).toBe(1);
    // The shared counters answer through a promise only: the rate limiter's hot path defers to them.
    expect(s.incrementNow('k', 60_000, 3, 0, 'default')).toBeUndefined();
    down = true;
    expect(await hit(s)).toEqual(expect.objectContaining({ totalHits: 1, isBlocked: false }));
    expect(await hit(s)).toEqual(expect.objectContaining({ totalHits: 2, isBlocked: false }));
    expect(s.mode).toBe('memory-fallback');
    expect(log.warn).toHaveBeenCalledTimes(1);
    // Falling back, the local counters count without one, the same counters as increment's.
    expect(s.incrementNow('k', 60_000, 3, 0, 'default')).toEqual(expect.objectContaining({ totalHits: 3, isBlocked: false }));

    down = false;
    await until(() => s.mode === 'redis');
    expect(s.incrementNow('k', 60_000, 3, 0, 'default')).toBeUndefined();
    expect((await hit(s)).totalHits).toBe(2);
    expect(log.log).toHaveBeenCalledTimes(1);
    s.onModuleDestroy();
    sharedCounts.onModuleDestroy();
  });

  describeWithServers(['redis'], 'with the real Redis behind a proxy that is cut', () => {
    let proxy: TcpProxy;
    let redis: Redis;
    let s: ResilientThrottlerStorage;
    const log = logger();
    const prefix = `mg-unit-${randomBytes(6).toString('hex')}:`;

    beforeAll(async () => {
      const target = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
      proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
      redis = new Redis(`redis://${proxy.address}`, redisOptions.failFast);
      redis.on('error', () => undefined);
      s = new ResilientThrottlerStorage(new RedisThrottlerStorage(redis, prefix), new FixedWindowThrottlerStorage(), {
        logger: log,
        probeIntervalMs: 50,
      });
      redis.on('close', () => s.fallBack());
      redis.on('ready', () => void s.tryShared());
      await until(() => redis.status === 'ready');
      // On a loaded machine the first connection can time out and reconnect: the storage then falls
      // back and returns on a probe that may still be in flight when the client reads `ready`. The
      // tests start from the shared counters and count only the switches they cause themselves.
      await until(() => s.mode === 'redis');
      log.warn.mockClear();
      log.log.mockClear();
    });

    afterAll(async () => {
      s.onModuleDestroy();
      redis.disconnect(); // the storage never closes its connection (in the app, RedisConnections does)
      await proxy.close();
      const cleanup = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
      const keys = await cleanup.keys(`${prefix}*`);
      if (keys.length) await cleanup.del(...keys);
      await cleanup.quit();
    });

    it('answers every hit while Redis is cut, then returns to the shared counters', async () => {
      expect((await hit(s, 'real')).totalHits).toBe(1);
      proxy.cut();
      // Commands fail fast (no offline queue): the hit is answered from local counters, not queued.
      expect(await hit(s, 'real')).toEqual(expect.objectContaining({ isBlocked: false }));
      expect(s.mode).toBe('memory-fallback');
      proxy.restore();
      await until(() => s.mode === 'redis');
      expect((await hit(s, 'real')).totalHits).toBe(2);
      expect(log.warn).toHaveBeenCalledTimes(1);
      expect(log.log).toHaveBeenCalledTimes(1);
    });

    it('answers when Redis hangs, within the command timeout, and returns once it answers', async () => {
      proxy.stall();
      expect(await hit(s, 'slow')).toEqual(expect.objectContaining({ isBlocked: false, totalHits: 1 }));
      expect(s.mode).toBe('memory-fallback');
      proxy.restore();
      await until(() => s.mode === 'redis');
      expect(log.warn).toHaveBeenCalledTimes(2);
      expect(log.log).toHaveBeenCalledTimes(2);
    });
  });
});
