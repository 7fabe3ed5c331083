import { DatabaseUnavailableError } from './database-unavailable';
import { StaleIfUnavailableCache } from './stale-if-unavailable-cache';

const down = () => Promise.reject(new DatabaseUnavailableError(new Error('Connection terminated unexpectedly')));

describe('StaleIfUnavailableCache', () => {
  afterEach(() => jest.useRealTimers());

  it('answers from the last value read while the database is unavailable, within the bound', async () => {
    jest.useFakeTimers({ now: 0 });
    const cache = new StaleIfUnavailableCache<string>(1_000, 10_000);
    await expect(cache.get('k', async () => 'v1')).resolves.toBe('v1');
    jest.setSystemTime(5_000);
    await expect(cache.get('k', down)).resolves.toBe('v1');
    // The bound counts from the read, not from the last fallback.
    jest.setSystemTime(10_001);
    await expect(cache.get('k', down)).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });

  it('never falls back on other failures, and does not remember them', async () => {
    const cache = new StaleIfUnavailableCache<string>(0, 10_000);
    await cache.get('k', async () => 'v1');
    await expect(cache.get('k', () => Promise.reject(new Error('not found')))).rejects.toThrow('not found');
    await expect(cache.get('k', down)).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(cache.get('k', async () => 'v2')).resolves.toBe('v2');
  });

  it('is bounded: past its size the least recently used entries go', async () => {
    const cache = new StaleIfUnavailableCache<string>(60_000, 60_000, 3);
    for (const key of ['a', 'b', 'c', 'd']) await cache.get(key, async () => key.toUpperCase());
    expect(cache.size).toBe(3);
    expect([...cache.keys()].sort()).toEqual(['b', 'c', 'd']);
  });

  it('lists settled values (to invalidate by a property of the value) and clears everything', async () => {
    const cache = new StaleIfUnavailableCache<{ owner: string } | false>(60_000, 60_000);
    await cache.get('h1', async () => ({ owner: 'key-1' }));
    await cache.get('h2', async () => false);
    void cache.get('h3', () => new Promise(() => undefined)); // still loading: nothing settled yet
    expect([...cache.settled()].sort(([a], [b]) => a.localeCompare(b))).toEqual([
      ['h1', { owner: 'key-1' }],
      ['h2', false],
    ]);
    cache.clear();
    expect(cache.size).toBe(0);
    await expect(cache.get('h1', async () => ({ owner: 'key-2' }))).resolves.toEqual({ owner: 'key-2' });
  });

  it('peeks a fresh loaded value without a promise; never one loading, expired or answered stale', async () => {
    jest.useFakeTimers({ now: 0 });
    const cache = new StaleIfUnavailableCache<string | false>(1_000, 10_000);
    expect(cache.peek('k')).toBeUndefined();
    let finish!: (value: string) => void;
    const loading = cache.get('k', () => new Promise((resolve) => (finish = resolve)));
    expect(cache.peek('k')).toBeUndefined();
    finish('v1');
    await loading;
    expect(cache.peek('k')).toEqual({ value: 'v1' });
    // A remembered "no such thing" is a value too.
    await cache.get('gone', async () => false);
    expect(cache.peek('gone')).toEqual({ value: false });
    jest.setSystemTime(1_000);
    expect(cache.peek('k')).toBeUndefined();
    // Answered from the last good value during an outage: only `get` answers that (the slow path).
    await expect(cache.get('k', down)).resolves.toBe('v1');
    expect(cache.peek('k')).toBeUndefined();
    cache.delete('gone');
    expect(cache.peek('gone')).toBeUndefined();
  });
});
