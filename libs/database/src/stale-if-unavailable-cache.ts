import { LRUCache } from 'lru-cache';
import { isDatabaseUnavailable } from './database-unavailable';

interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
  /** The last value actually read from the database, and when. */
  good?: { value: T; at: number };
  /** Set once this entry's own load has succeeded: its value, readable without a promise. */
  loaded?: { value: T };
}

/**
 * A short-lived cache of database lookups (like HTTP's stale-if-error): entries live `ttlMs`; when
 * refreshing one fails because the database is unavailable, the last value read is used for up to
 * `staleIfErrorMs` after it was read, so requests that only need what is already known (serving a
 * loaded model) keep working through a database outage. Any other failure (a 404) is not cached.
 * Bounded: keys come from requests (model names, aliases), so the least recently used go first.
 */
export class StaleIfUnavailableCache<T> {
  private readonly entries: LRUCache<string, Entry<T>>;

  constructor(
    private readonly ttlMs: number,
    private readonly staleIfErrorMs: number,
    maxEntries = 10_000,
  ) {
    this.entries = new LRUCache<string, Entry<T>>({ max: maxEntries });
  }

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const good = hit?.good;
    const entry: Entry<T> = { value: undefined as unknown as Promise<T>, expiresAt: now + this.ttlMs, good };
    entry.value = load().then(
      (value) => {
        entry.good = { value, at: Date.now() };
        entry.loaded = { value };
        return value;
      },
      (error: unknown) => {
        if (good && isDatabaseUnavailable(error) && Date.now() - good.at <= this.staleIfErrorMs) return good.value;
        if (this.entries.get(key) === entry) this.entries.delete(key);
        throw error;
      },
    );
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * The fresh value `get` would answer, when it is already known: no promise, for callers on a hot
   * path that can answer synchronously (undefined: expired, loading or unknown; call `get`).
   */
  peek(key: string): { value: T } | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt > Date.now() ? hit.loaded : undefined;
  }

  /** Entries whose last read succeeded, with that value (for invalidation by a property of the value). */
  *settled(): IterableIterator<[string, T]> {
    for (const [key, entry] of this.entries.entries()) if (entry.good) yield [key, entry.good.value];
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  get size(): number {
    return this.entries.size;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
