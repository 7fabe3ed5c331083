import { DataSource, EntityManager } from 'typeorm';
import { ModelNotFoundError, ModelVersionNotFoundError } from '../domain/registry-errors';
import { ModelEntity } from '../entities/model.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';

/** Queries every registry service shares. Always given the caller's manager (PGlite: one connection). */

/** Reads outside any transaction: no BEGIN/COMMIT round trips for a GET. */
export function readOnly<T>(db: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  return work(db.manager);
}

export async function findModel(m: EntityManager, name: string, opts: { lock?: boolean } = {}): Promise<ModelEntity> {
  const qb = m.getRepository(ModelEntity).createQueryBuilder('m').where('m.name = :name', { name });
  // A row lock on the model serialises every write that must see a consistent set of versions:
  // version allocation, promotions, alias and traffic changes.
  if (opts.lock) qb.setLock('pessimistic_write');
  const model = await qb.getOne();
  if (!model) throw new ModelNotFoundError(name);
  return model;
}

export async function findVersion(
  m: EntityManager,
  model: ModelEntity,
  version: number,
  opts: { lock?: boolean } = {},
): Promise<ModelVersionEntity> {
  const qb = m
    .getRepository(ModelVersionEntity)
    .createQueryBuilder('v')
    .where('v.model_id = :modelId AND v.version = :version', { modelId: model.id, version });
  if (opts.lock) qb.setLock('pessimistic_write');
  const row = await qb.getOne();
  if (!row) throw new ModelVersionNotFoundError(model.name, version);
  return row;
}

export async function findProductionVersion(m: EntityManager, modelId: string, opts: { lock?: boolean } = {}): Promise<ModelVersionEntity | null> {
  const qb = m
    .getRepository(ModelVersionEntity)
    .createQueryBuilder('v')
    .where(`v.model_id = :modelId AND v.stage = 'production'`, { modelId });
  if (opts.lock) qb.setLock('pessimistic_write');
  return qb.getOne();
}

/** Production version numbers of several models at once (for collections). */
export async function productionVersions(m: EntityManager, modelIds: string[]): Promise<Map<string, number>> {
  if (modelIds.length === 0) return new Map();
  const rows = await m
    .getRepository(ModelVersionEntity)
    .createQueryBuilder('v')
    .select(['v.modelId', 'v.version'])
    .where(`v.model_id IN (:...modelIds) AND v.stage = 'production'`, { modelIds })
    .getMany();
  return new Map(rows.map((r) => [r.modelId, r.version]));
}

/** Postgres unique_violation, whichever way TypeORM wrapped it. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e?.driverError?.code ?? e?.code;
  const name = e?.driverError?.constraint ?? e?.constraint;
  return code === '23505' && (constraint === undefined || name === constraint);
}
