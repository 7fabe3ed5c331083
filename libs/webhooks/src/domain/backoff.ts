export interface BackoffPolicy {
  /** The delay before the first retry (before jitter). */
  baseMs: number;
  /** Each further retry waits this many times longer. */
  factor: number;
  /** No wait is longer than this. */
  maxMs: number;
}

/**
 * The wait before retrying after failed attempt number `attempt` (1-based): exponential, capped,
 * with "equal jitter" (a random point in the upper half), so that deliveries that failed together
 * (a receiver restarting) do not all come back in the same second, and the first retry with the
 * default 30 s base still comes within a minute.
 */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}
