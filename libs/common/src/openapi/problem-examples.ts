import type { ErrorCode } from '../errors/error-codes';

/** What an example problem document says beyond its code's meaning: a realistic detail and its extension members. */
export interface ProblemExample {
  detail?: string;
  extensions?: Record<string, unknown>;
}

/**
 * Examples for the OpenAPI document, as the server words them (the rest use the catalogue's meaning
 * as `detail`). A function when the example depends on the status (a code answered with two).
 */
export const PROBLEM_EXAMPLES: Partial<Record<ErrorCode, ProblemExample | ((status: number) => ProblemExample)>> = {
  UNAUTHENTICATED: { detail: 'Authentication is required: send Authorization: Bearer <token> or X-API-Key.' },
  AMBIGUOUS_CREDENTIALS: { detail: 'Send either Authorization or X-API-Key, not both.' },
  UNSUPPORTED_AUTHORIZATION: { detail: 'Use Authorization: Bearer <access token>, or X-API-Key.' },
  TOKEN_INVALID: { detail: 'The access token is not valid.' },
  TOKEN_EXPIRED: { detail: 'The access token has expired; refresh it or sign in again.' },
  API_KEY_INVALID: { detail: 'The API key is unknown, revoked or expired.' },
  INVALID_CREDENTIALS: { detail: 'The email or password is not correct.' },
  INSUFFICIENT_ROLE: { detail: 'This operation needs the ml-engineer role.' },
  VALIDATION_FAILED: (status) =>
    status === 422
      ? {
          detail: 'Rows must have 4 values: expected shape [-1, 4].',
          extensions: { errors: [{ field: 'instances[0]', message: 'expected 4 values, got 3' }] },
        }
      : {
          detail: 'The request is not valid.',
          extensions: { errors: [{ field: 'name', message: 'name must match ^[a-z0-9][a-z0-9._-]{1,62}$' }] },
        },
  MALFORMED_JSON: { detail: 'The request body is not valid JSON.' },
  JSON_TOO_DEEP: {
    detail: "The JSON of field 'metrics' nests arrays and objects more than 64 levels deep (JSON_MAX_DEPTH).",
    extensions: { maxDepth: 64, field: 'metrics' },
  },
  PAYLOAD_TOO_LARGE: { detail: 'The request body is larger than this route accepts.' },
  ARTIFACT_TOO_LARGE: { detail: 'The artifact is larger than the limit of 209715200 bytes.', extensions: { limitBytes: 209715200 } },
  DATASET_TOO_LARGE: {
    detail: 'The dataset file is larger than 52428800 bytes (MAX_DATASET_BYTES).',
    extensions: { maxBytes: 52428800 },
  },
  UNSUPPORTED_MEDIA_TYPE: { detail: 'Send multipart/form-data with `files` (model.json + weights) or one `archive`.' },
  ROUTE_NOT_FOUND: { detail: 'No route matches GET /v1/nope.' },
  MODEL_NOT_FOUND: { detail: 'Model "iris" does not exist.' },
  MODEL_VERSION_NOT_FOUND: { detail: 'Model "iris" has no version 7.' },
  MODEL_ALIAS_NOT_FOUND: { detail: 'Model "iris" has no alias "champion".' },
  NO_PRODUCTION_VERSION: { detail: 'Model "iris" has no production version.' },
  USER_NOT_FOUND: { detail: 'User 6d1c5a52-1f4e-4f7a-9a43-5d0c2f3b8e11 does not exist.' },
  API_KEY_NOT_FOUND: { detail: 'API key 6d1c5a52-1f4e-4f7a-9a43-5d0c2f3b8e11 does not exist.' },
  DATASET_NOT_FOUND: { detail: 'Dataset 6d1c5a52-1f4e-4f7a-9a43-5d0c2f3b8e11 does not exist.' },
  TRAINING_JOB_NOT_FOUND: { detail: 'Training job 6d1c5a52-1f4e-4f7a-9a43-5d0c2f3b8e11 does not exist.' },
  MODEL_ALREADY_EXISTS: { detail: 'A model named "iris" exists or existed.' },
  MODEL_HAS_PRODUCTION_VERSION: {
    detail: 'Model "iris" still serves production version 3; deleting it needs ?force=true (admin).',
    extensions: { productionVersion: 3 },
  },
  INVALID_STAGE_TRANSITION: {
    detail: 'A production version cannot move to staging; allowed targets: deprecated.',
    extensions: { from: 'production', to: 'staging', allowedTargets: ['deprecated'] },
  },
  ALIAS_RESERVED: { detail: 'The alias "production" is reserved: it always follows the version in the production stage.' },
  CANARY_VERSION_NOT_ELIGIBLE: { detail: 'Version 4 is a draft; promote it to staging before it takes traffic.' },
  USER_EMAIL_TAKEN: { detail: 'A user with email ada@example.com already exists.' },
  LAST_ADMIN: { detail: 'This is the last enabled admin; make another admin first.' },
  DATASET_IN_USE: {
    detail: 'Dataset 6d1c5a52-1f4e-4f7a-9a43-5d0c2f3b8e11 is used by unfinished training jobs; cancel them or let them finish first.',
    extensions: { trainingJobs: ['0b9f2d4c-3a71-4e8e-b5c2-8f0d6a1e9c37'] },
  },
  TRAINING_JOB_FINISHED: { detail: 'Training job 0b9f2d4c-3a71-4e8e-b5c2-8f0d6a1e9c37 has already succeeded; there is nothing to cancel.' },
  MODEL_VERSION_RETIRED: (status) => ({
    detail:
      status === 410
        ? 'Version 2 of model "iris" is retired and no longer serves predictions.'
        : 'Version 2 of model "iris" is retired.',
    extensions: { model: 'iris', version: 2 },
  }),
  PRECONDITION_FAILED: { detail: 'If-Match does not match the current ETag; re-read the resource and retry.' },
  INVALID_MODEL_ARTIFACT: {
    detail: 'Weight file group1-shard1of1.bin holds 60 bytes; the manifest needs 76.',
    extensions: { reason: 'weight-size-mismatch' },
  },
  UNSAFE_ARCHIVE: { detail: 'The archive holds "../model.json", a path outside the artifact.', extensions: { reason: 'unsafe-path' } },
  TOO_MANY_FILES: { detail: 'The upload holds more than 100 files.', extensions: { limit: 100 } },
  DATASET_MALFORMED: {
    detail: "line 42, column 'petal_width': 'abc' is not a number",
    extensions: {
      reason: 'type-mismatch',
      line: 42,
      column: 'petal_width',
      errors: [{ field: 'file', message: "line 42, column 'petal_width': 'abc' is not a number" }],
    },
  },
  EMPTY_INSTANCES: { detail: 'There are no rows to predict.' },
  OUTPUT_TOO_LARGE: {
    detail: '5000 rows would produce 5000000 output values; this model answers at most 1000 rows per request.',
    extensions: { maxRows: 1000 },
  },
  RATE_LIMITED: { detail: 'Too many requests; retry in 12 s.' },
  TOO_MANY_STREAMS: { detail: 'At most 5 event streams may be open at once; close one and retry.' },
  INFERENCE_QUEUE_FULL: {
    detail: 'Too many predictions are waiting for this model version; retry shortly.',
    extensions: { retryAfterSeconds: 1 },
  },
  NOT_READY: {
    detail: 'Not ready: redis unavailable.',
    extensions: { checks: { database: { status: 'up' }, redis: { status: 'down' } } },
  },
  DATABASE_UNAVAILABLE: { detail: 'The database is unavailable; retry after the number of seconds in Retry-After.' },
};
