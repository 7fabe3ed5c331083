import type { RedisOptions } from 'ioredis';

/** Reconnect quickly after an outage (ioredis' default backs off to 2 s). The one retry strategy of every connection. */
export const retryStrategy = (times: number) => Math.min(times * 100, 1_000);

/**
 * What a connection is for, and so how it behaves while Redis is away. The one place these
 * options live: build connections with `RedisConnections.create(role, name)`.
 */
export const redisOptions = {
  /**
   * Request-path commands that must never hold a request up: they fail at once while disconnected
   * (no offline queue, no retries) and after a short timeout when Redis is slow.
   */
  failFast: { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 150, connectTimeout: 2_000, retryStrategy },
  /** A subscriber connection: its SUBSCRIBE may wait for the connection. */
  subscriber: { maxRetriesPerRequest: null, connectTimeout: 2_000, retryStrategy },
  /**
   * Commands that wait for Redis instead of failing (offline queue, no per-command retry limit):
   * BullMQ queues and workers (which require `maxRetriesPerRequest: null`) and publishers whose
   * messages must not be dropped.
   */
  blocking: { maxRetriesPerRequest: null, retryStrategy },
  /** Health probes: connects on first use, answers now or fails (no offline queue, no retries). */
  probe: { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy },
} satisfies Record<string, RedisOptions>;

export type RedisRole = keyof typeof redisOptions;
