// domain-error alone, not the @app/common index: this file also runs in inspection threads, whose start-up
// should not load NestJS, pino and the config schema.
import { DomainError } from '@app/common/errors/domain-error';

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
  | 'run-failed'
  | 'too-many-parameters'
  | 'parameter-mismatch'
  | 'too-much-memory'
  | 'output-too-large'
  | 'inspection-crashed'
  | 'inspection-timeout'
  | 'inspection-out-of-memory';

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
