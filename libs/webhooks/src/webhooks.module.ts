import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { WebhookDeliveryEntity } from './entities/webhook-delivery.entity';
import { WebhookEntity } from './entities/webhook.entity';
import { WebhooksController } from './http/webhooks.controller';
import { WebhookDeliveriesRepository } from './repositories/webhook-deliveries.repository';
import { TypeormWebhookDeliveriesRepository } from './repositories/webhook-deliveries.typeorm-repository';
import { WebhooksRepository } from './repositories/webhooks.repository';
import { TypeormWebhooksRepository } from './repositories/webhooks.typeorm-repository';
import { WebhookDispatcher } from './services/webhook-dispatcher';
import { WebhookSender } from './services/webhook-sender';
import { WebhooksService } from './services/webhooks.service';

/**
 * Webhooks: admin routes over subscriptions, and the dispatcher that turns outbox events (written
 * by other libs through EventOutbox, @app/audit) into signed, retried deliveries. Every API
 * replica runs the dispatcher; the database arbitrates between them.
 */
@Module({
  imports: [TypeOrmModule.forFeature([WebhookEntity, WebhookDeliveryEntity]), AuditModule],
  controllers: [WebhooksController],
  providers: [
    { provide: WebhooksRepository, useClass: TypeormWebhooksRepository },
    { provide: WebhookDeliveriesRepository, useClass: TypeormWebhookDeliveriesRepository },
    { provide: UnitOfWork, useClass: TypeormUnitOfWork },
    ScheduledJobs,
    WebhookSender,
    WebhookDispatcher,
    WebhooksService,
  ],
  exports: [WebhooksService, WebhookDispatcher],
})
export class WebhooksModule {}
