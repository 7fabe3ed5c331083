import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { LifecycleState } from '../domain/lifecycle';
import { ModelEntity } from '../entities/model.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { StageTransitionEntity } from '../entities/stage-transition.entity';
import {
  ModelVersionsRepository,
  NewModelVersion,
  NewStageTransition,
  ProductionVersion,
  ServedVersion,
  VersionDetails,
  VersionFilter,
} from './model-versions.repository';
import { conflictOnUniqueViolation } from './registry-write-conflict';

@Injectable()
export class TypeormModelVersionsRepository extends ModelVersionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /** Without a transaction, reads run on the pool: no BEGIN/COMMIT round trips for a GET. */
  private manager(tx?: Transaction): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  private repo(tx?: Transaction): Repository<ModelVersionEntity> {
    return this.manager(tx).getRepository(ModelVersionEntity);
  }

  insert(version: NewModelVersion, tx: Transaction): Promise<ModelVersionEntity> {
    const repo = this.repo(tx);
    return conflictOnUniqueViolation(repo.save(repo.create(version)));
  }

  async list(modelId: string, filter: VersionFilter): Promise<{ rows: ModelVersionEntity[]; total: number }> {
    const { now } = filter;
    const qb = this.repo().createQueryBuilder('v').where('v.model_id = :modelId', { modelId });
    if (filter.stage === 'retired') {
      qb.andWhere(`(v.stage = 'retired' OR (v.stage = 'deprecated' AND v.sunset_at <= :now))`, { now });
    } else if (filter.stage === 'deprecated') {
      qb.andWhere(`v.stage = 'deprecated' AND v.sunset_at > :now`, { now });
    } else if (filter.stage) {
      qb.andWhere('v.stage = :stage', { stage: filter.stage });
    }
    const [rows, total] = await qb.orderBy('v.version', 'DESC').take(filter.limit).skip(filter.offset).getManyAndCount();
    return { rows, total };
  }

  listAll(modelId: string): Promise<ModelVersionEntity[]> {
    return this.repo().find({ where: { modelId }, order: { version: 'DESC' } });
  }

  findByNumber(modelId: string, version: number, tx?: Transaction): Promise<ModelVersionEntity | null> {
    return this.byNumber(modelId, version, false, tx);
  }

  findByNumberForUpdate(modelId: string, version: number, tx: Transaction): Promise<ModelVersionEntity | null> {
    return this.byNumber(modelId, version, true, tx);
  }

  findProduction(modelId: string, tx?: Transaction): Promise<ModelVersionEntity | null> {
    return this.production(modelId, false, tx);
  }

  findProductionForUpdate(modelId: string, tx: Transaction): Promise<ModelVersionEntity | null> {
    return this.production(modelId, true, tx);
  }

  async servedVersions(modelIds: string[], tx?: Transaction): Promise<Map<string, ServedVersion[]>> {
    const served = new Map<string, ServedVersion[]>(modelIds.map((id) => [id, []]));
    if (modelIds.length === 0) return served;
    const rows = await this.repo(tx)
      .createQueryBuilder('v')
      .select(['v.modelId', 'v.version', 'v.stage', 'v.sunsetAt'])
      .where(`v.model_id IN (:...modelIds) AND v.stage IN ('staging', 'production', 'deprecated')`, { modelIds })
      .orderBy('v.version', 'DESC')
      .getMany();
    for (const r of rows) served.get(r.modelId)?.push({ version: r.version, stage: r.stage, sunsetAt: r.sunsetAt });
    return served;
  }

  async listLiveProduction(): Promise<ProductionVersion[]> {
    const rows = await this.repo()
      .createQueryBuilder('v')
      .innerJoinAndMapOne('v.model', ModelEntity, 'm', 'm.id = v.model_id AND m.deleted_at IS NULL')
      .where(`v.stage = 'production'`)
      .orderBy('m.name', 'ASC')
      .getMany();
    return rows.map((r) => ({ model: (r as ModelVersionEntity & { model: ModelEntity }).model, version: r }));
  }

  async listDeprecated(filter: { before?: Date; limit: number; offset: number }): Promise<{ rows: ProductionVersion[]; total: number }> {
    const qb = this.repo()
      .createQueryBuilder('v')
      .innerJoinAndMapOne('v.model', ModelEntity, 'm', 'm.id = v.model_id AND m.deleted_at IS NULL')
      .where(`v.stage = 'deprecated'`);
    if (filter.before) qb.andWhere('v.sunset_at < :before', { before: filter.before });
    const [rows, total] = await qb
      .orderBy('v.sunset_at', 'ASC', 'NULLS LAST')
      .addOrderBy('m.name', 'ASC')
      .addOrderBy('v.version', 'ASC')
      .take(filter.limit)
      .skip(filter.offset)
      .getManyAndCount();
    return { rows: rows.map((r) => ({ model: (r as ModelVersionEntity & { model: ModelEntity }).model, version: r })), total };
  }

  lockSunsetDue(now: Date, limit: number, tx: Transaction): Promise<ModelVersionEntity[]> {
    return this.repo(tx)
      .createQueryBuilder('v')
      .where(`v.stage = 'deprecated' AND v.sunset_at <= :now`, { now })
      .orderBy('v.sunset_at', 'ASC')
      .take(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  async updateLifecycle(id: string, state: LifecycleState, tx: Transaction): Promise<void> {
    await conflictOnUniqueViolation(
      this.repo(tx).update(
        { id },
        { stage: state.stage, deprecatedAt: state.deprecatedAt, sunsetAt: state.sunsetAt, successorVersion: state.successorVersion },
      ),
    );
  }

  async updateDetails(id: string, details: VersionDetails, tx: Transaction): Promise<void> {
    if (Object.keys(details).length === 0) return;
    await this.repo(tx).update({ id }, details);
  }

  async addTransition(transition: NewStageTransition, tx: Transaction): Promise<void> {
    await this.manager(tx).getRepository(StageTransitionEntity).insert(transition);
  }

  transitions(versionId: string): Promise<StageTransitionEntity[]> {
    return this.manager()
      .getRepository(StageTransitionEntity)
      .createQueryBuilder('t')
      .where('t.version_id = :id', { id: versionId })
      .orderBy('t.at', 'ASC')
      .getMany();
  }

  private byNumber(modelId: string, version: number, lock: boolean, tx?: Transaction): Promise<ModelVersionEntity | null> {
    const qb = this.repo(tx).createQueryBuilder('v').where('v.model_id = :modelId AND v.version = :version', { modelId, version });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }

  private production(modelId: string, lock: boolean, tx?: Transaction): Promise<ModelVersionEntity | null> {
    const qb = this.repo(tx).createQueryBuilder('v').where(`v.model_id = :modelId AND v.stage = 'production'`, { modelId });
    if (lock) qb.setLock('pessimistic_write');
    return qb.getOne();
  }
}
