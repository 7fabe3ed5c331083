import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { ModelTrafficEntity } from '../entities/model-traffic.entity';
import { CanaryAssignment, ModelTrafficRepository } from './model-traffic.repository';

@Injectable()
export class TypeormModelTrafficRepository extends ModelTrafficRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(tx?: Transaction): Repository<ModelTrafficEntity> {
    return (tx ? managerOf(tx) : this.dataSource.manager).getRepository(ModelTrafficEntity);
  }

  find(modelId: string, tx?: Transaction): Promise<ModelTrafficEntity | null> {
    return this.repo(tx).findOne({ where: { modelId } });
  }

  async upsert(canary: CanaryAssignment, tx: Transaction): Promise<void> {
    await this.repo(tx).upsert(canary, ['modelId']);
  }

  async delete(modelId: string, tx: Transaction): Promise<void> {
    await this.repo(tx).delete({ modelId });
  }

  async clearCanaryOf(modelId: string, version: number, tx: Transaction): Promise<boolean> {
    const deleted = await this.repo(tx).delete({ modelId, canaryVersion: version });
    return (deleted.affected ?? 0) > 0;
  }
}
