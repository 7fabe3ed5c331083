import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { Actor, Page, toPage } from '@app/common';
import { AuditEventDto, toAuditEventDto } from './dto/audit-event.dto';
import { ListAuditEventsQueryDto } from './dto/list-audit-events.query.dto';
import { AuditEventEntity } from './entities/audit-event.entity';
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
  constructor(@InjectRepository(AuditEventEntity) private readonly events: Repository<AuditEventEntity>) {}

  /** Appends one event; pass the caller's transaction manager so the event commits with the change. */
  async record(event: AuditEventInput, manager?: EntityManager): Promise<void> {
    const actor = event.actor ?? null;
    const repo = manager ? manager.getRepository(AuditEventEntity) : this.events;
    const row = new AuditEventEntity();
    Object.assign(row, {
      action: event.action,
      actorId: actor?.caller.id ?? null,
      actorKind: actor ? actor.caller.kind : event.ip || event.requestId ? 'anonymous' : 'system',
      actorEmail: actor?.caller.email ?? null,
      targetType: event.targetType ?? null,
      targetId: event.targetId ?? null,
      ip: actor?.ip ?? event.ip ?? null,
      requestId: actor?.requestId ?? event.requestId ?? null,
      details: redactSecrets(event.details ?? {}) as Record<string, unknown>,
    } satisfies Omit<AuditEventEntity, 'id' | 'at'>);
    await repo.save(row, { reload: false });
  }

  async list(query: ListAuditEventsQueryDto): Promise<Page<AuditEventDto>> {
    const qb = this.events.createQueryBuilder('e');
    if (query.action) qb.andWhere('e.action = :action', { action: query.action });
    if (query.actorId) qb.andWhere('e.actor_id = :actorId', { actorId: query.actorId });
    if (query.targetType) qb.andWhere('e.target_type = :targetType', { targetType: query.targetType });
    if (query.targetId) qb.andWhere('e.target_id = :targetId', { targetId: query.targetId });
    if (query.from) qb.andWhere('e.at >= :from', { from: new Date(query.from) });
    if (query.to) qb.andWhere('e.at < :to', { to: new Date(query.to) });
    const [rows, total] = await qb
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(query.limit)
      .skip(query.offset)
      .getManyAndCount();
    return toPage(rows.map(toAuditEventDto), total, query);
  }
}
