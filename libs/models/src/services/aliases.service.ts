import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@app/audit';
import { Actor, Page, PageQueryDto, toPage } from '@app/common';
import { UnitOfWork } from '@app/database';
import { AliasDto } from '../dto/alias.dto';
import { effectiveStage } from '../domain/lifecycle';
import { PRODUCTION_ALIAS } from '../domain/model-name';
import { principalOf } from '../domain/principal';
import { ModelAliasNotFoundError, ModelVersionRetiredError, ReservedAliasError } from '../domain/registry-errors';
import { ModelAliasesRepository } from '../repositories/model-aliases.repository';
import { ModelVersionsRepository } from '../repositories/model-versions.repository';
import { ModelsRepository } from '../repositories/models.repository';
import { lockModelNamed, modelNamed, versionOf } from './lookups';
import { RegistryEvents } from './registry-events';

@Injectable()
export class AliasesService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly aliases: ModelAliasesRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly events: RegistryEvents,
  ) {}

  /** Stored aliases in name order, with the derived `production` alias first when there is one. */
  async list(name: string, query: PageQueryDto): Promise<Page<AliasDto>> {
    const model = await modelNamed(this.models, name);
    const production = await this.versions.findProduction(model.id);
    const stored = await this.aliases.listByModel(model.id);
    const all: AliasDto[] = [
      ...(production ? [{ alias: PRODUCTION_ALIAS, version: production.version, derived: true, updatedAt: null, updatedBy: null }] : []),
      ...stored.map((a) => ({
        alias: a.alias,
        version: a.version,
        derived: false,
        updatedAt: a.updatedAt.toISOString(),
        updatedBy: a.updatedBy,
      })),
    ];
    return toPage(all.slice(query.offset, query.offset + query.limit), all.length, query);
  }

  async set(name: string, alias: string, version: number, actor: Actor): Promise<AliasDto> {
    if (alias === PRODUCTION_ALIAS) throw new ReservedAliasError(alias);
    const saved = await this.transactions.run(async (tx) => {
      const model = await lockModelNamed(this.models, name, tx);
      const target = await versionOf(this.versions, model, version, tx);
      if (effectiveStage(target) === 'retired') throw new ModelVersionRetiredError(name, version, 'conflict');
      const previous = await this.aliases.find(model.id, alias, tx);
      await this.aliases.upsert({ modelId: model.id, alias, version, updatedBy: principalOf(actor) }, tx);
      await this.audit.record(
        {
          action: 'model-alias.set',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: { model: name, alias, version, previousVersion: previous?.version ?? null },
        },
        tx,
      );
      const stored = await this.aliases.find(model.id, alias, tx);
      if (!stored) throw new Error(`Alias "${alias}" of model "${name}" vanished inside its own transaction.`);
      return stored;
    });
    this.events.emit({ type: 'alias', modelName: name });
    return { alias, version: saved.version, derived: false, updatedAt: saved.updatedAt.toISOString(), updatedBy: saved.updatedBy };
  }

  async remove(name: string, alias: string, actor: Actor): Promise<void> {
    if (alias === PRODUCTION_ALIAS) throw new ReservedAliasError(alias);
    await this.transactions.run(async (tx) => {
      const model = await lockModelNamed(this.models, name, tx);
      const existing = await this.aliases.find(model.id, alias, tx);
      if (!existing) throw new ModelAliasNotFoundError(name, alias);
      await this.aliases.delete(model.id, alias, tx);
      await this.audit.record(
        {
          action: 'model-alias.deleted',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: { model: name, alias, version: existing.version },
        },
        tx,
      );
    });
    this.events.emit({ type: 'alias', modelName: name });
  }
}
