import type { PendingDelivery } from '../repositories/webhook-deliveries.repository';

export const WEBHOOK_QUEUE_NAME = 'webhook-deliveries';

/**
 * Who sends due deliveries: a BullMQ queue when Redis is configured (a job per attempt, delayed to
 * its due time, consumed by every API replica's worker), or this process's own poller (the
 * in-process kind: enqueueing is nothing, the dispatcher's pass sends what is due). The database
 * stays the source of truth either way: a job only says "try this delivery now", and the claim
 * (SKIP LOCKED, with a lease) decides who sends it, so a lost or repeated job loses or doubles
 * nothing.
 */
export abstract class WebhookDeliveryQueue {
  abstract readonly kind: 'bullmq' | 'in-process';
  abstract enqueue(deliveries: readonly Pick<PendingDelivery, 'id' | 'attempts' | 'nextAttemptAt'>[]): Promise<void>;
}

export class InProcessWebhookDeliveryQueue extends WebhookDeliveryQueue {
  readonly kind = 'in-process' as const;

  async enqueue(): Promise<void> {
    // The dispatcher's poller claims and sends due deliveries itself.
  }
}
