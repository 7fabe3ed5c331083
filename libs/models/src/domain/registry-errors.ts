import { ConflictError, DomainError, NotFoundError } from '@app/common';

export class ModelNotFoundError extends NotFoundError {
  constructor(name: string) {
    super('MODEL_NOT_FOUND', `Model "${name}" does not exist.`);
  }
}

export class ModelVersionNotFoundError extends NotFoundError {
  constructor(name: string, version: number | string) {
    super('MODEL_VERSION_NOT_FOUND', `Model "${name}" has no version ${version}.`);
  }
}

export class ModelAliasNotFoundError extends NotFoundError {
  constructor(name: string, alias: string) {
    super('MODEL_ALIAS_NOT_FOUND', `Model "${name}" has no alias "${alias}".`);
  }
}

export class NoProductionVersionError extends NotFoundError {
  constructor(name: string) {
    super('NO_PRODUCTION_VERSION', `Model "${name}" has no production version.`);
  }
}

export class ModelAlreadyExistsError extends ConflictError {
  constructor(name: string) {
    super(
      'MODEL_ALREADY_EXISTS',
      `A model named "${name}" exists or existed (names of deleted models stay reserved so that name + version never means two artifacts).`,
    );
  }
}

export class ModelHasProductionVersionError extends ConflictError {
  constructor(name: string, version: number) {
    super(
      'MODEL_HAS_PRODUCTION_VERSION',
      `Model "${name}" still serves production version ${version}; deleting it needs ?force=true (admin).`,
      { productionVersion: version },
    );
  }
}

/**
 * The version is retired (or past its sunset). Reads that want to serve it answer 410 Gone;
 * writes that want to point at it (aliases, canary, quantization) answer 409.
 */
export class ModelVersionRetiredError extends DomainError {
  constructor(name: string, version: number, kind: 'gone' | 'conflict' = 'gone') {
    super(kind, 'MODEL_VERSION_RETIRED', `Version ${version} of model "${name}" is retired.`, {
      extensions: { model: name, version },
    });
  }
}

export class ReservedAliasError extends ConflictError {
  constructor(alias: string) {
    super('ALIAS_RESERVED', `The alias "${alias}" is reserved: it always follows the version in the production stage.`);
  }
}

export class PreconditionFailedError extends DomainError {
  constructor(currentEtag: string) {
    super('precondition-failed', 'PRECONDITION_FAILED', 'If-Match does not match the current ETag; re-read the resource and retry.', {
      headers: { ETag: currentEtag },
    });
  }
}

/** A write lost a race the database caught (unique index); retrying after a re-read is safe. */
export class ConcurrentModificationError extends ConflictError {
  constructor(detail: string) {
    super('CONCURRENT_MODIFICATION', detail);
  }
}

export type UnsafeArchiveReason =
  | 'unsafe-path'
  | 'link'
  | 'special-file'
  | 'too-many-files'
  | 'too-large-decompressed'
  | 'duplicate-path'
  | 'nested-compression'
  | 'encrypted'
  | 'corrupt'
  | 'empty'
  | 'unsupported-format';

/** The archive is unsafe or unreadable (HTTP 422 with a `reason`). */
export class UnsafeArchiveError extends DomainError {
  constructor(
    readonly reason: UnsafeArchiveReason,
    message: string,
  ) {
    super('unprocessable', 'UNSAFE_ARCHIVE', message, { extensions: { reason } });
  }
}

export class ArtifactTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super('payload-too-large', 'ARTIFACT_TOO_LARGE', `The artifact is larger than the limit of ${limitBytes} bytes.`, {
      extensions: { limitBytes },
    });
  }
}

export class TooManyFilesError extends DomainError {
  constructor(limit: number) {
    super('unprocessable', 'TOO_MANY_FILES', `The upload holds more than ${limit} files.`, { extensions: { limit } });
  }
}

export class ProfileNotFoundError extends NotFoundError {
  constructor(name: string, version: number) {
    super(
      'PROFILE_NOT_FOUND',
      `Version ${version} of model "${name}" has no reference profile: train it here, or PUT /v1/models/${name}/versions/${version}/profile.`,
    );
  }
}

export class ProfileNotApplicableError extends DomainError {
  constructor(message: string) {
    super('unprocessable', 'PROFILE_NOT_APPLICABLE', message);
  }
}
