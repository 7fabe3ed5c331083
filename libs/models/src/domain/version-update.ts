import { ConflictError, ValidationFailedError } from '@app/common';
import type { TensorSpec } from '@app/inference';
import { effectiveStage, Stage } from './lifecycle';
import { checkLabelsAgainstOutputs } from './upload-fields';

/** What a PATCH of a version may change: its metadata, and the sunset of a deprecated version. */
export interface VersionChanges {
  description?: string | null;
  labels?: string[] | null;
  sunsetAt?: Date;
}

/** The version as stored, as far as an update reads it. */
export interface UpdatableVersion {
  stage: Stage;
  sunsetAt: Date | null;
  description: string | null;
  labels: string[] | null;
  outputs: TensorSpec[];
}

/** The changes to write, and the fields they touch before and after (for the audit log). */
export interface VersionUpdatePlan {
  changes: VersionChanges;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export class SunsetNotMovableError extends ConflictError {
  constructor(version: number, stage: Stage) {
    super(
      'MODEL_VERSION_NOT_DEPRECATED',
      `Version ${version} is ${stage}: only a deprecated version has a sunset to move (deprecate it with a transition, sunsetAt included).`,
      { stage },
    );
  }
}

const FIELDS = ['description', 'labels', 'sunsetAt'] as const;

/**
 * Checks a metadata update against the version it changes (pure: the service applies the plan in
 * a transaction). A deprecated version past its sunset is retired already, so its sunset is not
 * movable either: moving it back would bring a retired version back to service.
 */
export function planVersionUpdate(version: UpdatableVersion & { version: number }, request: VersionChanges, now: Date): VersionUpdatePlan {
  const sent = FIELDS.filter((field) => request[field] !== undefined);
  if (sent.length === 0) {
    throw new ValidationFailedError(
      [{ field: 'body', message: 'send at least one of description, labels, sunsetAt' }],
      'The update changes nothing: send at least one of description, labels, sunsetAt.',
    );
  }
  if (request.sunsetAt !== undefined) {
    const stage = effectiveStage(version, now);
    if (stage !== 'deprecated') throw new SunsetNotMovableError(version.version, stage);
    if (request.sunsetAt.getTime() <= now.getTime()) {
      throw new ValidationFailedError(
        [{ field: 'sunsetAt', message: 'sunsetAt must be in the future' }],
        'A sunset cannot be moved into the past.',
        'unprocessable',
      );
    }
  }
  if (request.labels) checkLabelsAgainstOutputs(request.labels, version.outputs);

  const view = (field: (typeof FIELDS)[number], value: unknown) =>
    field === 'sunsetAt' && value != null ? new Date(value as Date).toISOString() : value;
  const changes: VersionChanges = {};
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const field of sent) {
    Object.assign(changes, { [field]: request[field] });
    before[field] = view(field, version[field]);
    after[field] = view(field, request[field]);
  }
  return { changes, before, after };
}
