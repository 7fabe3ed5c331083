import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique } from 'typeorm';
import type { DeliveryStatus, WebhookPayload } from '../domain/webhook-events';
import { WebhookEntity } from './webhook.entity';

/**
 * One event for one webhook, until delivered or given up. All delivery state lives here, so a
 * crash loses nothing: what was pending is claimed again once its lease (next_attempt_at) passes.
 */
@Entity({ name: 'webhook_deliveries' })
@Unique('uq_webhook_deliveries_webhook_event', ['webhookId', 'eventId'])
@Check('chk_webhook_deliveries_status', `status IN ('pending', 'delivered', 'failed')`)
@Check('chk_webhook_deliveries_attempts', `attempts >= 0`)
@Check('chk_webhook_deliveries_trace_id', `trace_id ~ '^[0-9a-f]{32}$'`)
@Index('idx_webhook_deliveries_due', ['nextAttemptAt'], { where: `status = 'pending'` })
export class WebhookDeliveryEntity {
  /** Also the body's `id` and X-ModelGate-Delivery: what receivers dedupe on. */
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_webhook_deliveries' })
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id', foreignKeyConstraintName: 'fk_webhook_deliveries_webhook' })
  webhook?: WebhookEntity;

  /** The outbox event's id (a fresh one for a ping). */
  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  /** The body, as sent: {id, event, occurredAt, data}. */
  @Column({ type: 'jsonb' })
  payload: WebhookPayload;

  @Column({ type: 'text', default: 'pending' })
  status: DeliveryStatus;

  /** Attempts started (a claim counts one before the request is sent). */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** When a pending delivery is due; while an attempt is in flight, when its claim lapses. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt: Date;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  /** The event's trace (its cause's W3C trace id), continued by every attempt's `traceparent`; null: a new trace each time. */
  @Column({ name: 'trace_id', type: 'text', nullable: true })
  traceId: string | null;
}
