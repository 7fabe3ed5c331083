import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { PendingDelivery } from '../repositories/webhook-deliveries.repository';
import { WEBHOOK_QUEUE_NAME, WebhookDeliveryQueue } from './webhook-delivery-queue';

/** With REDIS_URL: one BullMQ job per attempt, delayed to when it is due. */
@Injectable()
export class BullMqWebhookDeliveryQueue extends WebhookDeliveryQueue {
  readonly kind = 'bullmq' as const;

  constructor(@InjectQueue(WEBHOOK_QUEUE_NAME) private readonly queue: Queue) {
    super();
  }

  async enqueue(deliveries: readonly Pick<PendingDelivery, 'id' | 'attempts' | 'nextAttemptAt'>[]): Promise<void> {
    if (!deliveries.length) return;
    const now = Date.now();
    // A fixed job id per (delivery, attempts made): adding it again while it waits is a no-op, so
    // every replica's sweep may offer the same due deliveries.
    await this.queue.addBulk(
      deliveries.map((d) => ({
        name: 'deliver',
        data: { deliveryId: d.id },
        opts: {
          jobId: `${d.id}.${d.attempts}`,
          delay: Math.max(0, d.nextAttemptAt.getTime() - now),
          removeOnComplete: true,
          removeOnFail: 1000,
          attempts: 1,
        },
      })),
    );
  }
}
