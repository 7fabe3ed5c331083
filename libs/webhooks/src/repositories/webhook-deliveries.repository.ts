import type { WebhookDeliveryEntity } from '../entities/webhook-delivery.entity';
import type { WebhookPayload } from '../domain/webhook-events';

export interface NewDelivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  payload: WebhookPayload;
  /** The trace the delivery continues (null or absent: none). */
  traceId?: string | null;
}

/** A delivery claimed for one attempt, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventType: string;
  payload: WebhookPayload;
  /** Attempts including this one. */
  attempts: number;
  url: string;
  secret: string;
  /** The trace of the event's cause, which the attempt continues (null or absent: none). */
  traceId?: string | null;
}

/** A pending delivery: the attempts made so far and when the next one is due. */
export interface PendingDelivery {
  id: string;
  attempts: number;
  nextAttemptAt: Date;
}

export interface AttemptFailure {
  responseStatus: number | null;
  error: string;
}

/** The webhook_deliveries table, and the fan-out from outbox_events into it. */
export abstract class WebhookDeliveriesRepository {
  /**
   * Turns up to `limit` undispatched outbox events into one pending delivery per subscribed
   * webhook and marks them dispatched, in one statement (so one transaction). Events another
   * process is fanning out are skipped (SKIP LOCKED), and (webhook, event) is unique, so running
   * it twice never makes two deliveries. Returns the number of events dispatched.
   */
  abstract fanOut(limit: number): Promise<number>;
  abstract insert(delivery: NewDelivery): Promise<WebhookDeliveryEntity>;
  /** Newest first. */
  abstract listForWebhook(webhookId: string, limit: number): Promise<WebhookDeliveryEntity[]>;
  /**
   * Claims up to `limit` due pending deliveries for one attempt each: counts the attempt and moves
   * next_attempt_at `leaseMs` ahead, so that a process that dies mid-send leaves the delivery to be
   * claimed again after the lease, and concurrent claimers (replicas) never take the same row.
   */
  abstract claimDue(limit: number, leaseMs: number, id?: string): Promise<ClaimedDelivery[]>;
  /** Pending deliveries due within `withinMs` (or overdue), soonest first: what a delivery queue should hold. */
  abstract listPending(withinMs: number, limit: number): Promise<PendingDelivery[]>;
  abstract markDelivered(id: string, responseStatus: number): Promise<void>;
  abstract markRetry(id: string, failure: AttemptFailure, delayMs: number): Promise<void>;
  abstract markFailed(id: string, failure: AttemptFailure): Promise<void>;
}
