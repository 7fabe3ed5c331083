import { backgroundWrites, EMBEDDED_ROWS_PER_WRITE, WriteBehindBuffer } from './write-behind-buffer';

describe('WriteBehindBuffer', () => {
  it('on the embedded database, writes at most 100 rows a statement and lets the event loop run between them', async () => {
    const events: string[] = [];
    const buffer = new WriteBehindBuffer<number>({
      write: async (batch) => {
        events.push(`write ${batch.length}`);
        // Other work arriving meanwhile (a request): it must run before the next write.
        setImmediate(() => events.push('other work'));
      },
      ...backgroundWrites({ url: undefined }, 500),
      maxBuffered: 10_000,
    });
    for (let i = 0; i < 250; i++) buffer.push(i);
    await buffer.flush();
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['write 100', 'other work', 'write 100', 'other work', 'write 50', 'other work']);
    expect(buffer.pending).toBe(0);
  });

  it('on Postgres, writes the configured batch and does not wait between writes', () => {
    expect(backgroundWrites({ url: 'postgres://db/modelgate' }, 500)).toEqual({ maxBatch: 500, yieldBetweenWrites: false });
    expect(backgroundWrites({ url: undefined }, 500)).toEqual({ maxBatch: EMBEDDED_ROWS_PER_WRITE, yieldBetweenWrites: true });
    expect(backgroundWrites({ url: undefined }, 20)).toEqual({ maxBatch: 20, yieldBetweenWrites: true });
  });

  it('keeps a failed batch, in order, for the next flush; drops (and counts) beyond maxBuffered', async () => {
    const written: number[] = [];
    let fail = true;
    const failures: number[] = [];
    let dropped = 0;
    const buffer = new WriteBehindBuffer<number>({
      write: async (batch) => {
        if (fail) throw new Error('connection refused');
        written.push(...batch);
      },
      maxBatch: 10,
      maxBuffered: 4,
      onFailed: (_error, pending) => failures.push(pending),
      onDropped: () => dropped++,
    });
    [1, 2, 3].forEach((n) => buffer.push(n));
    await buffer.flush();
    expect(failures).toEqual([3]);
    expect([4, 5, 6].map((n) => buffer.push(n))).toEqual([true, false, false]);
    expect(dropped).toBe(2);
    fail = false;
    await buffer.flush();
    expect(written).toEqual([1, 2, 3, 4]);
  });
});
