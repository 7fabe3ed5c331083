import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { ModelAliasEntity } from '../entities/model-alias.entity';
import { AliasAssignment, ModelAliasesRepository } from './model-aliases.repository';

@Injectable()
export class TypeormModelAliasesRepository extends ModelAliasesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<ModelAliasEntity> {
    return (tx ? managerOf(tx) : this.dataSource.manager).getRepository(ModelAliasEntity);
  }

  listByModel(modelId: string): Promise<ModelAliasEntity[]> {
    return this.repo().find({ where: { modelId }, order: { alias: 'ASC' } });
  }

  find(modelId: string, alias: string, tx?: Transaction): Promise<ModelAliasEntity | null> {
    return this.repo(tx).findOne({ where: { modelId, alias } });
  }

  async upsert(assignment: AliasAssignment, tx: Transaction): Promise<void> {
    await this.repo(tx).upsert(assignment, ['modelId', 'alias']);
  }

  async delete(modelId: string, alias: string, tx: Transaction): Promise<void> {
    await this.repo(tx).delete({ modelId, alias });
  }
}
