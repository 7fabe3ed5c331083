import { Injectable } from '@nestjs/common';
import type { Transaction } from '@app/database';
import { AuditEventInput, AuditService } from './audit.service';

/**
 * The audit log as domain services write it: inside a transaction (the event commits with the
 * change it describes) or on its own. A port, so that services see a Transaction, never an
 * EntityManager, and unit tests record events in memory.
 */
export abstract class AuditTrail {
  abstract record(event: AuditEventInput, tx?: Transaction): Promise<void>;
}

/** The trail over AuditService (and so over AuditEventsRepository): redaction and actor rules apply. */
@Injectable()
export class TypeormAuditTrail extends AuditTrail {
  constructor(private readonly audit: AuditService) {
    super();
  }

  record(event: AuditEventInput, tx?: Transaction): Promise<void> {
    return this.audit.record(event, tx);
  }
}
