import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not, Repository } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import { ModelTrafficEntity } from '../entities/model-traffic.entity';
import { isEmptySplit, ModelTrafficRepository, TrafficSplit } from './model-traffic.repository';

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

  async save(split: TrafficSplit, tx: Transaction): Promise<void> {
    if (isEmptySplit(split)) await this.delete(split.modelId, tx);
    else await this.repo(tx).upsert(split, ['modelId']);
  }

  async delete(modelId: string, tx: Transaction): Promise<void> {
    await this.repo(tx).delete({ modelId });
  }

  async clearCanaryOf(modelId: string, version: number, tx: Transaction): Promise<boolean> {
    const repo = this.repo(tx);
    // Rows left with nothing go first: the table refuses a row with neither a canary nor a shadow.
    const emptied = await repo.delete({ modelId, canaryVersion: version, shadowVersion: IsNull() });
    await repo.delete({ modelId, shadowVersion: version, canaryVersion: IsNull() });
    const both = await repo.delete({ modelId, canaryVersion: version, shadowVersion: version });
    const canary = await repo.update({ modelId, canaryVersion: version }, { canaryVersion: null, canaryPercent: null });
    await repo.update(
      { modelId, shadowVersion: version, canaryVersion: Not(IsNull()) },
      { shadowVersion: null, shadowPercent: null, shadowSince: null },
    );
    return (emptied.affected ?? 0) + (both.affected ?? 0) + (canary.affected ?? 0) > 0;
  }
}
