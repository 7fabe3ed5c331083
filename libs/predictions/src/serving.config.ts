import { bool, defineConfig, int, type ConfigOf } from '@app/common';

/** Serving: usage metering, response cache, resolution of production/aliases/canary, warm-up. */
export const servingConfig = defineConfig({
  key: 'serving',
  variables: {
    USAGE_FLUSH_INTERVAL_MS: int(1000, 10, 60_000),
    USAGE_FLUSH_MAX_BATCH: int(500, 1, 10_000),
    USAGE_BUFFER_MAX_EVENTS: int(100_000, 100),
    RESPONSE_CACHE_MAX_ENTRIES: int(10_000, 1),
    SERVING_RESOLVE_TTL_MS: int(1000, 0, 60_000),
    SERVING_WARM_ON_START: bool.default(true),
    PAYLOAD_PURGE_INTERVAL_SECONDS: int(3600, 0, 86_400),
    SHADOW_QUEUE_MAX: int(1000, 1, 100_000),
  },
  build: (e) => ({
    /** Usage events are buffered and written in batches this often (and when a batch fills). */
    usageFlushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS,
    usageFlushMaxBatch: e.USAGE_FLUSH_MAX_BATCH,
    /** While the database is unreachable, at most this many events wait; beyond it they are counted as dropped. */
    usageBufferMaxEvents: e.USAGE_BUFFER_MAX_EVENTS,
    responseCacheMaxEntries: e.RESPONSE_CACHE_MAX_ENTRIES,
    /** How long a resolved production/alias/canary may be reused; bounds cross-replica staleness. */
    resolveTtlMs: e.SERVING_RESOLVE_TTL_MS,
    /** Load production versions into the model cache while starting. */
    warmOnStart: e.SERVING_WARM_ON_START,
    /** How often expired stored payloads are purged; 0 turns the purge off. */
    payloadPurgeIntervalSeconds: e.PAYLOAD_PURGE_INTERVAL_SECONDS,
    /** Mirrored requests waiting for their shadow run; beyond it they are dropped (and counted), never waited for. */
    shadowQueueMax: e.SHADOW_QUEUE_MAX,
  }),
});
export type ServingConfig = ConfigOf<typeof servingConfig>;
