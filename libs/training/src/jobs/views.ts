import type { Actor } from '@app/common';
import { TrainingJobDto } from './dto/training-job.dto';
import { TrainingJobEntity } from './entities/training-job.entity';
import { isoOrNull } from '@app/common';

export function toJobDto(j: TrainingJobEntity): TrainingJobDto {
  return {
    id: j.id,
    status: j.status,
    modelName: j.modelName,
    datasetId: j.datasetId,
    task: j.task,
    features: j.request.features,
    target: j.request.target,
    architecture: { ...j.request.architecture },
    hyperparameters: { ...j.request.hyperparameters },
    progress: { epoch: j.progressEpoch, epochs: j.epochs },
    history: j.history,
    metrics: j.metrics,
    stoppedEpoch: j.stoppedEpoch,
    stopReason: j.stopReason,
    report: j.report,
    modelVersion: j.modelVersion,
    error: j.error,
    attempts: j.attempts,
    cancelRequested: j.cancelRequestedAt !== null,
    createdBy: j.createdBy,
    createdAt: j.createdAt.toISOString(),
    startedAt: isoOrNull(j.startedAt),
    finishedAt: isoOrNull(j.finishedAt),
  };
}

/**
 * The job's creator, as the registry records and audits the version a worker registers for them
 * later (a worker has no request of its own). Roles are not needed for that and not kept.
 */
export function creatorOf(j: TrainingJobEntity): Actor {
  return {
    caller: { id: j.ownerId, kind: j.ownerKind, roles: [], email: j.ownerEmail ?? undefined },
    requestId: j.requestId ?? `training-job:${j.id}`,
    ip: j.clientIp ?? '',
  };
}

/** The `training.job.finished` outbox event (webhooks) of a job that ends with `status`. */
export function finishedEvent(
  job: Pick<TrainingJobEntity, 'id' | 'modelName'>,
  status: 'succeeded' | 'failed' | 'cancelled',
  fields: { modelVersion?: number | null; metrics?: unknown; error?: string | null } = {},
): Record<string, unknown> {
  return {
    id: job.id,
    status,
    model: job.modelName,
    version: fields.modelVersion ?? null,
    metrics: fields.metrics ?? null,
    error: fields.error ?? null,
  };
}
