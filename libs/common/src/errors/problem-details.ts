import { HttpException, HttpStatus } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { DomainError, DomainErrorKind, FieldError } from './domain-error';
import type { ErrorCode } from './error-codes';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_TYPE_BASE = 'https://modelgate.dev/problems/';

/** RFC 9457 problem document, plus ModelGate's stable `code` and the `requestId`. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export interface Problem {
  status: number;
  headers: Record<string, string>;
  body: ProblemDocument;
  /** True when the error is ours (a bug or an outage), to be logged with its stack. */
  unexpected: boolean;
}

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  'bad-request': 400,
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  gone: 410,
  'precondition-failed': 412,
  'payload-too-large': 413,
  unprocessable: 422,
  'rate-limited': 429,
  unavailable: 503,
};

const CODE_BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  410: 'GONE',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

export function problemType(code: ErrorCode): string {
  return PROBLEM_TYPE_BASE + code.toLowerCase().replace(/_/g, '-');
}

/**
 * What a problem document may echo, whatever the error says: a message built from a caller's input
 * (a 200,000-dimension shape, thousands of weight names) must not come back in full.
 */
export const PROBLEM_LIMITS = {
  /** `detail` (and the v2 `error`) and any top-level string extension. */
  maxTextChars: 1024,
  /** `instance`: the request's path (a 414's path is long by definition). */
  maxInstanceChars: 256,
  /** `errors` entries; beyond it the first ones are kept and one entry says how many were left out. */
  maxErrors: 20,
  /** `errors[].message` */
  maxMessageChars: 300,
  /** `errors[].field` */
  maxFieldChars: 200,
} as const;

/** Cuts a string to `max` characters, the last one an ellipsis (never splitting a surrogate pair). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

const MORE_ERRORS = /^and \d+ more errors?$/;

/** The `errors` of a problem, bounded (see {@link PROBLEM_LIMITS}). */
export function boundFieldErrors(errors: readonly FieldError[]): FieldError[] {
  const { maxErrors, maxMessageChars, maxFieldChars } = PROBLEM_LIMITS;
  const entry = (e: FieldError): FieldError => ({
    field: truncateText(String(e.field), maxFieldChars),
    message: truncateText(String(e.message), maxMessageChars),
  });
  // A list that already ends with its own "and N more errors" after maxErrors entries is kept as is.
  const summarised = errors.length === maxErrors + 1 && MORE_ERRORS.test(errors[maxErrors].message);
  if (errors.length <= maxErrors || summarised) return errors.map(entry);
  const kept = errors.slice(0, maxErrors).map(entry);
  kept.push({ field: kept[0].field.replace(/[.[].*$/, ''), message: `and ${errors.length - maxErrors} more errors` });
  return kept;
}

function boundDocument(body: ProblemDocument): ProblemDocument {
  const { maxTextChars, maxInstanceChars } = PROBLEM_LIMITS;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string' || key === 'type' || key === 'requestId') continue;
    body[key] = truncateText(value, key === 'instance' ? maxInstanceChars : maxTextChars);
  }
  if (Array.isArray(body.errors)) body.errors = boundFieldErrors(body.errors);
  return body;
}

/** The members RFC 9457 and the contract define: an error's extensions never replace them. */
export const PROBLEM_MEMBERS: readonly string[] = ['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId'];

function extensionsOf(extra: Record<string, unknown>): Record<string, unknown> {
  const reserved = Object.keys(extra).filter((key) => PROBLEM_MEMBERS.includes(key));
  if (!reserved.length) return extra;
  return Object.fromEntries(Object.entries(extra).filter(([key]) => !PROBLEM_MEMBERS.includes(key)));
}

interface ProblemContext {
  requestId: string;
  instance: string;
}

interface FrameworkError {
  statusCode?: number;
  status?: number;
  code?: string;
  message?: string;
}

/** Maps anything thrown while serving a request to a problem document. Never leaks internals. */
export function toProblem(error: unknown, ctx: ProblemContext): Problem {
  const build = (
    status: number,
    code: ErrorCode,
    detail: string,
    extra: Partial<ProblemDocument> = {},
    headers: Record<string, string> = {},
    unexpected = false,
  ): Problem => ({
    status,
    headers,
    unexpected,
    body: boundDocument({
      type: problemType(code),
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail,
      instance: ctx.instance,
      code,
      requestId: ctx.requestId,
      // The Open Inference Protocol's clients read `error`; the problem document carries it too.
      ...(ctx.instance.startsWith('/v2/') || ctx.instance === '/v2' ? { error: detail } : {}),
      ...extensionsOf(extra),
    }),
  });

  // TypeORM wraps a driver's error in a QueryFailedError (`driverError`); when the driver already
  // said what the failure means in domain terms (the database is unavailable), that is the answer.
  const driverError = (error as { driverError?: unknown } | null)?.driverError;
  if (!(error instanceof DomainError) && driverError instanceof DomainError) return toProblem(driverError, ctx);

  if (error instanceof DomainError) {
    const status = STATUS_BY_KIND[error.kind];
    return build(
      status,
      error.code,
      error.message,
      { ...(error.extensions ?? {}), ...(error.errors ? { errors: error.errors } : {}) },
      error.headers ?? {},
    );
  }

  if (error instanceof HttpException) {
    // Nest wraps Fastify's own errors (bad JSON, body too large) in an HttpException; the Fastify
    // error underneath says precisely what went wrong.
    const cause = error.cause as FrameworkError | undefined;
    if (typeof cause?.code === 'string' && cause.code.startsWith('FST_')) return toProblem(cause, ctx);
    const status = error.getStatus();
    const response = error.getResponse();
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    if (status === HttpStatus.NOT_FOUND && /^Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)/.test(message)) {
      return build(404, 'ROUTE_NOT_FOUND', `No route matches ${message.replace(/^Cannot /, '')}.`);
    }
    if (status === HttpStatus.TOO_MANY_REQUESTS) {
      return build(429, 'RATE_LIMITED', 'Too many requests; retry after the number of seconds in Retry-After.');
    }
    if (status >= 500) return build(status, 'INTERNAL_ERROR', 'An unexpected error occurred.', {}, {}, true);
    return build(status, CODE_BY_STATUS[status] ?? 'HTTP_ERROR', message);
  }

  const framework = (error ?? {}) as FrameworkError;
  const status = framework.statusCode ?? framework.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) {
      return build(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than this route accepts.');
    }
    if (status === 414) {
      return build(414, 'URI_TOO_LONG', 'A path segment of the URL is longer than this API accepts.');
    }
    if (framework.code === 'FST_ERR_BAD_URL') {
      return build(400, 'MALFORMED_URL', 'The URL is not valid (a malformed percent-encoding).');
    }
    if (status === 400 && /JSON/i.test(`${framework.code ?? ''} ${framework.message ?? ''}`)) {
      return build(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
    }
    if (status === 415) {
      return build(415, 'UNSUPPORTED_MEDIA_TYPE', framework.message ?? 'Unsupported content type.');
    }
    // Fastify's own errors (FST_*) word themselves for callers; anything else that carries a status
    // (a library's error) is answered in general terms: its message is about our internals.
    const own = typeof framework.code === 'string' && framework.code.startsWith('FST_');
    const detail = own && framework.message ? framework.message : `${STATUS_CODES[status] ?? 'Bad request'}.`;
    return build(status, CODE_BY_STATUS[status] ?? 'HTTP_ERROR', detail);
  }

  return build(500, 'INTERNAL_ERROR', 'An unexpected error occurred.', {}, {}, true);
}
