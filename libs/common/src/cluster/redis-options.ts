import type { RedisOptions } from 'ioredis';

/** Reconnect quickly after an outage (ioredis' default backs off to 2 s). */
const retryStrategy = (times: number) => Math.min(times * 100, 1_000);

/**
 * Connection settings for Redis uses that must never hold a request up: commands fail at once
 * while disconnected (no offline queue, no retries) and after a short timeout when Redis is slow.
 */
export const redisOptions = {
  failFast: { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 150, connectTimeout: 2_000, retryStrategy },
  /** A subscriber connection: its SUBSCRIBE may wait for the connection. */
  subscriber: { maxRetriesPerRequest: null, connectTimeout: 2_000, retryStrategy },
} satisfies Record<string, RedisOptions>;
