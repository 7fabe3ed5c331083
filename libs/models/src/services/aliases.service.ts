import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@app/audit';
import { Actor, Page, PageQueryDto, toPage } from '@app/common';
import { AliasDto } from '../dto/alias.dto';
import { effectiveStage } from '../domain/lifecycle';
import { PRODUCTION_ALIAS } from '../domain/model-name';
import { principalOf } from '../domain/principal';
import { ModelAliasNotFoundError, ModelVersionRetiredError, ReservedAliasError } from '../domain/registry-errors';
import { ModelAliasEntity } from '../entities/model-alias.entity';
import { findModel, findProductionVersion, findVersion, readOnly } from './persistence';
import { RegistryEvents } from './registry-events';

@Injectable()
export class AliasesService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
  ) {}

  /** Stored aliases in name order, with the derived `production` alias first when there is one. */
  async list(name: string, query: PageQueryDto): Promise<Page<AliasDto>> {
    return readOnly(this.db, async (m) => {
      const model = await findModel(m, name);
      const production = await findProductionVersion(m, model.id);
      const stored = await m.getRepository(ModelAliasEntity).find({ where: { modelId: model.id }, order: { alias: 'ASC' } });
      const all: AliasDto[] = [
        ...(production
          ? [{ alias: PRODUCTION_ALIAS, version: production.version, derived: true, updatedAt: null, updatedBy: null }]
          : []),
        ...stored.map((a) => ({
          alias: a.alias,
          version: a.version,
          derived: false,
          updatedAt: a.updatedAt.toISOString(),
          updatedBy: a.updatedBy,
        })),
      ];
      return toPage(all.slice(query.offset, query.offset + query.limit), all.length, query);
    });
  }

  async set(name: string, alias: string, version: number, actor: Actor): Promise<AliasDto> {
    if (alias === PRODUCTION_ALIAS) throw new ReservedAliasError(alias);
    const saved = await this.db.transaction(async (m) => {
      const model = await findModel(m, name, { lock: true });
      const target = await findVersion(m, model, version);
      if (effectiveStage(target) === 'retired') throw new ModelVersionRetiredError(name, version, 'conflict');
      const repo = m.getRepository(ModelAliasEntity);
      const previous = await repo.findOne({ where: { modelId: model.id, alias } });
      await repo.upsert({ modelId: model.id, alias, version, updatedBy: principalOf(actor) }, ['modelId', 'alias']);
      await this.audit.record(
        {
          action: 'model-alias.set',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: { model: name, alias, version, previousVersion: previous?.version ?? null },
        },
        m,
      );
      return repo.findOneOrFail({ where: { modelId: model.id, alias } });
    });
    this.events.emit({ type: 'alias', modelName: name });
    return { alias, version: saved.version, derived: false, updatedAt: saved.updatedAt.toISOString(), updatedBy: saved.updatedBy };
  }

  async remove(name: string, alias: string, actor: Actor): Promise<void> {
    if (alias === PRODUCTION_ALIAS) throw new ReservedAliasError(alias);
    await this.db.transaction(async (m) => {
      const model = await findModel(m, name, { lock: true });
      const repo = m.getRepository(ModelAliasEntity);
      const existing = await repo.findOne({ where: { modelId: model.id, alias } });
      if (!existing) throw new ModelAliasNotFoundError(name, alias);
      await repo.delete({ modelId: model.id, alias });
      await this.audit.record(
        { action: 'model-alias.deleted', actor, targetType: 'model', targetId: model.id, details: { model: name, alias, version: existing.version } },
        m,
      );
    });
    this.events.emit({ type: 'alias', modelName: name });
  }
}
