import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { InputColumns, OutputColumns } from '@app/inference';

/**
 * Optional per-model response cache: identical input rows for the same version answer from memory
 * for the model's TTL. Keyed by version identity + a hash of the rows, never by the raw payload.
 */
export class ResponseCache {
  private readonly entries: LRUCache<string, OutputColumns>;

  constructor(maxEntries: number, clock: { now(): number } = performance) {
    this.entries = new LRUCache({ max: maxEntries, ttlAutopurge: false, ttlResolution: 0, perf: clock });
  }

  /** Every value is framed (type and length): no two different inputs hash alike. */
  static key(versionKey: string, inputs: InputColumns): string {
    const hash = createHash('sha256');
    for (const rows of inputs) {
      for (const row of rows) {
        if (row.every((v) => typeof v === 'number')) {
          hash.update(`n${row.length}:`).update(Float64Array.from(row as number[]));
        } else {
          for (const v of row) {
            const bytes = typeof v === 'number' ? Buffer.from(Float64Array.of(v).buffer) : typeof v === 'string' ? Buffer.from(v) : v;
            hash.update(`${typeof v === 'number' ? 'n' : typeof v === 'string' ? 's' : 'b'}${bytes.length}:`).update(bytes);
          }
        }
        hash.update('\n');
      }
      hash.update('|');
    }
    return `${versionKey}:${hash.digest('base64url')}`;
  }

  get(key: string): OutputColumns | undefined {
    return this.entries.get(key);
  }

  set(key: string, outputs: OutputColumns, ttlSeconds: number): void {
    this.entries.set(key, outputs, { ttl: ttlSeconds * 1000 });
  }

  /** Drops every entry of a version (or model) prefix, e.g. after a registry change. */
  invalidatePrefix(prefix: string): void {
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
