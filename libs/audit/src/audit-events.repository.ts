import type { Transaction } from '@app/database';
import type { AuditEventEntity } from './entities/audit-event.entity';

/** A row as AuditService builds it (details already redacted); the table fills in id and time. */
export type NewAuditEvent = Omit<AuditEventEntity, 'id' | 'at'>;

/** Filters combine with AND; `from` is inclusive, `to` exclusive. */
export interface AuditEventFilter {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  offset: number;
}

/** The audit_events table (DI token; the TypeORM implementation is bound in AuditModule). Append-only. */
export abstract class AuditEventsRepository {
  /** Appends one event; inside `tx` it commits (or rolls back) with the change it describes. */
  abstract insert(event: NewAuditEvent, tx?: Transaction): Promise<void>;
  /** Newest first (at, then id, descending); `total` counts every match. */
  abstract list(filter: AuditEventFilter): Promise<{ rows: AuditEventEntity[]; total: number }>;
}
