import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Actor, InjectConfig, Page, toPage, TraceScope, ValidationFailedError, type PageQueryDto } from '@app/common';
import { AuditTrail } from '@app/audit';
import { UnitOfWork } from '@app/database';
import { checkDestination } from '../domain/allowed-hosts';
import { newWebhookSecret } from '../domain/signature';
import { WebhookDestinationNotAllowedError, WebhookNotFoundError } from '../domain/webhook-errors';
import { PING_EVENT } from '../domain/webhook-events';
import type { CreateWebhookDto } from '../dto/create-webhook.dto';
import { toDeliveryDto, type WebhookDeliveryDto, type WebhookDeliveryListDto } from '../dto/webhook-delivery.dto';
import { type CreatedWebhookDto, toWebhookDto, type WebhookDto } from '../dto/webhook.dto';
import { WebhookDeliveriesRepository } from '../repositories/webhook-deliveries.repository';
import { WebhooksRepository } from '../repositories/webhooks.repository';
import { webhooksConfig, type WebhooksConfig } from '../webhooks.config';
import { WebhookDispatcher } from './webhook-dispatcher';

/** Webhook subscriptions (admin): create, list, delete, delivery history, test ping. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly dispatcher: WebhookDispatcher,
    @InjectConfig(webhooksConfig) private readonly config: WebhooksConfig,
  ) {}

  async create(input: CreateWebhookDto, actor: Actor): Promise<CreatedWebhookDto> {
    const url = this.allowedUrl(input.url);
    const secret = newWebhookSecret();
    return this.transactions.run(async (tx) => {
      const row = await this.webhooks.insert(
        { url, events: input.events, secret, description: input.description ?? null, createdBy: actor.caller.id },
        tx,
      );
      // The secret is not in the trail: audit details are kept and shown to admins.
      await this.audit.record(
        { action: 'webhook.created', actor, targetType: 'webhook', targetId: row.id, details: { url, events: row.events } },
        tx,
      );
      return { id: row.id, url: row.url, events: row.events, secret, createdAt: row.createdAt.toISOString() };
    });
  }

  async list(query: Pick<PageQueryDto, 'limit' | 'offset'>): Promise<Page<WebhookDto>> {
    const { rows, total } = await this.webhooks.list({ limit: query.limit, offset: query.offset });
    return toPage(rows.map(toWebhookDto), total, query);
  }

  async delete(id: string, actor: Actor): Promise<void> {
    await this.transactions.run(async (tx) => {
      if (!(await this.webhooks.delete(id, tx))) throw new WebhookNotFoundError(id);
      await this.audit.record({ action: 'webhook.deleted', actor, targetType: 'webhook', targetId: id }, tx);
    });
  }

  async listDeliveries(id: string, limit: number): Promise<WebhookDeliveryListDto> {
    await this.require(id);
    return { items: (await this.deliveries.listForWebhook(id, limit)).map(toDeliveryDto) };
  }

  /** Queues a `ping` delivery and has the dispatcher send it now (in the background). */
  async test(id: string): Promise<WebhookDeliveryDto> {
    const webhook = await this.require(id);
    const deliveryId = randomUUID();
    const row = await this.deliveries.insert({
      id: deliveryId,
      webhookId: webhook.id,
      eventId: randomUUID(),
      eventType: PING_EVENT,
      payload: { id: deliveryId, event: PING_EVENT, occurredAt: new Date().toISOString(), data: { webhookId: webhook.id } },
      // The ping continues the trace of the request that asked for it.
      traceId: TraceScope.current()?.traceId ?? null,
    });
    this.dispatcher.nudge();
    return toDeliveryDto(row);
  }

  private async require(id: string) {
    const webhook = await this.webhooks.findById(id);
    if (!webhook) throw new WebhookNotFoundError(id);
    return webhook;
  }

  /** The URL as it will be called, if it may be: 400 when it is no URL, 422 when it is not allowed. */
  private allowedUrl(raw: string): string {
    const check = checkDestination(raw, this.config.allowedHosts);
    if (check.ok) return check.url.href;
    switch (check.reason) {
      case 'invalid-url':
        throw new ValidationFailedError([{ field: 'url', message: 'url must be an absolute URL' }]);
      case 'credentials':
        throw new ValidationFailedError([{ field: 'url', message: 'url must not contain a user name or password' }]);
      case 'scheme':
        throw new WebhookDestinationNotAllowedError('A webhook URL must be http or https.');
      case 'host':
        throw new WebhookDestinationNotAllowedError(`The host "${check.host}" is not in WEBHOOK_ALLOWED_HOSTS.`);
    }
  }
}
