import { DomainError } from '@app/common';

/** Seconds a client should wait before retrying while the database is unreachable. */
const RETRY_AFTER_SECONDS = '5';

/** The database cannot be reached (down, restarting, network cut, pool exhausted past its timeout). */
export class DatabaseUnavailableError extends DomainError {
  constructor(cause: unknown) {
    super('unavailable', 'DATABASE_UNAVAILABLE', 'The database is unavailable; retry after the number of seconds in Retry-After.', {
      headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      cause,
    });
  }
}

// SQLSTATE class 08 (connection exception), server shutting down or starting up, no free backends,
// statement_timeout: all transient and none the caller's fault.
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300|57014)$/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
// node-postgres and pg-pool report lost or unobtainable connections with these messages (no code).
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Query read timeout|Cannot use a pool after calling end/i;

/** True when a driver error means "the database is not reachable right now" rather than "this query is wrong". */
export function isConnectionFailure(error: unknown): boolean {
  // Duck-typed: socket errors are made by Node's core, whose Error need not be this realm's (jest, vm).
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof DatabaseUnavailableError) return true;
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code))) return true;
  // Connecting to "localhost" tries every address and reports all failures at once.
  if (Array.isArray(errors) && errors.some(isConnectionFailure)) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message);
}

/** Whether an error from a repository or query (possibly wrapped by TypeORM) is the database being away. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  const driverError = (error as { driverError?: unknown } | null)?.driverError;
  return driverError instanceof DatabaseUnavailableError;
}
