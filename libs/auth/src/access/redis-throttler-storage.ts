import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from './throttler-storage-record';
import type { Redis } from 'ioredis';

/**
 * FixedWindowThrottlerStorage's semantics (a window per caller opening at its first hit; `limit`
 * hits allowed, the next blocked until the window ends or for blockDuration) in one Lua script per
 * hit, so every replica counts against the same window. The time is Redis's own (one clock for all
 * replicas) unless a clock is passed (tests). Keys expire when their window and block end.
 */
const SCRIPT = `
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ttl = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local blockDuration = tonumber(ARGV[4])
local w = redis.call('HMGET', KEYS[1], 'start', 'hits', 'blockedUntil', 'ttl')
local start, hits, blockedUntil = tonumber(w[1]), tonumber(w[2]), tonumber(w[3]) or 0
if not start or tonumber(w[4]) ~= ttl or now >= start + ttl then
  start = now
  hits = 0
end
local timeToExpire = math.ceil((start + ttl - now) / 1000)
local result
if blockedUntil > now then
  result = { limit + 1, timeToExpire, 1, math.ceil((blockedUntil - now) / 1000) }
elseif hits >= limit then
  if blockDuration > 0 then blockedUntil = now + blockDuration else blockedUntil = start + ttl end
  result = { hits + 1, timeToExpire, 1, math.max(1, math.ceil((blockedUntil - now) / 1000)) }
else
  hits = hits + 1
  result = { hits, timeToExpire, 0, 0 }
end
redis.call('HSET', KEYS[1], 'start', start, 'hits', hits, 'blockedUntil', blockedUntil, 'ttl', ttl)
redis.call('PEXPIRE', KEYS[1], math.max(start + ttl, blockedUntil) - now + 1000)
return result
`;

type Throttle = (key: string, now: number, ttl: number, limit: number, blockDuration: number) => Promise<[number, number, number, number]>;

export class RedisThrottlerStorage implements ThrottlerStorage {
  private readonly throttle: Throttle;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    private readonly now?: () => number,
  ) {
    // defineCommand: EVALSHA, falling back to EVAL once after a script cache flush.
    redis.defineCommand('modelgateThrottle', { numberOfKeys: 1, lua: SCRIPT });
    this.throttle = (redis as unknown as Record<'modelgateThrottle', Throttle>).modelgateThrottle.bind(redis);
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const [totalHits, timeToExpire, blocked, timeToBlockExpire] = await this.throttle(
      `${this.keyPrefix}rate-limit:${throttlerName}:${key}`,
      this.now?.() ?? -1,
      ttl,
      limit,
      blockDuration,
    );
    return { totalHits, timeToExpire, isBlocked: blocked === 1, timeToBlockExpire };
  }

  ping(): Promise<unknown> {
    return this.redis.ping();
  }
}
