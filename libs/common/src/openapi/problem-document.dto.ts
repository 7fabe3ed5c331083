import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ALL_ERROR_CODES, type ErrorCode } from '../errors/error-codes';

export class FieldErrorDto {
  @ApiProperty({ description: 'The field (dotted path, or `body`) the message is about', example: 'name' })
  field: string;

  @ApiProperty({ example: 'name must match ^[a-z0-9][a-z0-9._-]{1,62}$' })
  message: string;
}

/**
 * RFC 9457 problem details, as every error response carries them (`application/problem+json`).
 * Property examples are left out on purpose: each response documents its own examples, per status.
 */
export class ProblemDocumentDto {
  @ApiProperty({
    description: 'A URI naming the problem type: https://modelgate.dev/problems/ + the code in kebab case',
    format: 'uri',
  })
  type: string;

  @ApiProperty({ description: "The HTTP status's reason phrase" })
  title: string;

  @ApiProperty({ type: 'integer', description: 'The HTTP status code', minimum: 400, maximum: 599 })
  status: number;

  @ApiProperty({ description: 'What went wrong, for people (at most 1,024 characters)' })
  detail: string;

  @ApiProperty({ description: "The request's path (at most 256 characters)" })
  instance: string;

  @ApiProperty({
    description: 'Stable machine-readable error code; docs/errors.md lists each one with its status and meaning',
    enum: ALL_ERROR_CODES,
  })
  code: ErrorCode;

  @ApiProperty({ description: 'The X-Request-Id of the request (quote it when reporting a problem)' })
  requestId: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    description:
      'Each invalid field (VALIDATION_FAILED, DATASET_MALFORMED): at most 20 entries, then one `and N more errors` entry',
  })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({ description: 'Open Inference Protocol routes (/v2): the same text as `detail`, as the protocol asks' })
  error?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'INVALID_STAGE_TRANSITION: the stages the version may move to',
    example: ['deprecated'],
  })
  allowedTargets?: string[];

  @ApiPropertyOptional({ description: 'INVALID_STAGE_TRANSITION: the stage the version is in', example: 'production' })
  from?: string;

  @ApiPropertyOptional({ description: 'INVALID_STAGE_TRANSITION: the stage asked for', example: 'staging' })
  to?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'MODEL_HAS_PRODUCTION_VERSION: the version in production' })
  productionVersion?: number;

  @ApiPropertyOptional({ description: 'MODEL_VERSION_RETIRED: the model' })
  model?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'MODEL_VERSION_RETIRED: the version' })
  version?: number;

  @ApiPropertyOptional({ description: 'INVALID_MODEL_ARTIFACT, UNSAFE_ARCHIVE, DATASET_MALFORMED: why, as a stable token' })
  reason?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'DATASET_MALFORMED: the 1-based line of the file' })
  line?: number;

  @ApiPropertyOptional({ description: 'DATASET_MALFORMED: the column (header name)' })
  column?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'OUTPUT_TOO_LARGE: the most rows one request may send to this model' })
  maxRows?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'ARTIFACT_TOO_LARGE: MAX_ARTIFACT_BYTES' })
  limitBytes?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'DATASET_TOO_LARGE: MAX_DATASET_BYTES' })
  maxBytes?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'TOO_MANY_FILES: MAX_ARTIFACT_FILES' })
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'JSON_TOO_DEEP: JSON_MAX_DEPTH' })
  maxDepth?: number;

  @ApiPropertyOptional({ description: 'JSON_TOO_DEEP: the multipart field whose JSON is too deep (absent for the body)' })
  field?: string;

  @ApiPropertyOptional({ type: 'integer', description: 'INFERENCE_QUEUE_FULL: the same as Retry-After' })
  retryAfterSeconds?: number;

  @ApiPropertyOptional({ type: [String], description: 'DATASET_IN_USE: the unfinished jobs that use the dataset' })
  trainingJobs?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'object', properties: { status: { type: 'string' } }, additionalProperties: true },
    description: 'NOT_READY: each dependency (database, redis, rateLimit, clusterEvents) and its status',
  })
  checks?: Record<string, { status: string; [detail: string]: unknown }>;
}
