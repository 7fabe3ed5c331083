import { Injectable } from '@nestjs/common';
import { Actor, Page, toPage } from '@app/common';
import { Transaction } from '@app/database';
import { AuditEventsRepository } from './audit-events.repository';
import { AuditEventDto, toAuditEventDto } from './dto/audit-event.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query.dto';
import { redactSecrets } from './redact';

export interface AuditEventInput {
  /** What happened, dotted and past tense: `auth.login.succeeded`, `model-version.transitioned`. */
  action: string;
  /** Who did it; null (or absent) for the system itself. */
  actor?: Actor | null;
  targetType?: string;
  targetId?: string;
  /** Context for a human reader. Keys naming secrets are redacted before storage. */
  details?: Record<string, unknown>;
  /** Where an unauthenticated call came from (failed logins), when there is no actor. */
  ip?: string;
  requestId?: string;
}

@Injectable()
export class AuditService {
  constructor(private readonly events: AuditEventsRepository) {}

  /** Appends one event; pass the caller's transaction so the event commits with the change. */
  async record(event: AuditEventInput, tx?: Transaction): Promise<void> {
    const actor = event.actor ?? null;
    await this.events.insert(
      {
        action: event.action,
        actorId: actor?.caller.id ?? null,
        actorKind: actor ? actor.caller.kind : event.ip || event.requestId ? 'anonymous' : 'system',
        actorEmail: actor?.caller.email ?? null,
        targetType: event.targetType ?? null,
        targetId: event.targetId ?? null,
        ip: actor?.ip ?? event.ip ?? null,
        requestId: actor?.requestId ?? event.requestId ?? null,
        details: redactSecrets(event.details ?? {}) as Record<string, unknown>,
      },
      tx,
    );
  }

  async list(query: ListAuditEventsQueryDto): Promise<Page<AuditEventDto>> {
    const { rows, total } = await this.events.list({
      action: query.action,
      actorId: query.actorId,
      targetType: query.targetType,
      targetId: query.targetId,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      limit: query.limit,
      offset: query.offset,
    });
    return toPage(rows.map(toAuditEventDto), total, query);
  }
}
