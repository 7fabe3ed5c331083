/**
 * Every `code` a ModelGate problem document can carry: the one source of truth. `DomainError.code`,
 * the problem renderer and the HTTP parser's refusals are typed with `ErrorCode`, so the compiler
 * refuses a code that is not listed here; the OpenAPI problem schema lists them as the `enum` of
 * `code`; docs/errors.md shows them (test/static/error-catalogue.static-spec.ts keeps it true).
 *
 * A new error: add its code here (status(es), meaning, extension members), then the row to
 * docs/errors.md. Codes are stable: clients switch on them; never rename or reuse one.
 */

/** The HTTP statuses a problem document may have. */
export type ProblemStatus = 400 | 401 | 403 | 404 | 405 | 406 | 408 | 409 | 410 | 412 | 413 | 414 | 415 | 422 | 429 | 431 | 500 | 503;

/** `'4xx'`: any client-error status that has no code of its own (see HTTP_ERROR). */
export type CatalogueStatus = ProblemStatus | '4xx';

export interface ErrorCodeInfo {
  /** The status(es) it answers with; the first is the usual one. */
  readonly status: readonly CatalogueStatus[];
  /** What it means for the caller, in one sentence (docs/errors.md and the OpenAPI examples). */
  readonly meaning: string;
  /** Members the problem document carries besides RFC 9457's and `code`/`requestId`. */
  readonly extensions?: readonly string[];
}

const catalogue = <const T extends Record<string, ErrorCodeInfo>>(codes: T) => codes;

export const ERROR_CODES = catalogue({
  // ---- authentication (401) ----
  UNAUTHENTICATED: {
    status: [401],
    meaning: 'No credentials were sent (send `Authorization: Bearer <token>` or `X-API-Key`).',
  },
  AMBIGUOUS_CREDENTIALS: {
    status: [401],
    meaning: 'Both `Authorization` and `X-API-Key` were sent; send exactly one.',
  },
  UNSUPPORTED_AUTHORIZATION: {
    status: [401],
    meaning: 'The `Authorization` header is not `Bearer <access token>`.',
  },
  TOKEN_INVALID: { status: [401], meaning: 'The access token is malformed, forged or not an access token.' },
  TOKEN_EXPIRED: { status: [401], meaning: 'The access token has expired; refresh it or sign in again.' },
  TOKEN_REVOKED: {
    status: [401],
    meaning: "The token was issued before the account's password, roles or status changed; sign in again.",
  },
  CREDENTIALS_REVOKED: {
    status: [401],
    meaning: 'The account or API key behind the token is disabled, revoked or deleted.',
  },
  API_KEY_INVALID: { status: [401], meaning: 'The API key is unknown, revoked or expired.' },
  INVALID_CREDENTIALS: {
    status: [401],
    meaning: 'Sign-in failed: wrong email or password (the same answer whether or not the user exists).',
  },
  INVALID_REFRESH_TOKEN: { status: [401], meaning: 'The refresh token is unknown, expired or revoked.' },
  REFRESH_TOKEN_REUSED: {
    status: [401],
    meaning: 'A refresh token was used twice; its whole session (token family) has been revoked. Sign in again.',
  },
  METRICS_TOKEN_REQUIRED: { status: [401], meaning: '`GET /metrics` needs its bearer token (METRICS_TOKEN).' },

  // ---- authorization (403) ----
  INSUFFICIENT_ROLE: { status: [403], meaning: "The caller's role does not allow this operation." },
  FORBIDDEN: { status: [403], meaning: 'The caller may not do this (a resource the caller may not reach).' },
  NOT_A_USER: { status: [403], meaning: 'A service account (API key) has no password to change.' },
  CURRENT_PASSWORD_INCORRECT: { status: [403], meaning: 'The current password given to change it is not correct.' },
  RETIREMENT_REQUIRES_ADMIN: { status: [403], meaning: 'Only an admin may retire a model version.' },
  FORCE_NOT_ALLOWED: {
    status: [403],
    meaning: 'Only an admin may send `force: true` to override the signature guard (a transition or a traffic change).',
  },
  NOT_AN_APPROVER: {
    status: [403],
    meaning: 'Only admins and users with the `approver` flag may approve or reject a promotion request.',
  },
  SELF_APPROVAL: { status: [403], meaning: 'The requester of a promotion may not approve or reject it; another approver must.' },
  MODEL_VERSION_DRAFT: { status: [403], meaning: 'Draft versions serve predictions to ml-engineers and admins only.' },

  // ---- request shape (400, 413, 414, 415, 422, 431, …) ----
  VALIDATION_FAILED: {
    status: [400, 422],
    meaning:
      'The request fails validation (400), or is well formed but does not fit the model, dataset or limits (422; 400 on /v2 inference); `errors` names each field.',
    extensions: ['errors'],
  },
  BAD_REQUEST: { status: [400], meaning: 'The request is malformed (a refusal of the HTTP framework).' },
  MALFORMED_JSON: { status: [400], meaning: 'The request body is not valid JSON.' },
  JSON_TOO_DEEP: {
    status: [400],
    meaning: 'JSON (the body, or a JSON multipart field) nests deeper than JSON_MAX_DEPTH.',
    extensions: ['maxDepth', 'field'],
  },
  MALFORMED_MULTIPART: { status: [400], meaning: 'The multipart/form-data body cannot be parsed.' },
  MALFORMED_URL: { status: [400], meaning: 'The URL has a malformed percent-encoding.' },
  MALFORMED_HTTP_REQUEST: {
    status: [400],
    meaning: 'The bytes received are not valid HTTP/1.1 (answered by the HTTP parser; the connection is closed).',
  },
  REQUEST_TIMEOUT: { status: [408], meaning: 'The request did not arrive in time (the connection is closed).' },
  PAYLOAD_TOO_LARGE: { status: [413], meaning: 'The request body is larger than this route accepts (BODY_LIMIT_BYTES).' },
  ARTIFACT_TOO_LARGE: {
    status: [413],
    meaning: 'The uploaded model artifact is larger than MAX_ARTIFACT_BYTES.',
    extensions: ['limitBytes'],
  },
  DATASET_TOO_LARGE: {
    status: [413],
    meaning: 'The uploaded dataset file is larger than MAX_DATASET_BYTES.',
    extensions: ['maxBytes'],
  },
  URI_TOO_LONG: { status: [414], meaning: 'A path segment of the URL is longer than 200 characters.' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: [415],
    meaning: 'The body has a content type this route does not take (JSON, or multipart/form-data on uploads).',
  },
  HEADERS_TOO_LARGE: {
    status: [431],
    meaning: "The request line and headers are larger than the server's limit (the connection is closed).",
  },
  METHOD_NOT_ALLOWED: { status: [405], meaning: 'The method is not allowed here (a refusal of the HTTP framework).' },
  NOT_ACCEPTABLE: { status: [406], meaning: 'No acceptable representation (a refusal of the HTTP framework).' },
  UNPROCESSABLE: { status: [422], meaning: 'The request is understood but cannot be processed (a generic refusal).' },
  PROFILE_NOT_APPLICABLE: {
    status: [422],
    meaning:
      'The profile does not fit the version: drift is measured on one numeric input of one row of features, and the profile must name each of its columns.',
  },
  HTTP_ERROR: {
    status: ['4xx'],
    meaning:
      'Any other 4xx refusal of the HTTP framework that has no code of its own; `status` and `title` say which (no route answers it by design).',
  },

  // ---- not found (404) ----
  ROUTE_NOT_FOUND: { status: [404], meaning: 'No route matches the method and path.' },
  NOT_FOUND: { status: [404], meaning: 'Not found (a refusal of the HTTP framework).' },
  MODEL_NOT_FOUND: { status: [404], meaning: 'No model has this name (or it was deleted).' },
  MODEL_VERSION_NOT_FOUND: { status: [404], meaning: 'The model has no version with this number.' },
  MODEL_ALIAS_NOT_FOUND: { status: [404], meaning: 'The model has no alias with this name.' },
  NO_PRODUCTION_VERSION: { status: [404], meaning: 'The model has no version in the production stage to serve.' },
  USER_NOT_FOUND: { status: [404], meaning: 'No user has this id.' },
  API_KEY_NOT_FOUND: { status: [404], meaning: 'No API key has this id.' },
  DATASET_NOT_FOUND: { status: [404], meaning: 'No dataset has this id that the caller may see.' },
  PROMOTION_REQUEST_NOT_FOUND: { status: [404], meaning: 'No promotion request has this id.' },
  WEBHOOK_NOT_FOUND: { status: [404], meaning: 'No webhook has this id.' },
  PROFILE_NOT_FOUND: {
    status: [404],
    meaning: 'The version has no reference profile to measure drift against (train it here or PUT its profile).',
  },
  TRAINING_JOB_NOT_FOUND: { status: [404], meaning: 'No training job has this id that the caller may see.' },

  // ---- state conflicts (409, 410, 412) ----
  CONFLICT: { status: [409], meaning: 'Conflicts with the current state (a generic refusal).' },
  MODEL_ALREADY_EXISTS: {
    status: [409],
    meaning: 'A model with this name exists or existed (names of deleted models stay reserved).',
  },
  MODEL_HAS_PRODUCTION_VERSION: {
    status: [409],
    meaning: 'The model still serves a production version; deleting it needs `?force=true` (admin).',
    extensions: ['productionVersion'],
  },
  INVALID_STAGE_TRANSITION: {
    status: [409],
    meaning: 'The version cannot move from its stage to the one asked; `allowedTargets` lists where it can.',
    extensions: ['from', 'to', 'allowedTargets'],
  },
  MODEL_VERSION_NOT_DEPRECATED: {
    status: [409],
    meaning: 'Only a deprecated version has a sunset to move; `stage` is the stage the version is in.',
    extensions: ['stage'],
  },
  ALIAS_RESERVED: { status: [409], meaning: 'The alias `production` is reserved: it follows the production stage.' },
  CANARY_VERSION_NOT_ELIGIBLE: {
    status: [409],
    meaning: 'A canary must be a non-draft version other than the production version.',
  },
  SIGNATURE_MISMATCH: {
    status: [409],
    meaning:
      "The version's inputs or outputs differ from the production version's (a promotion, canary or shadow); `errors` lists each difference. An admin may override with `force: true`.",
    extensions: ['errors', 'version', 'productionVersion'],
  },
  CONCURRENT_MODIFICATION: { status: [409], meaning: 'A concurrent write won a race; re-read and retry.' },
  USER_EMAIL_TAKEN: { status: [409], meaning: 'Another user already has this email.' },
  LAST_ADMIN: { status: [409], meaning: 'The last enabled admin cannot be disabled, demoted or deleted.' },
  DATASET_IN_USE: {
    status: [409],
    meaning: 'Unfinished training jobs use the dataset; cancel them or let them finish first.',
    extensions: ['trainingJobs'],
  },
  PROMOTION_REQUEST_STALE: {
    status: [409],
    meaning: 'The version left staging after the promotion was requested; the request is stale and cannot be approved.',
  },
  PROMOTION_REQUEST_DECIDED: {
    status: [409],
    meaning: 'The promotion request was already approved, rejected or went stale; `status` says which.',
    extensions: ['status'],
  },
  TRAINING_JOB_FINISHED: {
    status: [409],
    meaning: 'The training job has already finished (`detail` says how); there is nothing to cancel.',
  },
  MODEL_VERSION_RETIRED: {
    status: [410, 409],
    meaning: 'The version is retired (or past its sunset): 410 when serving it, 409 when pointing an alias, canary or quantization at it.',
    extensions: ['model', 'version'],
  },
  GONE: { status: [410], meaning: 'Gone (a generic refusal).' },
  PRECONDITION_FAILED: {
    status: [412],
    meaning: '`If-Match` does not match the current ETag (sent back in `ETag`); re-read and retry.',
  },

  // ---- uploads and inputs the server cannot use (422) ----
  WEBHOOK_DESTINATION_NOT_ALLOWED: {
    status: [422],
    meaning: "The webhook URL's host is not in `WEBHOOK_ALLOWED_HOSTS` (or the URL is not http(s)).",
  },
  INVALID_MODEL_ARTIFACT: {
    status: [422],
    meaning: 'The uploaded model does not load, its weights do not match the manifest, or it exceeds a model limit; `reason` says which.',
    extensions: ['reason'],
  },
  UNSAFE_ARCHIVE: {
    status: [422],
    meaning: 'The archive is unsafe or unreadable (path traversal, links, bombs, corrupt, empty…); `reason` says which.',
    extensions: ['reason'],
  },
  TOO_MANY_FILES: { status: [422], meaning: 'The upload holds more files than MAX_ARTIFACT_FILES.', extensions: ['limit'] },
  DATASET_MALFORMED: {
    status: [422],
    meaning: 'The dataset file cannot be used; `reason`, `line` and `column` say where and why.',
    extensions: ['reason', 'line', 'column', 'errors'],
  },
  EMPTY_INSTANCES: { status: [422, 400], meaning: 'The prediction request has no rows (400 on /v2 inference).' },
  INPUT_SHAPE_MISMATCH: { status: [422, 400], meaning: "The rows do not fit the model input's shape (400 on /v2 inference)." },
  OUTPUT_TOO_LARGE: {
    status: [422, 400],
    meaning:
      'The rows would produce more than MAX_OUTPUT_VALUES_PER_REQUEST output values (400 on /v2 inference); `maxRows` is how many this model takes.',
    extensions: ['maxRows'],
  },

  // ---- too many requests (429) ----
  RATE_LIMITED: { status: [429], meaning: 'Too many requests; retry after the seconds in `Retry-After`.' },
  TOO_MANY_STREAMS: {
    status: [429],
    meaning: 'The caller already holds SSE_MAX_STREAMS_PER_CALLER event streams; close one (see `Retry-After`).',
  },
  INFERENCE_QUEUE_FULL: {
    status: [429],
    meaning: 'Too many predictions are waiting for this model version; retry after `Retry-After`.',
    extensions: ['retryAfterSeconds'],
  },

  // ---- server side (500, 503) ----
  INTERNAL_ERROR: { status: [500], meaning: 'An unexpected error; it is logged with the request id (no internals are shown).' },
  SERVICE_UNAVAILABLE: { status: [503], meaning: 'Service unavailable (a generic refusal).' },
  NOT_READY: {
    status: [503],
    meaning: '`GET /health/ready`: a dependency is down; `checks` names each one.',
    extensions: ['checks'],
  },
  DATABASE_UNAVAILABLE: { status: [503], meaning: 'Postgres is unreachable; retry after `Retry-After`.' },
  ARTIFACT_UNAVAILABLE: {
    status: [503],
    meaning: "A stored artifact this request needs is not in this server's storage; retry after `Retry-After`.",
  },
  INFERENCE_ENGINE_FAILED: {
    status: [503],
    meaning: 'The inference engine failed on this replica, which is being replaced; retry after `Retry-After`.',
  },
  INFERENCE_SHUTTING_DOWN: { status: [503], meaning: 'The replica is shutting down; retry (another replica answers).' },
  INFERENCE_WORKER_FAILED: {
    status: [503],
    meaning: 'The inference thread running this batch failed and is being replaced; retry after `Retry-After`.',
  },
  INSPECTION_BUSY: {
    status: [503],
    meaning: 'Too many model uploads are waiting for their isolated inspection; retry after `Retry-After`.',
  },
});

/** A stable error code: a key of {@link ERROR_CODES}. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** All codes, in catalogue order (the OpenAPI enum, the docs page). */
export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** The codes a problem document with this status may carry (HTTP_ERROR only for a status no code names). */
export function errorCodesForStatus(status: number): ErrorCode[] {
  const named = ALL_ERROR_CODES.filter((code) =>
    (ERROR_CODES[code].status as readonly CatalogueStatus[]).includes(status as ProblemStatus),
  );
  return named.length || status < 400 || status > 499 ? named : ['HTTP_ERROR'];
}
