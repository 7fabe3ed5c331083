import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { InjectConfig } from '@app/common';
import { WebhookDispatcher } from '../services/webhook-dispatcher';
import { webhooksConfig, type WebhooksConfig } from '../webhooks.config';
import { WEBHOOK_QUEUE_NAME } from './webhook-delivery-queue';

/**
 * Every API replica's BullMQ consumer of delivery attempts (WEBHOOK_CONCURRENCY at once). Started
 * once the application is up; on shutdown it stops fetching and lets the attempts in flight end.
 */
@Processor(WEBHOOK_QUEUE_NAME, { autorun: false })
export class WebhookDeliveryProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);

  constructor(
    private readonly dispatcher: WebhookDispatcher,
    @InjectConfig(webhooksConfig) private readonly config: WebhooksConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    if (this.config.pollIntervalMs <= 0) return;
    this.worker.concurrency = this.config.concurrency;
    this.worker.run().catch((error: unknown) => this.logger.error({ err: error, msg: 'the BullMQ webhook worker stopped' }));
  }

  async process(job: Job<{ deliveryId: string }>): Promise<void> {
    await this.dispatcher.deliverOne(job.data.deliveryId);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.worker.isRunning()) await this.worker.pause(true);
  }
}
