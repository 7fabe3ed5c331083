import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { PromotionRequestEntity } from '../entities/promotion-request.entity';
import { NewPromotionRequest, PromotionDecision, PromotionFilter, PromotionRequestsRepository } from './promotion-requests.repository';

@Injectable()
export class TypeormPromotionRequestsRepository extends PromotionRequestsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<PromotionRequestEntity> {
    return managerOf(tx, this.dataSource.manager).getRepository(PromotionRequestEntity);
  }

  async insert(request: NewPromotionRequest, tx: Transaction): Promise<PromotionRequestEntity> {
    const row = Object.assign(new PromotionRequestEntity(), request, { status: 'pending' });
    return this.repo(tx).save(row);
  }

  findPendingForVersion(versionId: string, tx: Transaction): Promise<PromotionRequestEntity | null> {
    return this.repo(tx).findOne({ where: { versionId, status: 'pending' } });
  }

  findByIdForUpdate(id: string, tx: Transaction): Promise<PromotionRequestEntity | null> {
    return this.repo(tx).createQueryBuilder('r').where('r.id = :id', { id }).setLock('pessimistic_write').getOne();
  }

  async list(filter: PromotionFilter): Promise<{ rows: PromotionRequestEntity[]; total: number }> {
    const qb = this.repo().createQueryBuilder('r');
    if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
    if (filter.model) qb.andWhere('r.model_name = :model', { model: filter.model });
    const [rows, total] = await qb
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { rows, total };
  }

  async decide(id: string, decision: PromotionDecision, tx: Transaction): Promise<PromotionRequestEntity> {
    await this.repo(tx).update({ id }, { ...decision, decidedAt: () => 'now()' });
    return this.repo(tx).findOneOrFail({ where: { id } });
  }

  async markStale(versionId: string, tx: Transaction): Promise<PromotionRequestEntity[]> {
    const pending = await this.repo(tx).find({ where: { versionId, status: 'pending' } });
    if (!pending.length) return [];
    await this.repo(tx).update({ versionId, status: 'pending' }, { status: 'stale', decidedAt: () => 'now()' });
    return pending.map((r) => Object.assign(r, { status: 'stale' as const }));
  }
}
