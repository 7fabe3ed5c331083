import type { ErrorCode } from './error-codes';

/**
 * Domain errors say what went wrong in the domain's words; the one HTTP boundary
 * (ProblemDetailsFilter) maps their kind to a status code. Services throw these, never HTTP exceptions.
 */
export type DomainErrorKind =
  | 'bad-request'
  | 'validation'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'gone'
  | 'precondition-failed'
  | 'payload-too-large'
  | 'unprocessable'
  | 'rate-limited'
  | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

export interface DomainErrorOptions {
  /** Extra members for the problem document (e.g. `allowedTargets`). Never secrets. */
  extensions?: Record<string, unknown>;
  errors?: FieldError[];
  /** Response headers the boundary should add (e.g. Retry-After). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class DomainError extends Error {
  readonly extensions?: Record<string, unknown>;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;

  constructor(
    readonly kind: DomainErrorKind,
    /** A code of the catalogue (error-codes.ts): the compiler refuses any other. */
    readonly code: ErrorCode,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.extensions = options.extensions;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(errors: FieldError[], message = 'The request is not valid.', kind: 'validation' | 'unprocessable' = 'validation') {
    super(kind, 'VALIDATION_FAILED', message, { errors });
  }
}

export class NotFoundError extends DomainError {
  constructor(code: ErrorCode, message: string) {
    super('not-found', code, message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: ErrorCode, message: string, extensions?: Record<string, unknown>) {
    super('conflict', code, message, { extensions });
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this.', code: ErrorCode = 'FORBIDDEN') {
    super('forbidden', code, message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Authentication is required.', code: ErrorCode = 'UNAUTHENTICATED') {
    super('unauthenticated', code, message, { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
}
