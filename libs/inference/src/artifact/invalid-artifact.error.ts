import { DomainError } from '@app/common';

/** Machine-readable cause, also sent as the problem document's `reason` member. */
export type InvalidArtifactReason =
  | 'missing-model-json'
  | 'not-json'
  | 'invalid-model-json'
  | 'unsupported-format'
  | 'invalid-manifest'
  | 'unsafe-path'
  | 'missing-weight-file'
  | 'weight-size-mismatch'
  | 'unsupported-signature'
  | 'load-failed'
  | 'run-failed';

/** The upload is not a TensorFlow.js model this service can serve (HTTP 422). */
export class InvalidArtifactError extends DomainError {
  constructor(
    readonly reason: InvalidArtifactReason,
    message: string,
    cause?: unknown,
  ) {
    super('unprocessable', 'INVALID_MODEL_ARTIFACT', message, { extensions: { reason }, cause });
  }
}
