import { z } from 'zod';
import { defineConfig, type ConfigOf } from '../config/config-slice';
import { optionalUrl } from '../config/variables';

/** Redis is optional: without it, rate limits, events and the training queue stay in-process. */
export const redisConfig = defineConfig({
  key: 'redis',
  variables: {
    REDIS_URL: optionalUrl,
    // Namespace of this deployment's keys and channels in a shared Redis (rate limits, cluster events).
    REDIS_KEY_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .default('modelgate:'),
  },
  build: (e) => ({
    url: e.REDIS_URL,
    /** Prefix of every key and pub/sub channel this deployment uses in Redis (not BullMQ's: TRAINING_QUEUE_PREFIX). */
    keyPrefix: e.REDIS_KEY_PREFIX,
  }),
});
export type RedisConfig = ConfigOf<typeof redisConfig>;
