import { Injectable } from '@nestjs/common';
import { AuditTrail } from '@app/audit';
import { Actor, ForbiddenError, hasRole, Page, toPage } from '@app/common';
import { UnitOfWork } from '@app/database';
import { CreateModelDto } from '../dto/create-model.dto';
import { ListModelsQueryDto } from '../dto/list-models.query.dto';
import { ModelDto } from '../dto/model.dto';
import { UpdateModelDto } from '../dto/update-model.dto';
import { etagOf, ifMatchSatisfied } from '../domain/etag';
import { ModelAlreadyExistsError, ModelHasProductionVersionError, PreconditionFailedError } from '../domain/registry-errors';
import { ModelVersionsRepository, ServedVersion } from '../repositories/model-versions.repository';
import { ModelChanges, ModelNameTaken, ModelsRepository } from '../repositories/models.repository';
import { lockModelNamed, modelNamed } from './lookups';
import { RegistryEvents } from './registry-events';
import { toModelDto } from './views';

@Injectable()
export class ModelsService {
  constructor(
    private readonly models: ModelsRepository,
    private readonly versions: ModelVersionsRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly events: RegistryEvents,
  ) {}

  async create(dto: CreateModelDto, actor: Actor | null): Promise<ModelDto> {
    const created = await this.transactions
      .run(async (tx) => {
        // The unique constraint decides races; this check keeps the common case out of the error log.
        if (await this.models.nameTaken(dto.name, tx)) throw new ModelAlreadyExistsError(dto.name);
        const model = await this.models.insert(
          { name: dto.name, description: dto.description ?? null, task: dto.task ?? null, tags: unique(dto.tags ?? []) },
          tx,
        );
        await this.audit.record(
          { action: 'model.created', actor, targetType: 'model', targetId: model.id, details: { model: model.name } },
          tx,
        );
        return model;
      })
      .catch((error: unknown) => {
        // Names stay taken after a soft delete; the constraint covers both cases and races.
        if (error instanceof ModelNameTaken) throw new ModelAlreadyExistsError(dto.name);
        throw error;
      });
    this.events.emit({ type: 'model', modelName: created.name });
    return toModelDto(created, null, []);
  }

  async list(query: ListModelsQueryDto): Promise<Page<ModelDto>> {
    const { rows, total } = await this.models.list({
      tag: query.tag,
      task: query.task,
      q: query.q,
      limit: query.limit,
      offset: query.offset,
    });
    const served = await this.versions.servedVersions(rows.map((r) => r.id));
    const now = new Date();
    return toPage(
      rows.map((r) => toModelDto(r, productionOf(served.get(r.id) ?? []), served.get(r.id) ?? [], now)),
      total,
      query,
    );
  }

  async get(name: string): Promise<ModelDto> {
    const model = await modelNamed(this.models, name);
    const versions = (await this.versions.servedVersions([model.id])).get(model.id) ?? [];
    return toModelDto(model, productionOf(versions), versions);
  }

  async update(name: string, dto: UpdateModelDto, ifMatch: string | undefined, actor: Actor | null): Promise<ModelDto> {
    const updated = await this.transactions.run(async (tx) => {
      // Under the model's lock (stage changes take it too): the ETag compared is the one a GET reads.
      const model = await lockModelNamed(this.models, name, tx);
      const versions = (await this.versions.servedVersions([model.id], tx)).get(model.id) ?? [];
      const current = etagOf(toModelDto(model, productionOf(versions), versions));
      if (!ifMatchSatisfied(ifMatch, current)) throw new PreconditionFailedError(current);
      const changes: ModelChanges = {};
      if (dto.description !== undefined) changes.description = dto.description;
      if (dto.task !== undefined) changes.task = dto.task;
      if (dto.tags !== undefined) changes.tags = unique(dto.tags);
      if (dto.requireApproval !== undefined) {
        if (!actor || !hasRole(actor.caller.roles, 'admin')) {
          throw new ForbiddenError('Only an admin may change whether promotions of this model need approval.', 'INSUFFICIENT_ROLE');
        }
        changes.requireApproval = dto.requireApproval;
      }
      if (Object.keys(changes).length) {
        await this.models.update(model.id, changes, tx);
        await this.audit.record(
          { action: 'model.updated', actor, targetType: 'model', targetId: model.id, details: { model: name, changes } },
          tx,
        );
      }
      // A model's PATCH never moves a version: the status read under the lock is still current.
      return toModelDto(await modelNamed(this.models, name, tx), productionOf(versions), versions);
    });
    this.events.emit({ type: 'model', modelName: name });
    return updated;
  }

  /** Soft delete; the name stays reserved. While a version is in production it takes `force` (admin). */
  async remove(name: string, force: boolean, actor: Actor | null): Promise<void> {
    await this.transactions.run(async (tx) => {
      const model = await lockModelNamed(this.models, name, tx);
      const production = await this.versions.findProduction(model.id, tx);
      if (production && !force) throw new ModelHasProductionVersionError(name, production.version);
      await this.models.softDelete(model.id, tx);
      await this.audit.record(
        {
          action: 'model.deleted',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: { model: name, force, productionVersion: production?.version ?? null },
        },
        tx,
      );
    });
    this.events.emit({ type: 'model', modelName: name });
  }
}

/** The stored production stage (never past a sunset: only deprecated versions have one). */
function productionOf(versions: readonly ServedVersion[]): number | null {
  return versions.find((v) => v.stage === 'production')?.version ?? null;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
