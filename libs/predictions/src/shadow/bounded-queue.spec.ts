import { BoundedQueue } from './bounded-queue';

describe('BoundedQueue', () => {
  it('takes up to its capacity, drops and counts beyond it, and hands items out in order', () => {
    const q = new BoundedQueue<number>(3);
    expect([1, 2, 3, 4, 5].map((n) => q.offer(n))).toEqual([true, true, true, false, false]);
    expect(q.dropped).toBe(2);
    expect(q.size).toBe(3);
    expect(q.shift()).toBe(1);
    expect(q.offer(6)).toBe(true); // room again once one is taken
    expect([q.shift(), q.shift(), q.shift(), q.shift()]).toEqual([2, 3, 6, undefined]);
    expect(q.size).toBe(0);
  });

  it('stays in order across its internal compaction', () => {
    const q = new BoundedQueue<number>(5000);
    const out: number[] = [];
    for (let n = 0; n < 10_000; n++) {
      q.offer(n);
      if (n % 3 !== 0) out.push(q.shift()!);
    }
    for (let v = q.shift(); v !== undefined; v = q.shift()) out.push(v);
    expect(out).toEqual(Array.from({ length: 10_000 }, (_, i) => i));
    expect(q.dropped).toBe(0);
  });

  it('clear() empties it', () => {
    const q = new BoundedQueue<string>(2);
    q.offer('a');
    q.clear();
    expect(q.size).toBe(0);
    expect(q.shift()).toBeUndefined();
  });
});
