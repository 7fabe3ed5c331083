import type { Transaction } from '@app/database';
import { locksOf, Store } from '@app/database/testing';
import { AuditTrail } from '../audit-trail';
import type { AuditEventInput } from '../audit.service';

/** The audit trail of the in-memory repositories: events kept in a list that a rolled-back unit of work restores. */
export class InMemoryAuditTrail extends AuditTrail implements Store {
  events: AuditEventInput[] = [];
  /** Set by a test: the next record() throws this (after nothing was written). */
  failNext?: Error;

  snapshot(): () => void {
    const saved = [...this.events];
    return () => {
      this.events = saved;
    };
  }

  async record(event: AuditEventInput, tx?: Transaction): Promise<void> {
    locksOf(tx);
    const failure = this.failNext;
    if (failure) {
      this.failNext = undefined;
      throw failure;
    }
    this.events.push(event);
  }

  actions(): string[] {
    return this.events.map((e) => e.action);
  }
}
