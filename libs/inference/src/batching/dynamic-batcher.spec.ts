import { Registry } from 'prom-client';
import { InferenceMetrics } from '../metrics/inference-metrics';
import { BatchExecutor, DynamicBatcher, InferenceQueueFullError } from './dynamic-batcher';

/** An executor of a one-input model that records each batch and answers row → [row[0] * 10] once released. */
function recordingExecutor(options: { manual?: boolean; failWhen?: (rows: number[][]) => boolean } = {}) {
  const batches: number[][][] = [];
  const gates: (() => void)[] = [];
  const execute: BatchExecutor = async ([column]) => {
    const rows = column as number[][];
    batches.push(rows);
    if (options.manual) await new Promise<void>((resolve) => gates.push(resolve));
    if (options.failWhen?.(rows)) throw new Error('kernel exploded');
    return [rows.map((r) => [r[0] * 10])];
  };
  return { execute, batches, releaseNext: () => gates.shift()?.() };
}

const flush = () => new Promise<void>((resolve) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(resolve));

describe('DynamicBatcher', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('merges concurrent requests for a key into one predict and splits results back in order', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 2, maxQueueRows: 1000 });
    const { execute, batches } = recordingExecutor();
    const calls = [[[1], [2]], [[3]], [[4], [5], [6]]].map((rows) => batcher.submit('m:1', [rows], execute));
    jest.advanceTimersByTime(2);
    const results = await Promise.all(calls);
    expect(batches).toEqual([[[1], [2], [3], [4], [5], [6]]]);
    expect(results.map((r) => r.outputs[0])).toEqual([[[10], [20]], [[30]], [[40], [50], [60]]]);
    expect(results.every((r) => r.batchRows === 6)).toBe(true);
  });

  it('keeps keys apart', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 2, maxQueueRows: 1000 });
    const a = recordingExecutor();
    const b = recordingExecutor();
    const calls = [
      batcher.submit('a', [[[1]]], a.execute),
      batcher.submit('b', [[[2]]], b.execute),
      batcher.submit('a', [[[3]]], a.execute),
    ];
    jest.advanceTimersByTime(2);
    await Promise.all(calls);
    expect(a.batches).toEqual([[[1], [3]]]);
    expect(b.batches).toEqual([[[2]]]);
  });

  it('waits at most maxDelayMs for more requests', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 5, maxQueueRows: 1000 });
    const { execute, batches } = recordingExecutor();
    const first = batcher.submit('m', [[[1]]], execute);
    jest.advanceTimersByTime(4);
    await flush();
    expect(batches).toHaveLength(0);
    const second = batcher.submit('m', [[[2]]], execute);
    jest.advanceTimersByTime(1);
    await Promise.all([first, second]);
    // The deadline is the oldest request's: the second one did not restart the clock.
    expect(batches).toEqual([[[1], [2]]]);
  });

  it('with maxDelayMs 0, closes the batch at the end of the I/O phase, holding every request read in it, on no timer', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 0, maxQueueRows: 1000 });
    const { execute, batches } = recordingExecutor();
    // Requests parsed in one event-loop turn (several sockets read in the same poll phase).
    const sameTurn = [batcher.submit('m', [[[1]]], execute), batcher.submit('m', [[[2]]], execute), batcher.submit('m', [[[3]]], execute)];
    expect(batches).toHaveLength(0);
    await Promise.all(sameTurn); // no fake timer advanced: only setImmediate ran
    const nextTurn = batcher.submit('m', [[[4]]], execute);
    await nextTurn;
    expect(batches).toEqual([[[1], [2], [3]], [[4]]]);
  });

  it('closes a batch as soon as it holds maxBatchRows, without waiting', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 3, maxDelayMs: 1000, maxQueueRows: 1000 });
    const { execute, batches, releaseNext } = recordingExecutor({ manual: true });
    const calls = [1, 2, 3, 4, 5].map((v) => batcher.submit('m', [[[v]]], execute));
    await flush();
    // Three rows filled the first batch immediately; it is still computing.
    expect(batches).toEqual([[[1], [2], [3]]]);
    releaseNext();
    await flush();
    // The remaining two are under maxBatchRows: they wait for the delay.
    expect(batches).toHaveLength(1);
    jest.advanceTimersByTime(1000);
    await flush();
    expect(batches[1]).toEqual([[4], [5]]);
    releaseNext();
    expect((await Promise.all(calls)).map((r) => r.outputs[0][0][0])).toEqual([10, 20, 30, 40, 50]);
  });

  it('runs up to maxConcurrentBatches batches of a key at once (a pool), in order, and no more', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 2, maxDelayMs: 0, maxQueueRows: 1000, maxConcurrentBatches: 2 });
    const { execute, batches, releaseNext } = recordingExecutor({ manual: true });
    const calls = [1, 2, 3, 4, 5, 6].map((v) => batcher.submit('m', [[[v]]], execute));
    await flush();
    // Two batches started without waiting for each other; the third waits for a free slot.
    expect(batches).toEqual([
      [[1], [2]],
      [[3], [4]],
    ]);
    releaseNext();
    await flush();
    expect(batches[2]).toEqual([[5], [6]]);
    releaseNext();
    releaseNext();
    expect((await Promise.all(calls)).map((r) => r.outputs[0][0][0])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(batcher.queuedRows('m')).toBe(0);
  });

  it("takes each submit's concurrency: a key on the main thread runs one batch at a time whatever the default", async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 2, maxDelayMs: 0, maxQueueRows: 1000, maxConcurrentBatches: 3 });
    const { execute, batches, releaseNext } = recordingExecutor({ manual: true });
    const calls = [1, 2, 3, 4].map((v) => batcher.submit('m', [[[v]]], execute, { concurrentBatches: 1 }));
    await flush();
    expect(batches).toEqual([[[1], [2]]]);
    releaseNext();
    await flush();
    expect(batches).toHaveLength(2);
    releaseNext();
    expect((await Promise.all(calls)).map((r) => r.outputs[0][0][0])).toEqual([10, 20, 30, 40]);
  });

  describe('maxBatchMs: a batch holds the rows its model computes in about that long', () => {
    const sizes = (batches: number[][][]) => batches.map((b) => b.length);

    it("takes the model's own measure of a row: a heavy model's batches are cut short, a light one's fill up", async () => {
      const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 0, maxQueueRows: 1000, maxBatchMs: 4 });
      const heavy = recordingExecutor();
      const light = recordingExecutor();
      const rows = Array.from({ length: 10 }, (_, i) => i + 1);
      const calls = [
        ...rows.map((v) => batcher.submit('heavy', [[[v]]], heavy.execute, { concurrentBatches: 1, msPerRow: 1 })),
        ...rows.map((v) => batcher.submit('light', [[[v]]], light.execute, { concurrentBatches: 1, msPerRow: 0.01 })),
      ];
      const results = await Promise.all(calls);
      expect(sizes(heavy.batches)).toEqual([4, 4, 2]);
      expect(sizes(light.batches)).toEqual([10]);
      // Cut or not, every request gets its own rows back, in order.
      expect(results.map((r) => r.outputs[0][0][0])).toEqual([...rows, ...rows].map((v) => v * 10));
    });

    it('closes a batch as soon as it holds the rows of maxBatchMs, without waiting for the delay', async () => {
      const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 1000, maxQueueRows: 1000, maxBatchMs: 3 });
      const { execute, batches } = recordingExecutor();
      const calls = [1, 2, 3].map((v) => batcher.submit('m', [[[v]]], execute, { msPerRow: 1 }));
      await flush();
      expect(sizes(batches)).toEqual([3]);
      await Promise.all(calls);
    });

    it("without the model's measure, measures the key's batches itself (kept between bursts)", async () => {
      const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 0, maxQueueRows: 1000, maxBatchMs: 4 });
      const batches: number[] = [];
      // 1 ms per row on the (fake) clock.
      const execute: BatchExecutor = async ([column]) => {
        batches.push(column.length);
        jest.advanceTimersByTime(column.length);
        return [column.map((r) => [Number(r[0])])];
      };
      const burst = () => Promise.all(Array.from({ length: 8 }, (_, i) => batcher.submit('m', [[[i]]], execute)));
      await burst();
      await flush();
      await burst();
      // Nothing measured yet (the first batch, which may have loaded the model, is not counted): full batches.
      expect(batches).toEqual([8, 8]);
      await flush();
      await burst();
      expect(batches).toEqual([8, 8, 4, 4]);
    });

    it('0 leaves the rows alone to decide', async () => {
      const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 0, maxQueueRows: 1000, maxBatchMs: 0 });
      const { execute, batches } = recordingExecutor();
      await Promise.all([1, 2, 3, 4, 5].map((v) => batcher.submit('m', [[[v]]], execute, { msPerRow: 100 })));
      expect(sizes(batches)).toEqual([5]);
    });
  });

  it('never splits a request: one larger than maxBatchRows runs alone', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 2, maxDelayMs: 2, maxQueueRows: 1000 });
    const { execute, batches } = recordingExecutor();
    const big = batcher.submit('m', [[[1], [2], [3], [4]]], execute);
    const small = batcher.submit('m', [[[5]]], execute);
    jest.advanceTimersByTime(2);
    await flush();
    jest.advanceTimersByTime(2);
    const [b, s] = await Promise.all([big, small]);
    expect(batches).toEqual([[[1], [2], [3], [4]], [[5]]]);
    expect(b.outputs[0]).toHaveLength(4);
    expect(s.outputs).toEqual([[[50]]]);
  });

  it('refuses with a 429 problem and Retry-After when the queue for the key is full', async () => {
    const metrics = new InferenceMetrics(new Registry());
    const batcher = new DynamicBatcher({ maxBatchRows: 2, maxDelayMs: 0, maxQueueRows: 4 }, metrics);
    const { execute, releaseNext } = recordingExecutor({ manual: true });
    const running = batcher.submit('m', [[[1], [2]]], execute); // runs at once (batch full)
    await flush();
    const queued = [batcher.submit('m', [[[3], [4]]], execute), batcher.submit('m', [[[5], [6]]], execute)];
    expect(batcher.queuedRows('m')).toBe(4);

    const refused = batcher.submit('m', [[[7]]], execute);
    await expect(refused).rejects.toBeInstanceOf(InferenceQueueFullError);
    const error = (await refused.catch((e: unknown) => e)) as InferenceQueueFullError;
    expect(error.kind).toBe('rate-limited');
    expect(error.code).toBe('INFERENCE_QUEUE_FULL');
    expect(Number(error.headers?.['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect((await metrics.queueRejections.get()).values[0].value).toBe(1);
    // Another key is unaffected.
    const other = batcher.submit('other', [[[8]]], recordingExecutor().execute);

    for (let i = 0; i < 3; i++) {
      releaseNext();
      await flush();
    }
    jest.advanceTimersByTime(1);
    await expect(Promise.all([running, ...queued, other])).resolves.toHaveLength(4);
    // Once drained, the key accepts work again.
    const after = batcher.submit('m', [[[9]]], execute);
    jest.advanceTimersByTime(1);
    await flush();
    releaseNext();
    expect((await after).outputs).toEqual([[[90]]]);
  });

  it('a failing batch rejects only its own callers; the next batch runs', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 2, maxDelayMs: 2, maxQueueRows: 1000 });
    const { execute } = recordingExecutor({ failWhen: (rows) => rows.some((r) => r[0] < 0) });
    const poisoned = [batcher.submit('m', [[[1]]], execute), batcher.submit('m', [[[-1]]], execute)];
    const healthy = [batcher.submit('m', [[[2]]], execute), batcher.submit('m', [[[3]]], execute)];
    const settled = Promise.allSettled([...poisoned, ...healthy]);
    jest.advanceTimersByTime(2);
    await flush();
    jest.advanceTimersByTime(2);
    const results = await settled;
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('kernel exploded'));
    expect((results[3] as PromiseFulfilledResult<{ outputs: number[][][] }>).value.outputs).toEqual([[[30]]]);
  });

  it('rejects the batch when the executor returns the wrong number of rows', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 8, maxDelayMs: 0, maxQueueRows: 100 });
    const call = batcher.submit('m', [[[1], [2]]], async () => [[[1]]]);
    jest.advanceTimersByTime(1);
    await expect(call).rejects.toThrow('The model returned 1 rows for a batch of 2.');
  });

  it('records batch sizes, and hands each caller its queue and compute time (serving labels them by model)', async () => {
    const registry = new Registry();
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 2, maxQueueRows: 1000 }, new InferenceMetrics(registry));
    const { execute } = recordingExecutor();
    const calls = [batcher.submit('m', [[[1]]], execute), batcher.submit('m', [[[2], [3]]], execute)];
    jest.advanceTimersByTime(2);
    const [first, second] = await Promise.all(calls);
    expect(first.queueMs).toBeGreaterThanOrEqual(2);
    expect(second.computeMs).toBe(first.computeMs);
    const text = await registry.metrics();
    expect(text).toContain('modelgate_inference_batch_size_sum 3');
    expect(text).toContain('modelgate_inference_batch_size_count 1');
    // One timing series: modelgate_inference_duration_seconds{model,version,phase} (predictions), not a second unlabelled copy here.
    expect(text).not.toContain('inference_queue_seconds');
    expect(text).not.toContain('inference_compute_seconds');
  });

  it('batches a model with several inputs input by input, and splits every output back by rows', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 2, maxQueueRows: 1000 });
    const seen: unknown[] = [];
    const execute: BatchExecutor = async ([a, b]) => {
      seen.push([a, b]);
      // Two outputs: a's first value + b's length, and b's first string.
      return [a.map((row, r) => [(row[0] as number) + b[r].length]), b.map((row) => [row[0] as string])];
    };
    const calls = [
      batcher.submit('m', [[[1]], [['x', 'y']]], execute),
      batcher.submit(
        'm',
        [
          [[2], [3]],
          [['p'], ['q', 'r', 's']],
        ],
        execute,
      ),
    ];
    jest.advanceTimersByTime(2);
    const [first, second] = await Promise.all(calls);
    expect(seen).toEqual([
      [
        [[1], [2], [3]],
        [['x', 'y'], ['p'], ['q', 'r', 's']],
      ],
    ]);
    expect(first.outputs).toEqual([[[3]], [['x']]]);
    expect(second.outputs).toEqual([
      [[3], [6]],
      [['p'], ['q']],
    ]);
    expect(second.batchRows).toBe(3);
  });

  it('rejects the batch when one of several outputs has the wrong number of rows', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 8, maxDelayMs: 0, maxQueueRows: 100 });
    const call = batcher.submit('m', [[[1], [2]]], async () => [[[1], [2]], [[1]]]);
    jest.advanceTimersByTime(1);
    await expect(call).rejects.toThrow('The model returned 1 rows for a batch of 2.');
  });

  it('rejects waiting requests on shutdown', async () => {
    const batcher = new DynamicBatcher({ maxBatchRows: 64, maxDelayMs: 50, maxQueueRows: 1000 });
    const call = batcher.submit('m', [[[1]]], recordingExecutor().execute);
    batcher.onModuleDestroy();
    await expect(call).rejects.toMatchObject({ code: 'INFERENCE_SHUTTING_DOWN' });
  });
});
