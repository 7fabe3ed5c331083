import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/**
 * Optional per-model response cache: identical input rows for the same version answer from memory
 * for the model's TTL. Keyed by version identity + a hash of the rows, never by the raw payload.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, number[][]>;

  constructor(maxEntries: number, clock: { now(): number } = performance) {
    this.entries = new LRUCache({ max: maxEntries, ttlAutopurge: false, ttlResolution: 0, perf: clock });
  }

  static key(versionKey: string, rows: number[][]): string {
    const hash = createHash('sha256');
    for (const row of rows) hash.update(Float64Array.from(row)).update('\n');
    return `${versionKey}:${hash.digest('base64url')}`;
  }

  get(key: string): number[][] | undefined {
    return this.entries.get(key);
  }

  set(key: string, outputs: number[][], ttlSeconds: number): void {
    this.entries.set(key, outputs, { ttl: ttlSeconds * 1000 });
  }

  /** Drops every entry of a version (or model) prefix, e.g. after a registry change. */
  invalidatePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
