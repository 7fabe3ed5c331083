import { isModelGateError } from '../errors';

/** The `modelgate` command's exit codes (documented in its --help and the README). */
export const EXIT = {
  OK: 0,
  /** Anything else: an unexpected answer, a local file that cannot be read... */
  FAILURE: 1,
  /** Bad usage: unknown command or option, missing or invalid argument, no server URL or credentials configured. */
  USAGE: 2,
  /** Authentication or authorization failed (401, 403). */
  AUTH: 3,
  /** Not found or gone (404, 410). */
  NOT_FOUND: 4,
  /** Refused as invalid or conflicting (400, 409, 412, 413, 415, 422). */
  REFUSED: 5,
  /** Server unavailable, overloaded or failing, or unreachable (429, 5xx, network), after retries. */
  UNAVAILABLE: 6,
  /** `train --follow`: the job ended failed or cancelled. */
  JOB_FAILED: 7,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  failure (unexpected)
  2  usage: bad command, option or argument; no URL or credentials
  3  authentication or authorization refused (401, 403)
  4  not found (404, 410)
  5  refused as invalid or conflicting (400, 409, 412, 413, 415, 422)
  6  unavailable: overloaded, failing or unreachable (429, 5xx, network)
  7  train --follow: the job failed or was cancelled`;

/** A mistake in how the command was called (exit 2). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  if (!isModelGateError(error)) return EXIT.FAILURE;
  const s = error.status;
  if (s === 401 || s === 403) return EXIT.AUTH;
  if (s === 404 || s === 410) return EXIT.NOT_FOUND;
  if ([400, 409, 412, 413, 415, 422].includes(s)) return EXIT.REFUSED;
  if (s === 0 || s === 429 || s >= 500) return EXIT.UNAVAILABLE;
  return EXIT.FAILURE;
}

/** Thrown by a command that has written its answer and only wants a given exit code. */
export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
