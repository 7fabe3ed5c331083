import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@app/audit';
import { Actor, ConflictError } from '@app/common';
import { SetTrafficDto, TrafficDto } from '../dto/traffic.dto';
import { effectiveStage } from '../domain/lifecycle';
import { principalOf } from '../domain/principal';
import { ModelVersionRetiredError } from '../domain/registry-errors';
import { ModelTrafficEntity } from '../entities/model-traffic.entity';
import { findModel, findProductionVersion, findVersion, readOnly } from './persistence';
import { RegistryEvents } from './registry-events';

/** The canary split is stored here; the serving layer applies it to production traffic. */
@Injectable()
export class TrafficService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
  ) {}

  async get(name: string): Promise<TrafficDto> {
    return readOnly(this.db, async (m) => {
      const model = await findModel(m, name);
      const row = await m.getRepository(ModelTrafficEntity).findOne({ where: { modelId: model.id } });
      return { canary: row ? { version: row.canaryVersion, percent: row.canaryPercent } : null };
    });
  }

  async set(name: string, dto: SetTrafficDto, actor: Actor): Promise<TrafficDto> {
    const result = await this.db.transaction(async (m) => {
      const model = await findModel(m, name, { lock: true });
      const repo = m.getRepository(ModelTrafficEntity);
      const previous = await repo.findOne({ where: { modelId: model.id } });
      const before = previous ? { version: previous.canaryVersion, percent: previous.canaryPercent } : null;
      if (dto.canary === null) {
        await repo.delete({ modelId: model.id });
      } else {
        const { version, percent } = dto.canary;
        const target = await findVersion(m, model, version);
        const stage = effectiveStage(target);
        if (stage === 'retired') throw new ModelVersionRetiredError(name, version, 'conflict');
        if (stage === 'draft') {
          // A canary serves consumers, who may not call draft versions.
          throw new ConflictError('CANARY_VERSION_NOT_ELIGIBLE', `Version ${version} is a draft; promote it to staging before it takes traffic.`);
        }
        const production = await findProductionVersion(m, model.id);
        if (production?.version === version) {
          throw new ConflictError('CANARY_VERSION_NOT_ELIGIBLE', `Version ${version} is the production version; a canary must be another version.`);
        }
        await repo.upsert({ modelId: model.id, canaryVersion: version, canaryPercent: percent, updatedBy: principalOf(actor) }, ['modelId']);
      }
      await this.audit.record(
        {
          action: dto.canary ? 'model-traffic.set' : 'model-traffic.cleared',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: { model: name, canary: dto.canary ? { ...dto.canary } : null, previous: before },
        },
        m,
      );
      return { canary: dto.canary ? { version: dto.canary.version, percent: dto.canary.percent } : null };
    });
    this.events.emit({ type: 'traffic', modelName: name });
    return result;
  }
}
