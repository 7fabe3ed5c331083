import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisConnections } from './redis-connections';
import { describeWithServers } from '../../../../test/support/servers';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

class Quiet extends RedisConnections {
  override readonly logger = { warn: jest.fn(), log: jest.fn() };
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describeWithServers(['redis'], 'RedisConnections (real Redis)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  const afterCleanup = (cleanup: () => Promise<unknown>) => cleanups.push(cleanup);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  });

  // Node keeps a refused socket's connect-timeout timer (failFast: 2 s) after ioredis drops it:
  // let it run out so Jest exits cleanly.
  afterAll(() => new Promise((resolve) => setTimeout(resolve, 2_100)));

  it('while Redis is unreachable, a failFast command fails at once; a blocking one waits; shutdown ends both', async () => {
    const redis = new Quiet({ url: `redis://127.0.0.1:${await closedPort()}`, keyPrefix: 'mg-int:' });
    const fast = redis.create('failFast', 'rate limits');
    const waiting = redis.create('blocking', 'bullmq');
    // A failed assertion must not leave clients reconnecting to the closed port: that kept Jest's
    // process alive (and busy) after the run.
    afterCleanup(() => redis.onApplicationShutdown());
    await until(() => redis.logger.warn.mock.calls.length > 0); // the outage, logged once
    // Refused by ioredis at once because nothing is queued while disconnected (not by a timeout,
    // whose error would differ); no wall-clock assertion, which a loaded machine would break.
    await expect(fast.get(redis.key('anything'))).rejects.toThrow(/enableOfflineQueue/);

    let settled = false;
    const queued = waiting.get(redis.key('anything')).finally(() => (settled = true));
    queued.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false); // queued until Redis returns

    await redis.onApplicationShutdown();
    await expect(queued).rejects.toThrow();
    expect([fast.status, waiting.status]).toEqual(['end', 'end']);
    expect(redis.list()).toEqual([]);
    expect(redis.logger.warn).toHaveBeenCalledTimes(1);
  });

  it('quits every connection it made on shutdown, subscribers included', async () => {
    const redis = new Quiet({ url: REDIS, keyPrefix: `mg-int-${randomBytes(4).toString('hex')}:` });
    const admin = new Redis(REDIS);
    try {
      const clients = [
        redis.create('failFast', 'rate limits'),
        redis.create('subscriber', 'events subscriber'),
        redis.create('blocking', 'bullmq'),
        redis.create('probe', 'health'),
      ];
      await clients[3].connect();
      await until(() => clients.every((c) => c.status === 'ready'));
      const ids = await Promise.all(clients.map((c) => c.client('ID') as Promise<number>));
      await clients[1].subscribe(redis.key('channel'));
      await clients[0].set(redis.key('k'), '1', 'PX', 5_000);
      expect(await clients[2].get(redis.key('k'))).toBe('1');
      expect(redis.list().map((c) => c.status)).toEqual(['ready', 'ready', 'ready', 'ready']);

      await redis.onApplicationShutdown();
      expect(clients.map((c) => c.status)).toEqual(['end', 'end', 'end', 'end']);
      expect(redis.list()).toEqual([]);
      const open = String(await admin.client('LIST'));
      for (const id of ids) expect(open).not.toMatch(new RegExp(`\\bid=${id}\\b`));
      expect(redis.logger.warn).not.toHaveBeenCalled();
    } finally {
      await redis.closeAll();
      await admin.quit();
    }
  });
});
