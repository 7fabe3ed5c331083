import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, LessThan, Repository } from 'typeorm';
import { PredictionLogEntity } from '../entities/prediction-log.entity';
import { NewPredictionLog, PredictionLogsRepository } from './prediction-logs.repository';

@Injectable()
export class TypeormPredictionLogsRepository extends PredictionLogsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  private repo(): Repository<PredictionLogEntity> {
    return this.dataSource.getRepository(PredictionLogEntity);
  }

  async insertBatch(logs: readonly NewPredictionLog[]): Promise<void> {
    if (logs.length > 0) await this.repo().insert([...logs] as QueryDeepPartialEntity<PredictionLogEntity>[]);
  }

  async deleteExpired(now: Date): Promise<number> {
    const result = await this.repo().delete({ expiresAt: LessThan(now) });
    return result.affected ?? 0;
  }
}
