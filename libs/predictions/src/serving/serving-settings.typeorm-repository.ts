import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { ModelServingSettingsEntity } from '../entities/model-serving-settings.entity';
import { ServingSettings, ServingSettingsRepository } from './serving-settings.repository';

@Injectable()
export class TypeormServingSettingsRepository extends ServingSettingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(): Repository<ModelServingSettingsEntity> {
    return this.dataSource.getRepository(ModelServingSettingsEntity);
  }

  findByModelId(modelId: string): Promise<ModelServingSettingsEntity | null> {
    return this.repo().findOne({ where: { modelId } });
  }

  async upsert(modelId: string, settings: ServingSettings, updatedBy: string): Promise<ModelServingSettingsEntity> {
    await this.repo().upsert({ modelId, ...settings, updatedBy }, ['modelId']);
    return this.repo().findOneOrFail({ where: { modelId } });
  }
}
