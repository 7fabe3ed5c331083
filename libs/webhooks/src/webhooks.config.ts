import { z } from 'zod';
import { defineConfig, int, type ConfigOf } from '@app/common';
import { type AllowedHosts, parseAllowedHosts } from './domain/allowed-hosts';

const allowedHosts = z
  .string()
  .default('')
  .transform((raw, ctx): AllowedHosts => {
    try {
      return parseAllowedHosts(raw);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      return z.NEVER;
    }
  });

/** Webhooks: where they may go, how they are sent and retried. */
export const webhooksConfig = defineConfig({
  key: 'webhooks',
  variables: {
    WEBHOOK_ALLOWED_HOSTS: allowedHosts,
    WEBHOOK_TIMEOUT_MS: int(5_000, 100, 60_000),
    WEBHOOK_MAX_ATTEMPTS: int(6, 1, 20),
    WEBHOOK_RETRY_BASE_MS: int(30_000, 1, 3_600_000),
    WEBHOOK_RETRY_MAX_MS: int(3_600_000, 1, 86_400_000),
    WEBHOOK_POLL_INTERVAL_MS: int(1_000, 0, 600_000),
    WEBHOOK_CONCURRENCY: int(8, 1, 64),
    WEBHOOK_QUEUE_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/)
      .default('modelgate'),
  },
  build: (e) => ({
    /** Host names and IP addresses (normalised) a webhook URL may point at, any port; empty = none. */
    allowedHosts: e.WEBHOOK_ALLOWED_HOSTS,
    /** A receiver that has not answered within this is a failed attempt. */
    timeoutMs: e.WEBHOOK_TIMEOUT_MS,
    /** Attempts (the first and the retries) before a delivery is `failed`. */
    maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
    /** Retry waits: base, ×4 per attempt, capped; jittered into the upper half. */
    backoff: { baseMs: e.WEBHOOK_RETRY_BASE_MS, factor: 4, maxMs: e.WEBHOOK_RETRY_MAX_MS },
    /** How often the outbox is fanned out and due deliveries are sent; 0 turns delivery off here. */
    pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
    /** Deliveries sent at once per process (and claimed per pass). */
    concurrency: e.WEBHOOK_CONCURRENCY,
    /** BullMQ's key prefix for the delivery queue (with REDIS_URL). */
    queuePrefix: e.WEBHOOK_QUEUE_PREFIX,
  }),
});
export type WebhooksConfig = ConfigOf<typeof webhooksConfig>;
