import { ModelDto } from '../dto/model.dto';
import { ModelVersionDto, StageTransitionDto } from '../dto/model-version.dto';
import { effectiveStage } from '../domain/lifecycle';
import { changesVersusProduction } from '../domain/signature-diff';
import { modelVersionStatus, versionStatusOf } from '../domain/version-status';
import { ModelEntity } from '../entities/model.entity';
import { ModelVersionEntity } from '../entities/model-version.entity';
import { StageTransitionEntity } from '../entities/stage-transition.entity';
import { isoOrNull } from '@app/common';

/** `versions` are the model's versions (any order; a new model has none), judged by their effective stage at `now`. */
export function toModelDto(
  m: ModelEntity,
  productionVersion: number | null,
  versions: readonly Pick<ModelVersionEntity, 'version' | 'stage' | 'sunsetAt'>[],
  now: Date = new Date(),
): ModelDto {
  return {
    id: m.id,
    name: m.name,
    description: m.description,
    task: m.task,
    tags: m.tags,
    requireApproval: m.requireApproval,
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    productionVersion,
    latestVersion: m.lastVersion > 0 ? m.lastVersion : null,
    model_version_status: modelVersionStatus(versions.map((v) => ({ version: v.version, stage: effectiveStage(v, now) }))),
  };
}

/**
 * `production` is the model's current production version (null when none): a version's
 * `signatureChanges` are its differences from it. Lists pass the one production row to every item.
 */
export function toVersionDto(
  modelName: string,
  v: ModelVersionEntity,
  production: ModelVersionEntity | null,
  now: Date = new Date(),
): ModelVersionDto {
  const stage = effectiveStage(v, now);
  return {
    model: modelName,
    version: v.version,
    stage,
    description: v.description,
    framework: v.framework,
    inputs: v.inputs,
    outputs: v.outputs,
    labels: v.labels,
    metrics: v.metrics,
    params: v.params,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    createdAt: v.createdAt.toISOString(),
    createdBy: v.createdBy,
    deprecatedAt: isoOrNull(v.deprecatedAt),
    sunsetAt: isoOrNull(v.sunsetAt),
    successorVersion: v.successorVersion,
    source: v.source,
    signatureChanges: changesVersusProduction(v, production),
    model_version_status: [versionStatusOf(v.version, stage)],
  };
}

export function toTransitionDto(t: StageTransitionEntity): StageTransitionDto {
  return { from: t.fromStage, to: t.toStage, actor: t.actor, reason: t.reason, at: t.at.toISOString() };
}
