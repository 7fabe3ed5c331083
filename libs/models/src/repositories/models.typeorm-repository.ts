import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { managerOf, Transaction, uniqueViolationOf } from '@app/database';
import { ModelEntity } from '../entities/model.entity';
import { ModelChanges, ModelFilter, ModelNameTaken, ModelsRepository, NewModel } from './models.repository';

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

@Injectable()
export class TypeormModelsRepository extends ModelsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  /** Without a transaction, reads run on the pool: no BEGIN/COMMIT round trips for a GET. */
  private manager(tx?: Transaction): EntityManager {
    return tx ? managerOf(tx) : this.dataSource.manager;
  }

  private repo(tx?: Transaction): Repository<ModelEntity> {
    return this.manager(tx).getRepository(ModelEntity);
  }

  nameTaken(name: string, tx?: Transaction): Promise<boolean> {
    return this.repo(tx).exists({ where: { name }, withDeleted: true });
  }

  async insert(model: NewModel, tx: Transaction): Promise<ModelEntity> {
    const repo = this.repo(tx);
    try {
      return await repo.save(repo.create(model));
    } catch (error) {
      if (uniqueViolationOf(error)?.constraint === 'models_name_key') throw new ModelNameTaken(model.name);
      throw error;
    }
  }

  async insertIfAbsent(name: string, task: string | null, tx: Transaction): Promise<string | null> {
    const inserted = (await this.manager(tx).query(
      `INSERT INTO models (name, task) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id`,
      [name, task],
    )) as { id: string }[];
    return inserted.length ? inserted[0].id : null;
  }

  async list(filter: ModelFilter): Promise<{ rows: ModelEntity[]; total: number }> {
    const qb = this.repo().createQueryBuilder('m');
    if (filter.tag) qb.andWhere(':tag = ANY(m.tags)', { tag: filter.tag });
    if (filter.task) qb.andWhere('m.task = :task', { task: filter.task });
    if (filter.q) {
      qb.andWhere(`(m.name ILIKE :q ESCAPE '\\' OR m.description ILIKE :q ESCAPE '\\')`, { q: `%${escapeLike(filter.q)}%` });
    }
    const [rows, total] = await qb.orderBy('m.name', 'ASC').take(filter.limit).skip(filter.offset).getManyAndCount();
    return { rows, total };
  }

  findByName(name: string, tx?: Transaction): Promise<ModelEntity | null> {
    return this.repo(tx).createQueryBuilder('m').where('m.name = :name', { name }).getOne();
  }

  findByNameForUpdate(name: string, tx: Transaction): Promise<ModelEntity | null> {
    return this.repo(tx).createQueryBuilder('m').where('m.name = :name', { name }).setLock('pessimistic_write').getOne();
  }

  findByIdWithDeleted(id: string, tx: Transaction): Promise<ModelEntity | null> {
    return this.repo(tx).findOne({ where: { id }, withDeleted: true });
  }

  async update(id: string, changes: ModelChanges, tx: Transaction): Promise<void> {
    await this.repo(tx).update({ id }, changes);
  }

  async softDelete(id: string, tx: Transaction): Promise<void> {
    await this.repo(tx).softDelete({ id });
  }

  async allocateVersion(id: string, tx: Transaction): Promise<number | null> {
    const [rows] = (await this.manager(tx).query(
      `UPDATE models SET last_version = last_version + 1 WHERE id = $1 AND deleted_at IS NULL RETURNING last_version`,
      [id],
    )) as [{ last_version: number }[], number];
    return rows.length ? rows[0].last_version : null;
  }
}
