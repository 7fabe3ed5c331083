import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { type RedisConfig, RedisConnections } from '@app/common';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhooksController } from './http/webhooks.controller';
import { WebhookDeliveriesRepository } from './repositories/webhook-deliveries.repository';
import { TypeormWebhookDeliveriesRepository } from './repositories/webhook-deliveries.typeorm-repository';
import { WebhooksRepository } from './repositories/webhooks.repository';
import { TypeormWebhooksRepository } from './repositories/webhooks.typeorm-repository';
import { BullMqWebhookDeliveryQueue } from './queue/bullmq-webhook-delivery-queue';
import { InProcessWebhookDeliveryQueue, WEBHOOK_QUEUE_NAME, WebhookDeliveryQueue } from './queue/webhook-delivery-queue';
import { WebhookDeliveryProcessor } from './queue/webhook-delivery.processor';
import { WebhookDispatcher } from './services/webhook-dispatcher';
import { WebhookSender } from './services/webhook-sender';
import { WebhooksService } from './services/webhooks.service';
import { webhooksConfig, type WebhooksConfig } from './webhooks.config';

/**
 * Webhooks: admin routes over subscriptions, and the dispatcher that turns outbox events (written
 * by other libs through EventOutbox, @app/audit) into signed, retried deliveries. Every API
 * replica runs the dispatcher; the database arbitrates between them. Who sends is chosen here, by
 * configuration: BullMQ with REDIS_URL (its own queue and connection), this process's poller
 * without.
 */
@Module({})
export class WebhooksModule {
  static forRoot(redis: RedisConfig): DynamicModule {
    const queue: Provider[] = redis.url
      ? [{ provide: WebhookDeliveryQueue, useClass: BullMqWebhookDeliveryQueue }, WebhookDeliveryProcessor]
      : [{ provide: WebhookDeliveryQueue, useClass: InProcessWebhookDeliveryQueue }];
    return {
      module: WebhooksModule,
      imports: [
        TypeOrmModule.forFeature([WebhookEntity, WebhookDeliveryEntity]),
        AuditModule,
        ...(redis.url
          ? [
              BullModule.registerQueueAsync({
                name: WEBHOOK_QUEUE_NAME,
                inject: [webhooksConfig.token, RedisConnections],
                // BullMQ duplicates the connection for the worker's blocking reads and closes those
                // itself; RedisConnections quits this one at shutdown, after BullMQ.
                useFactory: (config: WebhooksConfig, connections: RedisConnections) => ({
                  connection: connections.create('blocking', 'bullmq-webhooks'),
                  prefix: config.queuePrefix,
                }),
              }),
            ]
          : []),
      ],
      controllers: [WebhooksController],
      providers: [
        { provide: WebhooksRepository, useClass: TypeormWebhooksRepository },
        { provide: WebhookDeliveriesRepository, useClass: TypeormWebhookDeliveriesRepository },
        { provide: UnitOfWork, useClass: TypeormUnitOfWork },
        ScheduledJobs,
        WebhookSender,
        WebhookDispatcher,
        WebhooksService,
        ...queue,
      ],
      exports: [WebhooksService, WebhookDispatcher],
    };
  }
}
