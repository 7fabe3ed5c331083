import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { AuditEventFilter, AuditEventsRepository, NewAuditEvent } from './audit-events.repository';
import { AuditEventEntity } from './entities/audit-event.entity';

@Injectable()
export class TypeormAuditEventsRepository extends AuditEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<AuditEventEntity> {
    return managerOf(tx, this.dataSource.manager).getRepository(AuditEventEntity);
  }

  async insert(event: NewAuditEvent, tx?: Transaction): Promise<void> {
    const row = Object.assign(new AuditEventEntity(), event);
    await this.repo(tx).save(row, { reload: false });
  }

  async list(filter: AuditEventFilter): Promise<{ rows: AuditEventEntity[]; total: number }> {
    const qb = this.repo().createQueryBuilder('e');
    if (filter.action) qb.andWhere('e.action = :action', { action: filter.action });
    if (filter.actorId) qb.andWhere('e.actor_id = :actorId', { actorId: filter.actorId });
    if (filter.targetType) qb.andWhere('e.target_type = :targetType', { targetType: filter.targetType });
    if (filter.targetId) qb.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    if (filter.from) qb.andWhere('e.at >= :from', { from: filter.from });
    if (filter.to) qb.andWhere('e.at < :to', { to: filter.to });
    const [rows, total] = await qb
      .orderBy('e.at', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { rows, total };
  }
}
