import { backgroundWrites, EMBEDDED_ROWS_PER_WRITE, EMBEDDED_WEIGHT_PER_WRITE, WriteBehindBuffer } from './write-behind-buffer';

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
    const unbounded = Number.POSITIVE_INFINITY;
    expect(backgroundWrites({ url: 'postgres://db/modelgate' }, 500)).toEqual({
      maxBatch: 500,
      maxBatchWeight: unbounded,
      yieldBetweenWrites: false,
    });
    const embedded = { maxBatchWeight: EMBEDDED_WEIGHT_PER_WRITE, yieldBetweenWrites: true };
    expect(backgroundWrites({ url: undefined }, 500)).toEqual({ maxBatch: EMBEDDED_ROWS_PER_WRITE, ...embedded });
    expect(backgroundWrites({ url: undefined }, 20)).toEqual({ maxBatch: 20, ...embedded });
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

  it('weighs items: a write takes items while their weight fits (at least one), and maxBuffered bounds the weight', async () => {
    const writes: number[][] = [];
    const dropped: number[] = [];
    const buffer = new WriteBehindBuffer<number>({
      write: async (batch) => void writes.push([...batch]),
      maxBatch: 100,
      maxBatchWeight: 10,
      maxBuffered: 30,
      weigh: (n) => n,
      onDropped: (n) => dropped.push(n),
    });
    [4, 5, 12, 3, 3, 2].forEach((n) => buffer.push(n));
    expect(buffer.pending).toBe(29);
    expect(buffer.push(2)).toBe(false); // 31 > 30
    expect(dropped).toEqual([2]);
    await buffer.flush();
    expect(writes).toEqual([[4, 5], [12], [3, 3, 2]]);
    expect(buffer.pending).toBe(0);
  });
});
