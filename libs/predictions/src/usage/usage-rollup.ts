import type { UsageRecord, UsageRow } from './usage-events.repository';

/**
 * Folds requests into ledger rows as they are recorded: one row per UTC second, model, version,
 * caller, API and status, in the order each group first appears. A folded row keeps its first
 * request's time (the same second, hence the same hour and day bucket), every latency, the largest
 * as `latencyMs`, and the sums of rows and compute time. On a busy model that is one row a second
 * instead of thousands, and one statement instead of dozens (each costs the serving thread ~0.5 ms
 * on the embedded database, whatever its size).
 */
type OpenRow = UsageRow & { requests: number };

export class UsageRollup {
  private groups = new Map<string, OpenRow>();
  private folded = 0;

  /** Rows open. */
  get size(): number {
    return this.groups.size;
  }

  /** Requests in the open rows. */
  get events(): number {
    return this.folded;
  }

  add(e: UsageRecord): void {
    this.folded++;
    const second = Math.floor(e.at.getTime() / 1000);
    const key = `${second}\u0000${e.modelName}\u0000${e.version ?? ''}\u0000${e.callerId ?? ''}\u0000${e.callerKind ?? ''}\u0000${e.api}\u0000${e.status}`;
    const row = this.groups.get(key);
    if (!row) {
      this.groups.set(key, { ...e, requests: 1, latenciesMs: null });
      return;
    }
    row.latenciesMs ??= [row.latencyMs];
    row.latenciesMs.push(e.latencyMs);
    row.latencyMs = Math.max(row.latencyMs, e.latencyMs);
    row.requests++;
    row.rows += e.rows;
    row.computeMs += e.computeMs;
  }

  /** The open rows, oldest group first; the rollup starts empty again. */
  drain(): OpenRow[] {
    const rows = [...this.groups.values()];
    this.groups = new Map();
    this.folded = 0;
    return rows;
  }
}
