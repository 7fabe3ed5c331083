import { randomUUID } from 'node:crypto';
import { Transaction } from '@app/database';
import { AuditEventFilter, AuditEventsRepository, NewAuditEvent } from '../audit-events.repository';
import { AuditEventEntity } from '../entities/audit-event.entity';

/**
 * In-memory audit_events for unit tests (no database): the same filters and order as the TypeORM
 * implementation. Time comes from `now()`, which a test may replace; rows are copied in and out.
 */
export class InMemoryAuditEventsRepository extends AuditEventsRepository {
  readonly rows: AuditEventEntity[] = [];
  /** The transaction each insert was handed (undefined: on its own), in order. */
  readonly transactions: (Transaction | undefined)[] = [];
  now: () => Date = () => new Date();

  async insert(event: NewAuditEvent, tx?: Transaction): Promise<void> {
    if (tx !== undefined && !(tx instanceof Transaction)) throw new TypeError('not a Transaction');
    this.transactions.push(tx);
    this.rows.push(Object.assign(new AuditEventEntity(), structuredClone(event), { id: randomUUID(), at: this.now() }));
  }

  async list(filter: AuditEventFilter): Promise<{ rows: AuditEventEntity[]; total: number }> {
    const matches = this.rows
      .filter(
        (e) =>
          (!filter.action || e.action === filter.action) &&
          (!filter.actorId || e.actorId === filter.actorId) &&
          (!filter.targetType || e.targetType === filter.targetType) &&
          (!filter.targetId || e.targetId === filter.targetId) &&
          (!filter.from || e.at >= filter.from) &&
          (!filter.to || e.at < filter.to),
      )
      .sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    const rows = matches
      .slice(filter.offset, filter.offset + filter.limit)
      .map((e) => Object.assign(new AuditEventEntity(), structuredClone(e)));
    return { rows, total: matches.length };
  }
}
