import type { DatabaseConfig } from '../database.config';

export interface WriteBehindOptions<T> {
  /** Writes one batch (one statement): throws to have the batch put back and tried later. */
  write(batch: readonly T[]): Promise<void>;
  /** Items per write; reaching it starts a flush. */
  maxBatch: number;
  /** Weight per write (see `weigh`; default unbounded): a write takes items while they fit, and at least one. */
  maxBatchWeight?: number;
  /** Items held while writes fail; beyond it new items are dropped (and counted). */
  maxBuffered: number;
  /** Between two writes of one flush, let the event loop run (the embedded database computes on it). */
  yieldBetweenWrites?: boolean;
  /** An item's share of maxBuffered (default 1): an item that stands for several counts them all. */
  weigh?(item: T): number;
  /** After a write: the weight written. */
  onWritten?(weight: number): void;
  onDropped?(item: T): void;
  /** After a failed write: the weight waiting now. */
  onFailed?(error: unknown, pending: number): void;
}

/**
 * Keeps writes that callers need not wait for (the usage ledger, stored payloads) off the request
 * path: items are buffered and written in batches, one statement each. A failed write puts its batch
 * back in order (bounded by maxBuffered), so a database blip delays items instead of losing them.
 */
export class WriteBehindBuffer<T> {
  private buffer: T[] = [];
  private bufferedWeight = 0;
  private flushing: Promise<void> | undefined;

  constructor(private readonly options: WriteBehindOptions<T>) {}

  /** The weight of the items not written yet (their number, unless `weigh` says otherwise). */
  get pending(): number {
    return this.bufferedWeight;
  }

  /** False when the buffer is full (the item is dropped). */
  push(item: T): boolean {
    const weight = this.weigh(item);
    if (this.bufferedWeight + weight > this.options.maxBuffered) {
      this.options.onDropped?.(item);
      return false;
    }
    this.buffer.push(item);
    this.bufferedWeight += weight;
    if (this.buffer.length >= this.options.maxBatch) void this.flush();
    return true;
  }

  /** Writes everything buffered so far; concurrent callers share the write in progress. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    this.flushing = this.writeBuffered().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  /** How many of the first items the next write takes, and their weight. */
  private nextBatch(): { count: number; weight: number } {
    const maxWeight = this.options.maxBatchWeight ?? Number.POSITIVE_INFINITY;
    const limit = Math.min(this.buffer.length, this.options.maxBatch);
    let count = 0;
    let weight = 0;
    while (count < limit) {
      const next = this.weigh(this.buffer[count]);
      if (count > 0 && weight + next > maxWeight) break;
      weight += next;
      count++;
    }
    return { count, weight };
  }

  private weigh(item: T): number {
    return this.options.weigh ? this.options.weigh(item) : 1;
  }

  private async writeBuffered(): Promise<void> {
    while (this.buffer.length > 0) {
      const { count, weight } = this.nextBatch();
      const batch = this.buffer.splice(0, count);
      this.bufferedWeight -= weight;
      try {
        await this.options.write(batch);
        this.options.onWritten?.(weight);
      } catch (error) {
        this.buffer.unshift(...batch);
        this.bufferedWeight += weight;
        this.options.onFailed?.(error, this.bufferedWeight);
        return;
      }
      if (this.options.yieldBetweenWrites && this.buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/**
 * Rows per background write. Embedded PGlite runs each statement on the event loop (~35 µs a usage
 * row here: 500 rows held every request for ~20 ms), so it writes at most 100 rows at a time and
 * yields between them; Postgres computes elsewhere, and fewer round trips are cheaper there.
 */
export const EMBEDDED_ROWS_PER_WRITE = 100;
/**
 * Weight per background write on the embedded database: a folded usage row stores each request's
 * latency, ~1.5 µs apiece to encode and store here (11,000 in one statement held the event loop
 * for ~18 ms), so a statement carries at most 2,000 (~3 ms; the fixed cost of a statement, ~0.7 ms,
 * stays amortised).
 */
export const EMBEDDED_WEIGHT_PER_WRITE = 2_000;

export function backgroundWrites(
  database: Pick<DatabaseConfig, 'url'>,
  configuredBatch: number,
): { maxBatch: number; maxBatchWeight: number; yieldBetweenWrites: boolean } {
  const embedded = !database.url;
  return {
    maxBatch: embedded ? Math.min(configuredBatch, EMBEDDED_ROWS_PER_WRITE) : configuredBatch,
    maxBatchWeight: embedded ? EMBEDDED_WEIGHT_PER_WRITE : Number.POSITIVE_INFINITY,
    yieldBetweenWrites: embedded,
  };
}
