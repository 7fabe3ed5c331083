import { TraceScope } from '@app/common';
import type { Transaction } from '@app/database';

/** The events other systems can subscribe to (webhooks); `ping` is a webhook's test delivery only. */
export const OUTBOX_EVENT_TYPES = [
  'model.version.created',
  'model.version.transitioned',
  'promotion.requested',
  'promotion.decided',
  'training.job.finished',
] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

/**
 * The transactional outbox: a service records an event in the same transaction as the change it
 * describes, so an event exists if and only if the change committed; delivery (webhooks) reads
 * the outbox afterwards and can never lose one to a crash between the commit and the send.
 * A port, so that unit tests record events in memory.
 *
 * An event keeps the trace of what caused it (webhook deliveries continue it): `traceId` when
 * given (null: none), else the trace of the work in progress (TraceScope: the request's, or the
 * training job's), so services that record events need not know about traces.
 */
export abstract class EventOutbox {
  abstract add(type: OutboxEventType, data: Record<string, unknown>, tx?: Transaction, traceId?: string | null): Promise<void>;
}

/** The trace id an event is recorded with (see EventOutbox). */
export function eventTraceId(given: string | null | undefined): string | null {
  return given !== undefined ? given : (TraceScope.current()?.traceId ?? null);
}
