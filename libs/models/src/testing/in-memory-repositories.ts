import { randomUUID } from 'node:crypto';
import { InMemoryAuditTrail, InMemoryEventOutbox } from '@app/audit/testing';
import { InMemoryPromotionRequestsRepository } from './in-memory-promotion-requests';
import type { LifecycleState } from '../domain/lifecycle';
import { effectiveStage } from '../domain/lifecycle';
import type { ModelAliasEntity } from '../entities/model-alias.entity';
import type { ModelEntity } from '../entities/model.entity';
import type { ModelTrafficEntity } from '../entities/model-traffic.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { StageTransitionEntity } from '../entities/stage-transition.entity';
import { AliasAssignment, ModelAliasesRepository } from '../repositories/model-aliases.repository';
import { isEmptySplit, ModelTrafficRepository, TrafficSplit } from '../repositories/model-traffic.repository';
import {
  ModelVersionsRepository,
  NewModelVersion,
  NewStageTransition,
  ProductionVersion,
  ServedVersion,
  VersionDetails,
  VersionFilter,
} from '../repositories/model-versions.repository';
import { ModelChanges, ModelFilter, ModelNameTaken, ModelsRepository, NewModel } from '../repositories/models.repository';
import { RegistryWriteConflict } from '../repositories/registry-write-conflict';
import { NewProfile, StoredProfile, VersionProfilesRepository } from '../repositories/version-profiles.repository';
import { Transaction } from '@app/database';
import { copyRow, InMemoryTransaction, InMemoryUnitOfWork, locksOf, Store } from '@app/database/testing';

export { InMemoryAuditTrail, InMemoryTransaction, InMemoryUnitOfWork };

/**
 * In-memory repositories for unit tests of the registry's services: no database, no server. Rows
 * are copied in and out, a unit of work rolls every store back when its work throws (so a failed
 * upload gives its version number back, as on Postgres), the constraints the services rely on
 * (unique names, version numbers, one production version per model) are enforced, and each
 * transaction notes the row locks it took, in order ("model:<name>:update", "version:<id>:update").
 */
class ArrayStore<T> implements Store {
  rows: T[] = [];

  snapshot(): () => void {
    const saved = this.rows.map(copyRow);
    return () => {
      this.rows = saved;
    };
  }
}

export class InMemoryModelsRepository extends ModelsRepository implements Store {
  readonly store = new ArrayStore<ModelEntity>();
  snapshot = () => this.store.snapshot();

  private live(): ModelEntity[] {
    return this.store.rows.filter((m) => m.deletedAt === null);
  }

  async nameTaken(name: string, tx?: Transaction): Promise<boolean> {
    locksOf(tx);
    return this.store.rows.some((m) => m.name === name);
  }

  async insert(model: NewModel, tx: Transaction): Promise<ModelEntity> {
    locksOf(tx);
    if (this.store.rows.some((m) => m.name === model.name)) throw new ModelNameTaken(model.name);
    const now = new Date();
    const row: ModelEntity = {
      id: randomUUID(),
      ...copyRow(model),
      lastVersion: 0,
      requireApproval: false,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    this.store.rows.push(row);
    return copyRow(row);
  }

  async insertIfAbsent(name: string, task: string | null, tx: Transaction): Promise<string | null> {
    if (this.store.rows.some((m) => m.name === name)) return null;
    return (await this.insert({ name, task, description: null, tags: [] }, tx)).id;
  }

  async list(filter: ModelFilter): Promise<{ rows: ModelEntity[]; total: number }> {
    const q = filter.q?.toLowerCase();
    const matches = this.live()
      .filter(
        (m) =>
          (!filter.tag || m.tags.includes(filter.tag)) &&
          (!filter.task || m.task === filter.task) &&
          (!q || m.name.toLowerCase().includes(q) || Boolean(m.description?.toLowerCase().includes(q))),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
    return { rows: matches.slice(filter.offset, filter.offset + filter.limit).map(copyRow), total: matches.length };
  }

  async findByName(name: string, tx?: Transaction): Promise<ModelEntity | null> {
    locksOf(tx);
    const row = this.live().find((m) => m.name === name);
    return row ? copyRow(row) : null;
  }

  async findByNameForUpdate(name: string, tx: Transaction): Promise<ModelEntity | null> {
    const row = await this.findByName(name, tx);
    if (row) locksOf(tx).push(`model:${name}:update`);
    return row;
  }

  async findByIdWithDeleted(id: string, tx: Transaction): Promise<ModelEntity | null> {
    locksOf(tx);
    const row = this.store.rows.find((m) => m.id === id);
    return row ? copyRow(row) : null;
  }

  async update(id: string, changes: ModelChanges, tx: Transaction): Promise<void> {
    locksOf(tx);
    const row = this.store.rows.find((m) => m.id === id);
    if (row) Object.assign(row, copyRow(changes), { updatedAt: new Date() });
  }

  async softDelete(id: string, tx: Transaction): Promise<void> {
    locksOf(tx);
    const row = this.store.rows.find((m) => m.id === id);
    if (row) row.deletedAt = new Date();
  }

  async allocateVersion(id: string, tx: Transaction): Promise<number | null> {
    const row = this.live().find((m) => m.id === id);
    if (!row) return null;
    locksOf(tx).push(`model:${row.name}:update`);
    row.lastVersion += 1;
    return row.lastVersion;
  }
}

export class InMemoryModelVersionsRepository extends ModelVersionsRepository implements Store {
  readonly store = new ArrayStore<ModelVersionEntity>();
  readonly history = new ArrayStore<StageTransitionEntity>();
  /** `models` joins versions to their (live) models for listLiveProduction. */
  constructor(private readonly models?: InMemoryModelsRepository) {
    super();
  }

  snapshot(): () => void {
    const restore = [this.store.snapshot(), this.history.snapshot()];
    return () => restore.forEach((r) => r());
  }

  async insert(version: NewModelVersion, tx: Transaction): Promise<ModelVersionEntity> {
    locksOf(tx);
    const rows = this.store.rows;
    if (rows.some((v) => v.id === version.id || v.artifactKey === version.artifactKey))
      throw new RegistryWriteConflict('model_versions_pkey');
    if (rows.some((v) => v.modelId === version.modelId && v.version === version.version)) {
      throw new RegistryWriteConflict('model_versions_model_id_version_key');
    }
    this.assertOneProduction(version.modelId, version.id, version.stage);
    const now = new Date();
    const row: ModelVersionEntity = { ...copyRow(version), createdAt: now, updatedAt: now };
    rows.push(row);
    return copyRow(row);
  }

  async list(modelId: string, filter: VersionFilter): Promise<{ rows: ModelVersionEntity[]; total: number }> {
    const matches = this.ofModel(modelId).filter((v) => !filter.stage || effectiveStage(v, filter.now) === filter.stage);
    return { rows: matches.slice(filter.offset, filter.offset + filter.limit).map(copyRow), total: matches.length };
  }

  async listAll(modelId: string): Promise<ModelVersionEntity[]> {
    return this.ofModel(modelId).map(copyRow);
  }

  async findByNumber(modelId: string, version: number, tx?: Transaction): Promise<ModelVersionEntity | null> {
    locksOf(tx);
    const row = this.store.rows.find((v) => v.modelId === modelId && v.version === version);
    return row ? copyRow(row) : null;
  }

  async findByNumberForUpdate(modelId: string, version: number, tx: Transaction): Promise<ModelVersionEntity | null> {
    const row = await this.findByNumber(modelId, version, tx);
    if (row) locksOf(tx).push(`version:${row.id}:update`);
    return row;
  }

  async findProduction(modelId: string, tx?: Transaction): Promise<ModelVersionEntity | null> {
    locksOf(tx);
    const row = this.store.rows.find((v) => v.modelId === modelId && v.stage === 'production');
    return row ? copyRow(row) : null;
  }

  async findProductionForUpdate(modelId: string, tx: Transaction): Promise<ModelVersionEntity | null> {
    const row = await this.findProduction(modelId, tx);
    if (row) locksOf(tx).push(`version:${row.id}:update`);
    return row;
  }

  async servedVersions(modelIds: string[], tx?: Transaction): Promise<Map<string, ServedVersion[]>> {
    locksOf(tx);
    const served = ['staging', 'production', 'deprecated'];
    return new Map(
      modelIds.map((id) => [
        id,
        this.store.rows
          .filter((v) => v.modelId === id && served.includes(v.stage))
          .sort((a, b) => b.version - a.version)
          .map((v) => ({ version: v.version, stage: v.stage, sunsetAt: v.sunsetAt })),
      ]),
    );
  }

  async listLiveProduction(): Promise<ProductionVersion[]> {
    const live = this.models?.store.rows.filter((m) => m.deletedAt === null) ?? [];
    return live
      .flatMap((model) =>
        this.store.rows
          .filter((v) => v.modelId === model.id && v.stage === 'production')
          .map((v) => ({ model: copyRow(model), version: copyRow(v) })),
      )
      .sort((a, b) => a.model.name.localeCompare(b.model.name));
  }

  async listDeprecated(filter: { before?: Date; limit: number; offset: number }): Promise<{ rows: ProductionVersion[]; total: number }> {
    const live = this.models?.store.rows.filter((m) => m.deletedAt === null) ?? [];
    const sunset = (v: ModelVersionEntity) => v.sunsetAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const all = live
      .flatMap((model) =>
        this.store.rows
          .filter((v) => v.modelId === model.id && v.stage === 'deprecated' && (!filter.before || sunset(v) < filter.before.getTime()))
          .map((v) => ({ model: copyRow(model), version: copyRow(v) })),
      )
      .sort(
        (a, b) =>
          sunset(a.version) - sunset(b.version) || a.model.name.localeCompare(b.model.name) || a.version.version - b.version.version,
      );
    return { rows: all.slice(filter.offset, filter.offset + filter.limit), total: all.length };
  }

  async lockSunsetDue(now: Date, limit: number, tx: Transaction): Promise<ModelVersionEntity[]> {
    const due = this.store.rows
      .filter((v) => v.stage === 'deprecated' && v.sunsetAt !== null && v.sunsetAt.getTime() <= now.getTime())
      .sort((a, b) => a.sunsetAt!.getTime() - b.sunsetAt!.getTime())
      .slice(0, limit);
    locksOf(tx).push(...due.map((v) => `version:${v.id}:update`));
    return due.map(copyRow);
  }

  async updateLifecycle(id: string, state: LifecycleState, tx: Transaction): Promise<void> {
    locksOf(tx);
    const row = this.store.rows.find((v) => v.id === id);
    if (!row) return;
    this.assertOneProduction(row.modelId, id, state.stage);
    Object.assign(row, {
      stage: state.stage,
      deprecatedAt: state.deprecatedAt,
      sunsetAt: state.sunsetAt,
      successorVersion: state.successorVersion,
      updatedAt: new Date(),
    });
  }

  async updateDetails(id: string, details: VersionDetails, tx: Transaction): Promise<void> {
    locksOf(tx);
    const row = this.store.rows.find((v) => v.id === id);
    if (row) Object.assign(row, copyRow(details), { updatedAt: new Date() });
  }

  async addTransition(transition: NewStageTransition, tx: Transaction): Promise<void> {
    locksOf(tx);
    this.history.rows.push({ id: randomUUID(), ...copyRow(transition), at: new Date() });
  }

  async transitions(versionId: string): Promise<StageTransitionEntity[]> {
    return this.history.rows.filter((t) => t.versionId === versionId).map(copyRow);
  }

  private ofModel(modelId: string): ModelVersionEntity[] {
    return this.store.rows.filter((v) => v.modelId === modelId).sort((a, b) => b.version - a.version);
  }

  /** The partial unique index: one production version per model. */
  private assertOneProduction(modelId: string, id: string, stage: string): void {
    if (stage === 'production' && this.store.rows.some((v) => v.modelId === modelId && v.id !== id && v.stage === 'production')) {
      throw new RegistryWriteConflict('model_versions_one_production_idx');
    }
  }
}

export class InMemoryModelAliasesRepository extends ModelAliasesRepository implements Store {
  readonly store = new ArrayStore<ModelAliasEntity>();
  snapshot = () => this.store.snapshot();

  async listByModel(modelId: string): Promise<ModelAliasEntity[]> {
    return this.store.rows
      .filter((a) => a.modelId === modelId)
      .sort((a, b) => a.alias.localeCompare(b.alias))
      .map(copyRow);
  }

  async find(modelId: string, alias: string, tx?: Transaction): Promise<ModelAliasEntity | null> {
    locksOf(tx);
    const row = this.store.rows.find((a) => a.modelId === modelId && a.alias === alias);
    return row ? copyRow(row) : null;
  }

  async upsert(assignment: AliasAssignment, tx: Transaction): Promise<void> {
    locksOf(tx);
    const now = new Date();
    const row = this.store.rows.find((a) => a.modelId === assignment.modelId && a.alias === assignment.alias);
    if (row) Object.assign(row, { version: assignment.version, updatedBy: assignment.updatedBy, updatedAt: now });
    else this.store.rows.push({ ...assignment, createdAt: now, updatedAt: now });
  }

  async delete(modelId: string, alias: string, tx: Transaction): Promise<void> {
    locksOf(tx);
    this.store.rows = this.store.rows.filter((a) => !(a.modelId === modelId && a.alias === alias));
  }
}

export class InMemoryModelTrafficRepository extends ModelTrafficRepository implements Store {
  readonly store = new ArrayStore<ModelTrafficEntity>();
  snapshot = () => this.store.snapshot();

  async find(modelId: string, tx?: Transaction): Promise<ModelTrafficEntity | null> {
    locksOf(tx);
    const row = this.store.rows.find((t) => t.modelId === modelId);
    return row ? copyRow(row) : null;
  }

  async save(split: TrafficSplit, tx: Transaction): Promise<void> {
    await this.delete(split.modelId, tx);
    if (!isEmptySplit(split)) this.store.rows.push({ ...split, updatedAt: new Date() });
  }

  async delete(modelId: string, tx: Transaction): Promise<void> {
    locksOf(tx);
    this.store.rows = this.store.rows.filter((t) => t.modelId !== modelId);
  }

  async clearCanaryOf(modelId: string, version: number, tx: Transaction): Promise<boolean> {
    locksOf(tx);
    let canaryCleared = false;
    this.store.rows = this.store.rows
      .map((t) => {
        if (t.modelId !== modelId) return t;
        const row = { ...t };
        if (row.canaryVersion === version) [row.canaryVersion, row.canaryPercent, canaryCleared] = [null, null, true];
        if (row.shadowVersion === version) [row.shadowVersion, row.shadowPercent, row.shadowSince] = [null, null, null];
        return row;
      })
      .filter((t) => !isEmptySplit(t));
    return canaryCleared;
  }
}

export class InMemoryVersionProfilesRepository extends VersionProfilesRepository implements Store {
  readonly store = new ArrayStore<StoredProfile>();
  snapshot = () => this.store.snapshot();

  async find(versionId: string, tx?: Transaction): Promise<StoredProfile | null> {
    locksOf(tx);
    const row = this.store.rows.find((p) => p.versionId === versionId);
    return row ? copyRow(row) : null;
  }

  async save(p: NewProfile, tx: Transaction): Promise<StoredProfile> {
    locksOf(tx);
    const old = this.store.rows.find((r) => r.versionId === p.versionId);
    const row: StoredProfile = { ...p, revision: (old?.revision ?? 0) + 1, createdAt: new Date() };
    this.store.rows = [...this.store.rows.filter((r) => r !== old), row];
    return copyRow(row);
  }
}

/** Every fake, sharing one unit of work. */
export function inMemoryRegistryPersistence() {
  const models = new InMemoryModelsRepository();
  const versions = new InMemoryModelVersionsRepository(models);
  const aliases = new InMemoryModelAliasesRepository();
  const traffic = new InMemoryModelTrafficRepository();
  const audit = new InMemoryAuditTrail();
  const promotions = new InMemoryPromotionRequestsRepository();
  const outbox = new InMemoryEventOutbox();
  const profiles = new InMemoryVersionProfilesRepository();
  const transactions = new InMemoryUnitOfWork([models, versions, aliases, traffic, audit, promotions, outbox, profiles]);
  return { models, versions, aliases, traffic, audit, promotions, outbox, profiles, transactions };
}
