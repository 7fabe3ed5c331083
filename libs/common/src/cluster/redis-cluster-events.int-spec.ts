import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startTcpProxy, TcpProxy } from '../../../../test/support/tcp-proxy';
import { ClusterPayload } from './cluster-events';
import { RedisClusterEvents } from './redis-cluster-events';
import { redisOptions } from '../redis/redis-options';
import { describeWithServers } from '../../../../test/support/servers';

const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Two "replicas" on the real Redis, one of them reaching it through a proxy the test cuts. */
describeWithServers(['redis'], 'RedisClusterEvents', () => {
  const prefix = `mg-unit-${randomBytes(6).toString('hex')}:`;
  let proxy: TcpProxy;
  let a: RedisClusterEvents;
  let b: RedisClusterEvents;
  const clients: Redis[] = [];
  const bus = (url: string) => {
    const quiet = (r: Redis) => (clients.push(r), r.on('error', () => undefined));
    return new RedisClusterEvents(quiet(new Redis(url, redisOptions.failFast)), quiet(new Redis(url, redisOptions.subscriber)), prefix, {
      warn: () => undefined,
      log: () => undefined,
    });
  };

  beforeAll(async () => {
    const target = new URL(REDIS);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 6379));
    a = bus(REDIS);
    b = bus(`redis://${proxy.address}`);
    await Promise.all([a.start(), b.start()]);
  });

  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    clients.forEach((client) => client.disconnect()); // the bus does not own its connections
    await proxy.close();
  });

  it('delivers to the other replicas, by topic, and never back to the publisher', async () => {
    const atA: ClusterPayload[] = [];
    const atB: ClusterPayload[] = [];
    const otherTopic: ClusterPayload[] = [];
    const offs = [
      a.subscribe('t', (p) => atA.push(p)),
      b.subscribe('t', (p) => atB.push(p)),
      b.subscribe('other', (p) => otherTopic.push(p)),
    ];
    a.publish('t', { n: 1 });
    b.publish('t', { n: 2 });
    await until(() => atA.length === 1 && atB.length === 1);
    expect(atA).toEqual([{ n: 2 }]);
    expect(atB).toEqual([{ n: 1 }]);
    expect(otherTopic).toEqual([]);
    offs.forEach((off) => off());
  });

  it('after its connection comes back, tells its caches to resync and sends what it could not publish', async () => {
    const resyncs: number[] = [];
    const atA: ClusterPayload[] = [];
    const offs = [b.onResync(() => resyncs.push(Date.now())), a.subscribe('late', (p) => atA.push(p))];
    proxy.cut();
    await until(() => !b.status().connected);
    b.publish('late', { id: 'while-away' });
    proxy.restore();
    await until(() => resyncs.length === 1 && atA.length === 1);
    expect(atA).toEqual([{ id: 'while-away' }]);
    expect(b.status()).toEqual({ transport: 'redis', connected: true });
    offs.forEach((off) => off());
  });
});
