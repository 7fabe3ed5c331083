import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@app/audit';
import { Actor, Page, toPage } from '@app/common';
import { CreateModelDto } from '../dto/create-model.dto';
import { ListModelsQueryDto } from '../dto/list-models.query.dto';
import { ModelDto } from '../dto/model.dto';
import { UpdateModelDto } from '../dto/update-model.dto';
import { etagOf, ifMatchSatisfied } from '../domain/etag';
import { ModelAlreadyExistsError, ModelHasProductionVersionError, PreconditionFailedError } from '../domain/registry-errors';
import { ModelEntity } from '../entities/model.entity';
import { findModel, findProductionVersion, isUniqueViolation, productionVersions, readOnly } from './persistence';
import { RegistryEvents } from './registry-events';
import { toModelDto } from './views';

@Injectable()
export class ModelsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
    private readonly events: RegistryEvents,
  ) {}

  async create(dto: CreateModelDto, actor: Actor | null): Promise<ModelDto> {
    const created = await this.db
      .transaction(async (m) => {
        // The unique constraint decides races; this check keeps the common case out of the error log.
        if (await m.getRepository(ModelEntity).exists({ where: { name: dto.name }, withDeleted: true })) {
          throw new ModelAlreadyExistsError(dto.name);
        }
        const model = await m.getRepository(ModelEntity).save(
          m.getRepository(ModelEntity).create({
            name: dto.name,
            description: dto.description ?? null,
            task: dto.task ?? null,
            tags: unique(dto.tags ?? []),
          }),
        );
        await this.audit.record(
          { action: 'model.created', actor, targetType: 'model', targetId: model.id, details: { model: model.name } },
          m,
        );
        return model;
      })
      .catch((error: unknown) => {
        // Names stay taken after a soft delete; the constraint covers both cases and races.
        if (isUniqueViolation(error, 'models_name_key')) throw new ModelAlreadyExistsError(dto.name);
        throw error;
      });
    this.events.emit({ type: 'model', modelName: created.name });
    return toModelDto(created, null);
  }

  async list(query: ListModelsQueryDto): Promise<Page<ModelDto>> {
    return readOnly(this.db, async (m) => {
      const qb = m.getRepository(ModelEntity).createQueryBuilder('m');
      if (query.tag) qb.andWhere(':tag = ANY(m.tags)', { tag: query.tag });
      if (query.task) qb.andWhere('m.task = :task', { task: query.task });
      if (query.q) {
        qb.andWhere(`(m.name ILIKE :q ESCAPE '\\' OR m.description ILIKE :q ESCAPE '\\')`, { q: `%${escapeLike(query.q)}%` });
      }
      const [rows, total] = await qb.orderBy('m.name', 'ASC').take(query.limit).skip(query.offset).getManyAndCount();
      const production = await productionVersions(
        m,
        rows.map((r) => r.id),
      );
      return toPage(
        rows.map((r) => toModelDto(r, production.get(r.id) ?? null)),
        total,
        query,
      );
    });
  }

  async get(name: string): Promise<ModelDto> {
    return readOnly(this.db, async (m) => {
      const model = await findModel(m, name);
      return toModelDto(model, (await findProductionVersion(m, model.id))?.version ?? null);
    });
  }

  async update(name: string, dto: UpdateModelDto, ifMatch: string | undefined, actor: Actor | null): Promise<ModelDto> {
    const updated = await this.db.transaction(async (m) => {
      const model = await findModel(m, name, { lock: true });
      const production = (await findProductionVersion(m, model.id))?.version ?? null;
      const current = etagOf(toModelDto(model, production));
      if (!ifMatchSatisfied(ifMatch, current)) throw new PreconditionFailedError(current);
      const changes: Partial<ModelEntity> = {};
      if (dto.description !== undefined) changes.description = dto.description;
      if (dto.task !== undefined) changes.task = dto.task;
      if (dto.tags !== undefined) changes.tags = unique(dto.tags);
      if (Object.keys(changes).length) {
        await m.getRepository(ModelEntity).update({ id: model.id }, changes);
        await this.audit.record(
          { action: 'model.updated', actor, targetType: 'model', targetId: model.id, details: { model: name, changes } },
          m,
        );
      }
      return toModelDto(await findModel(m, name), production);
    });
    this.events.emit({ type: 'model', modelName: name });
    return updated;
  }

  /** Soft delete; the name stays reserved. While a version is in production it takes `force` (admin). */
  async remove(name: string, force: boolean, actor: Actor | null): Promise<void> {
    await this.db.transaction(async (m) => {
      const model = await findModel(m, name, { lock: true });
      const production = await findProductionVersion(m, model.id);
      if (production && !force) throw new ModelHasProductionVersionError(name, production.version);
      await m.getRepository(ModelEntity).softDelete({ id: model.id });
      await this.audit.record(
        {
          action: 'model.deleted',
          actor,
          targetType: 'model',
          targetId: model.id,
          details: { model: name, force, productionVersion: production?.version ?? null },
        },
        m,
      );
    });
    this.events.emit({ type: 'model', modelName: name });
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
