import { HealthIndicatorService } from '@nestjs/terminus';
import { loadConfigSlice, RedisConnections, redisConfig } from '@app/common';
import { RedisHealth } from './redis-health';
import { itWithServers } from '../../../../test/support/servers';

describe('RedisHealth', () => {
  const connect = (env: Record<string, string>) => new RedisConnections(loadConfigSlice(redisConfig, env));

  it('is not configured without REDIS_URL', () => {
    expect(new RedisHealth(connect({}), new HealthIndicatorService()).configured).toBe(false);
  });

  it('reports down, promptly, when nothing answers', async () => {
    // Port 1 on loopback: connection refused at once.
    const redis = connect({ REDIS_URL: 'redis://127.0.0.1:1' });
    const health = new RedisHealth(redis, new HealthIndicatorService());
    try {
      const result = await health.check(500);
      expect(result.redis.status).toBe('down');
      expect(String(result.redis.message)).not.toBe('');
    } finally {
      await redis.closeAll();
    }
  });

  itWithServers(['redis'], 'reports up against the real Redis on 127.0.0.1:6379', async () => {
    const redis = connect({ REDIS_URL: 'redis://127.0.0.1:6379' });
    const health = new RedisHealth(redis, new HealthIndicatorService());
    try {
      expect((await health.check(2_000)).redis.status).toBe('up');
    } finally {
      await redis.closeAll();
    }
  });
});
