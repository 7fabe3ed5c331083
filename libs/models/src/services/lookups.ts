import type { Transaction } from '@app/database';
import { ModelNotFoundError, ModelVersionNotFoundError } from '../domain/registry-errors';
import type { ModelEntity } from '../entities/model.entity';
import type { ModelVersionEntity } from '../entities/model-version.entity';
import type { ModelsRepository } from '../repositories/models.repository';
import type { ModelVersionsRepository } from '../repositories/model-versions.repository';

/** Lookups every registry service shares: a missing model or version is the registry's 404. */

export async function modelNamed(models: ModelsRepository, name: string, tx?: Transaction): Promise<ModelEntity> {
  return found(await models.findByName(name, tx), name);
}

/**
 * The model, its row held (FOR UPDATE) until the transaction ends: serialises every write that
 * must see a consistent set of versions (promotions, alias and traffic changes).
 */
export async function lockModelNamed(models: ModelsRepository, name: string, tx: Transaction): Promise<ModelEntity> {
  return found(await models.findByNameForUpdate(name, tx), name);
}

export async function versionOf(
  versions: ModelVersionsRepository,
  model: ModelEntity,
  version: number,
  tx?: Transaction,
): Promise<ModelVersionEntity> {
  return foundVersion(await versions.findByNumber(model.id, version, tx), model, version);
}

export async function lockVersionOf(
  versions: ModelVersionsRepository,
  model: ModelEntity,
  version: number,
  tx: Transaction,
): Promise<ModelVersionEntity> {
  return foundVersion(await versions.findByNumberForUpdate(model.id, version, tx), model, version);
}

function found(model: ModelEntity | null, name: string): ModelEntity {
  if (!model) throw new ModelNotFoundError(name);
  return model;
}

function foundVersion(row: ModelVersionEntity | null, model: ModelEntity, version: number): ModelVersionEntity {
  if (!row) throw new ModelVersionNotFoundError(model.name, version);
  return row;
}
