import type { Transaction } from '@app/database';
import type { WebhookEntity } from '../entities/webhook.entity';

export interface NewWebhook {
  url: string;
  events: string[];
  secret: string;
  description: string | null;
  createdBy: string | null;
}

/** The webhooks table: subscriptions. */
export abstract class WebhooksRepository {
  abstract insert(webhook: NewWebhook, tx?: Transaction): Promise<WebhookEntity>;
  /** Oldest first (created_at, id); `total` counts every webhook. */
  abstract list(page: { limit: number; offset: number }): Promise<{ rows: WebhookEntity[]; total: number }>;
  abstract findById(id: string): Promise<WebhookEntity | null>;
  /** Deletes the webhook (its deliveries go with it: ON DELETE CASCADE); false when there was none. */
  abstract delete(id: string, tx?: Transaction): Promise<boolean>;
}
