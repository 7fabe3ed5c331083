import type { Transaction } from '@app/database';
import type { Store } from '@app/database/testing';
import { EventOutbox, eventTraceId, OutboxEventType } from '../outbox/event-outbox';

/** The outbox of the in-memory repositories: events kept in a list that a rolled-back unit of work restores. */
export class InMemoryEventOutbox extends EventOutbox implements Store {
  /** `traceId` only for an event recorded with a trace. */
  events: { type: OutboxEventType; data: Record<string, unknown>; traceId?: string }[] = [];

  snapshot(): () => void {
    const saved = [...this.events];
    return () => {
      this.events = saved;
    };
  }

  // Any unit of work's transaction will do (the training lib's in-memory one too): nothing is locked.
  async add(type: OutboxEventType, data: Record<string, unknown>, _tx?: Transaction, traceId?: string | null): Promise<void> {
    const trace = eventTraceId(traceId);
    this.events.push({ type, data, ...(trace ? { traceId: trace } : {}) });
  }

  types(): OutboxEventType[] {
    return this.events.map((e) => e.type);
  }
}
