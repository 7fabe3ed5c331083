import { retryAfterHeaderSeconds } from './errors';

/** When and how long to retry a call that the server refused for now (429, 503) or that got no answer. */
export interface RetryOptions {
  /** Attempts in all, the first one included (default 4). 1 turns retries off. */
  maxAttempts?: number;
  /** Backoff of the first retry, in ms (default 250); doubled at each retry, with full jitter. */
  baseDelayMs?: number;
  /** Longest wait before a retry, in ms (default 20 000). A `Retry-After` asking for more ends the retries: the 429/503 is thrown. */
  maxDelayMs?: number;
  /** Statuses that are retried (default 429 and 503, which ModelGate sends with `Retry-After`). */
  statuses?: readonly number[];
  /** For tests and custom schedulers: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** For tests: a number in [0, 1). */
  random?: () => number;
}

/**
 * What a call may be retried on:
 * - `idempotent` (GET, HEAD, PUT, DELETE, OPTIONS): the retried statuses and network errors;
 * - `refused-only` (a POST whose caller opted in, e.g. `predict(..., { retry: true })`): only the
 *   retried statuses, whose answer says the request was not processed — never a lost answer;
 * - `never`.
 */
export type RetryMode = 'idempotent' | 'refused-only' | 'never';

export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export const RETRY_DEFAULTS = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 20_000, statuses: [429, 503] } as const;

export function retryModeFor(method: string, optIn = false): RetryMode {
  if (IDEMPOTENT_METHODS.has(method.toUpperCase())) return 'idempotent';
  return optIn ? 'refused-only' : 'never';
}

/**
 * Runs `attempt` (one HTTP exchange, throwing when no answer arrives) until it answers something
 * that is not retried, or the attempts or the signal run out. The delay before a retry is the
 * answer's `Retry-After` (seconds or HTTP date) plus a little jitter when it has one, else an
 * exponential backoff with full jitter: random(0, min(maxDelayMs, baseDelayMs × 2^(retry − 1))).
 */
export async function withRetries(
  attempt: (attemptNumber: number) => Promise<Response>,
  mode: RetryMode,
  options: RetryOptions | false | undefined,
  signal?: AbortSignal | null,
): Promise<Response> {
  const o = { ...RETRY_DEFAULTS, ...(options || {}) };
  const maxAttempts = options === false || mode === 'never' ? 1 : Math.max(1, Math.floor(o.maxAttempts));
  const sleep = o.sleep ?? abortableSleep;
  const random = o.random ?? Math.random;
  const backoff = (retry: number) => random() * Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (retry - 1));

  for (let n = 1; ; n++) {
    let response: Response;
    try {
      response = await attempt(n);
    } catch (error) {
      if (mode !== 'idempotent' || n >= maxAttempts || signal?.aborted || isAbort(error)) throw error;
      await sleep(backoff(n), signal ?? undefined);
      continue;
    }
    if (n >= maxAttempts || !o.statuses.includes(response.status)) return response;
    const retryAfter = retryAfterHeaderSeconds(response.headers.get('retry-after'));
    if (retryAfter !== undefined && retryAfter * 1000 > o.maxDelayMs) return response;
    const delay = retryAfter !== undefined ? retryAfter * 1000 + random() * Math.min(1000, o.baseDelayMs) : backoff(n);
    await response.body?.cancel().catch(() => undefined);
    await sleep(delay, signal ?? undefined);
  }
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
