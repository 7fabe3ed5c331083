import { RedisConnections } from './redis-connections';
import { redisOptions, retryStrategy } from './redis-options';

/** No server: `probe` connections connect lazily, and nothing here sends a command. */
class Quiet extends RedisConnections {
  override readonly logger = { warn: jest.fn(), log: jest.fn() };
}

const config = { url: 'redis://127.0.0.1:6399/2', keyPrefix: 'mg-test:' };

describe('RedisConnections', () => {
  it('gives each role its options, all with the one retry strategy', () => {
    expect(RedisConnections.options('failFast')).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 150 });
    expect(RedisConnections.options('subscriber')).toMatchObject({ maxRetriesPerRequest: null });
    expect(RedisConnections.options('blocking')).toMatchObject({ maxRetriesPerRequest: null });
    expect(RedisConnections.options('blocking')).not.toHaveProperty('enableOfflineQueue'); // BullMQ needs the offline queue
    expect(RedisConnections.options('probe')).toMatchObject({ lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    for (const role of Object.keys(redisOptions) as (keyof typeof redisOptions)[]) {
      expect(RedisConnections.options(role).retryStrategy).toBe(retryStrategy);
      expect(RedisConnections.options(role)).not.toHaveProperty('keyPrefix'); // BullMQ refuses it; callers prefix keys themselves
    }
    expect([1, 5, 10, 50].map(retryStrategy)).toEqual([100, 500, 1_000, 1_000]);
  });

  it('returns copies: a caller cannot change a role for the others', () => {
    (RedisConnections.options('failFast') as Record<string, unknown>).commandTimeout = 1;
    expect(RedisConnections.options('failFast').commandTimeout).toBe(150);
  });

  it('builds connections from the config URL with the role options, and exposes the key prefix', async () => {
    const redis = new Quiet(config);
    const client = redis.create('probe', 'health');
    expect(client.options).toMatchObject({ host: '127.0.0.1', port: 6399, db: 2, lazyConnect: true, enableOfflineQueue: false });
    expect(client.status).toBe('wait');
    expect(redis.keyPrefix).toBe('mg-test:');
    expect(redis.key('cluster-events')).toBe('mg-test:cluster-events');
    await redis.closeAll();
  });

  it('without REDIS_URL is not configured and makes no connection', () => {
    const redis = new Quiet({ url: undefined, keyPrefix: 'modelgate:' });
    expect(redis.configured).toBe(false);
    expect(() => redis.create('failFast', 'rate limits')).toThrow(/REDIS_URL/);
    expect(redis.list()).toEqual([]);
  });

  it('tracks every connection it made and closes them all once on shutdown', async () => {
    const redis = new Quiet(config);
    const a = redis.create('probe', 'a');
    const b = redis.create('probe', 'b');
    expect(redis.list()).toEqual([
      { name: 'a', role: 'probe', status: 'wait' },
      { name: 'b', role: 'probe', status: 'wait' },
    ]);
    const disconnect = jest.spyOn(a, 'disconnect');
    await redis.onApplicationShutdown();
    expect([a.status, b.status]).toEqual(['end', 'end']);
    expect(redis.list()).toEqual([]);
    await redis.onApplicationShutdown(); // a second shutdown closes nothing twice
    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(() => redis.create('probe', 'late')).toThrow(/closed/);
  });

  it('forgets a connection that ended otherwise', async () => {
    const redis = new Quiet(config);
    const a = redis.create('probe', 'a');
    a.disconnect();
    await new Promise((r) => setImmediate(r));
    expect(redis.list()).toEqual([]);
    await redis.closeAll();
  });

  it('logs once per outage, not per error or per connection, and once when every connection is back', async () => {
    const redis = new Quiet(config);
    const a = redis.create('probe', 'rate limits');
    const b = redis.create('probe', 'bullmq');
    for (let i = 0; i < 3; i++) {
      a.emit('error', new Error('connect ECONNREFUSED'));
      b.emit('error', new Error('connect ECONNREFUSED'));
    }
    expect(redis.logger.warn).toHaveBeenCalledTimes(1);
    expect(redis.logger.warn).toHaveBeenCalledWith(expect.stringContaining('rate limits: connect ECONNREFUSED'));
    a.emit('ready');
    expect(redis.logger.log).not.toHaveBeenCalled(); // b is still failing
    b.emit('ready');
    expect(redis.logger.log).toHaveBeenCalledTimes(1);
    a.emit('error', new Error('again'));
    expect(redis.logger.warn).toHaveBeenCalledTimes(2); // a new outage
    await redis.closeAll();
    b.emit('error', new Error('after shutdown'));
    expect(redis.logger.warn).toHaveBeenCalledTimes(2);
  });
});
