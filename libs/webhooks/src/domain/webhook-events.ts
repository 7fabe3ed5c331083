import { OUTBOX_EVENT_TYPES, type OutboxEventType } from '@app/audit';

/** Events a webhook can subscribe to: every outbox event type. */
export const WEBHOOK_EVENT_TYPES = OUTBOX_EVENT_TYPES;
export type WebhookEventType = OutboxEventType;
/** A webhook's test delivery (POST /v1/webhooks/{id}/test); never subscribed to. */
export const PING_EVENT = 'ping';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The body of every delivery; `id` is the delivery id (also X-ModelGate-Delivery), what receivers dedupe on. */
export interface WebhookPayload {
  id: string;
  event: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** The exact bytes sent (and signed): fixed key order, whatever order the database kept. */
export function serialisePayload(p: WebhookPayload): string {
  return JSON.stringify({ id: p.id, event: p.event, occurredAt: p.occurredAt, data: p.data });
}
