import type { UsageRecord, UsageRow } from './usage-events.repository';

/**
 * Folds requests into ledger rows as they are recorded: one row per UTC second, model, version,
 * caller, API, status and trace, in the order each group first appears (a request in a caller's
 * trace keeps its own row, so the ledger can name it; untraced requests fold). A folded row keeps its first
 * request's time (the same second, hence the same hour and day bucket), every latency, the largest
 * as `latencyMs`, and the sums of rows and compute time. On a busy model that is one row a second
 * instead of thousands, and one statement instead of dozens (each costs the serving thread ~0.5 ms
 * on the embedded database, whatever its size).
 */
type OpenRow = UsageRow & { requests: number };

export class UsageRollup {
  private groups = new Map<string, OpenRow>();
  private full: OpenRow[] = [];
  private folded = 0;

  /** `maxRequestsPerRow`: a row that holds that many is closed and the next request opens another (a write's weight stays bounded). */
  constructor(private readonly maxRequestsPerRow = Number.POSITIVE_INFINITY) {}

  /** Rows held (open, or full and waiting for the drain). */
  get size(): number {
    return this.groups.size + this.full.length;
  }

  /** Requests in the open rows. */
  get events(): number {
    return this.folded;
  }

  add(e: UsageRecord): void {
    this.folded++;
    const second = Math.floor(e.at.getTime() / 1000);
    const key = `${second}\u0000${e.modelName}\u0000${e.version ?? ''}\u0000${e.callerId ?? ''}\u0000${e.callerKind ?? ''}\u0000${e.api}\u0000${e.status}\u0000${e.traceId ?? ''}`;
    const row = this.groups.get(key);
    if (!row) {
      const opened = { ...e, requests: 1, latenciesMs: null };
      if (this.maxRequestsPerRow <= 1) this.full.push(opened);
      else this.groups.set(key, opened);
      return;
    }
    row.latenciesMs ??= [row.latencyMs];
    row.latenciesMs.push(e.latencyMs);
    row.latencyMs = Math.max(row.latencyMs, e.latencyMs);
    row.requests++;
    row.rows += e.rows;
    row.computeMs += e.computeMs;
    if (row.requests >= this.maxRequestsPerRow) {
      this.full.push(row);
      this.groups.delete(key);
    }
  }

  /** The rows held, full ones first, then open ones oldest group first; the rollup starts empty again. */
  drain(): OpenRow[] {
    const rows = [...this.full, ...this.groups.values()];
    this.full = [];
    this.groups = new Map();
    this.folded = 0;
    return rows;
  }
}
