import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import type { WebhookPayload } from '../domain/webhook-events';
import {
  AttemptFailure,
  ClaimedDelivery,
  NewDelivery,
  PendingDelivery,
  WebhookDeliveriesRepository,
} from './webhook-deliveries.repository';

/** Longest last_error kept: enough to diagnose, never a receiver's whole error page. */
const MAX_ERROR_CHARS = 500;

// Statements are wrapped as `WITH … SELECT` so every driver returns plain rows.

/*
 * One statement: lock a batch of undispatched events (skipping those another replica holds), make
 * a delivery per subscribed webhook, mark the events dispatched. (A new webhook thus receives the
 * events not dispatched yet when it was created, a second's worth at most with the dispatcher on,
 * never older ones: comparing timestamps instead would trust now() across transactions.) The delivery id is drawn once per pair in a MATERIALIZED
 * CTE so that the stored body's `id` is the delivery's id.
 */
const FAN_OUT = `
  WITH events AS (
    SELECT seq, id, type, data, occurred_at, trace_id FROM outbox_events
     WHERE dispatched_at IS NULL
     ORDER BY seq
     LIMIT $1
     FOR UPDATE SKIP LOCKED
  ), pairs AS MATERIALIZED (
    SELECT gen_random_uuid() AS delivery_id, w.id AS webhook_id, e.id AS event_id, e.type, e.data, e.occurred_at, e.trace_id
      FROM events e JOIN webhooks w ON e.type = ANY (w.events)
  ), inserted AS (
    INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, payload, trace_id)
    SELECT delivery_id, webhook_id, event_id, type,
           jsonb_build_object('id', delivery_id, 'event', type,
             'occurredAt', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'data', data),
           trace_id
      FROM pairs
    ON CONFLICT (webhook_id, event_id) DO NOTHING
    RETURNING id
  ), dispatched AS (
    UPDATE outbox_events SET dispatched_at = now() WHERE seq IN (SELECT seq FROM events) RETURNING seq
  )
  SELECT (SELECT count(*) FROM dispatched)::int AS events, (SELECT count(*) FROM inserted)::int AS deliveries`;

/** `$3`: one delivery's id, or NULL for any due one. */
const CLAIM_DUE = `
  WITH due AS (
    SELECT id FROM webhook_deliveries
     WHERE status = 'pending' AND next_attempt_at <= now() AND ($3::uuid IS NULL OR id = $3::uuid)
     ORDER BY next_attempt_at, id
     LIMIT $1
     FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE webhook_deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = now() + $2::int * interval '1 millisecond'
      FROM due
     WHERE d.id = due.id
    RETURNING d.id, d.webhook_id, d.event_type, d.payload, d.attempts, d.trace_id
  )
  SELECT c.id, c.webhook_id, c.event_type, c.payload, c.attempts, c.trace_id, w.url, w.secret
    FROM claimed c JOIN webhooks w ON w.id = c.webhook_id`;

interface ClaimRow {
  id: string;
  webhook_id: string;
  event_type: string;
  payload: WebhookPayload | string;
  attempts: number;
  trace_id: string | null;
  url: string;
  secret: string;
}

@Injectable()
export class TypeormWebhookDeliveriesRepository extends WebhookDeliveriesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private get repo(): Repository<WebhookDeliveryEntity> {
    return this.dataSource.getRepository(WebhookDeliveryEntity);
  }

  async fanOut(limit: number): Promise<number> {
    const [row] = (await this.dataSource.query(FAN_OUT, [limit])) as { events: number }[];
    return Number(row?.events ?? 0);
  }

  insert(delivery: NewDelivery): Promise<WebhookDeliveryEntity> {
    return this.repo.save(this.repo.create({ ...delivery, traceId: delivery.traceId ?? null }));
  }

  listForWebhook(webhookId: string, limit: number): Promise<WebhookDeliveryEntity[]> {
    return this.repo.find({ where: { webhookId }, order: { createdAt: 'DESC', id: 'DESC' }, take: limit });
  }

  async claimDue(limit: number, leaseMs: number, id?: string): Promise<ClaimedDelivery[]> {
    const rows = (await this.dataSource.query(CLAIM_DUE, [limit, leaseMs, id ?? null])) as ClaimRow[];
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      eventType: r.event_type,
      payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as WebhookPayload) : r.payload,
      attempts: Number(r.attempts),
      url: r.url,
      secret: r.secret,
      traceId: r.trace_id,
    }));
  }

  async listPending(withinMs: number, limit: number): Promise<PendingDelivery[]> {
    const rows = (await this.dataSource.query(
      `SELECT id, attempts, next_attempt_at FROM webhook_deliveries
        WHERE status = 'pending' AND next_attempt_at <= now() + $1::int * interval '1 millisecond'
        ORDER BY next_attempt_at, id
        LIMIT $2`,
      [Math.round(withinMs), limit],
    )) as { id: string; attempts: number; next_attempt_at: Date | string }[];
    return rows.map((r) => ({ id: r.id, attempts: Number(r.attempts), nextAttemptAt: new Date(r.next_attempt_at) }));
  }

  async markDelivered(id: string, responseStatus: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'delivered', response_status = $2, last_error = NULL, delivered_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [id, responseStatus],
    );
  }

  async markRetry(id: string, failure: AttemptFailure, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET response_status = $2, last_error = $3, next_attempt_at = now() + $4::int * interval '1 millisecond'
        WHERE id = $1 AND status = 'pending'`,
      [id, failure.responseStatus, failure.error.slice(0, MAX_ERROR_CHARS), Math.round(delayMs)],
    );
  }

  async markFailed(id: string, failure: AttemptFailure): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'failed', response_status = $2, last_error = $3
        WHERE id = $1 AND status = 'pending'`,
      [id, failure.responseStatus, failure.error.slice(0, MAX_ERROR_CHARS)],
    );
  }
}
