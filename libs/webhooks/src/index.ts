export * from './webhooks.module';
export * from './webhooks.config';
export * from './services/webhooks.service';
export * from './services/webhook-dispatcher';
export * from './domain/signature';
export * from './domain/webhook-events';
export * from './entities/webhook.entity';
export * from './entities/webhook-delivery.entity';
export { WebhookDeliveryQueue } from './queue/webhook-delivery-queue';
