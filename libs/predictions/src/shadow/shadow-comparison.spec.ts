import {
  addHistograms,
  addToTally,
  compareOutputs,
  emptyHistogram,
  emptyTally,
  histogramPercentile,
  LATENCY_BUCKETS,
  latencyBucket,
} from './shadow-comparison';

describe('compareOutputs', () => {
  it('counts rows whose top class agrees and the mean absolute difference of every value', () => {
    const baseline = [
      [
        [0.7, 0.2, 0.1],
        [0.1, 0.3, 0.6],
      ],
    ];
    const shadow = [
      [
        [0.6, 0.3, 0.1], // same top class (0)
        [0.1, 0.6, 0.3], // 2 → 1
      ],
    ];
    const c = compareOutputs(baseline, shadow);
    expect(c.rowsClassified).toBe(2);
    expect(c.rowsAgreeing).toBe(1);
    expect(c.valuesCompared).toBe(6);
    expect(c.absDiffSum).toBeCloseTo(0.1 + 0.1 + 0 + 0 + 0.3 + 0.3, 12);
  });

  it('identical outputs agree everywhere with no difference', () => {
    const out = [
      [
        [1, 2, 3],
        [3, 2, 1],
      ],
      [[5], [6]],
    ];
    expect(compareOutputs(out, structuredClone(out))).toEqual({ rowsClassified: 2, rowsAgreeing: 2, valuesCompared: 8, absDiffSum: 0 });
  });

  it('judges no top class for one value a row (a regressor), but still compares the values', () => {
    expect(compareOutputs([[[1.5], [2]]], [[[1], [2.5]]])).toEqual({
      rowsClassified: 0,
      rowsAgreeing: 0,
      valuesCompared: 2,
      absDiffSum: 1,
    });
  });

  it('leaves strings out of the differences and the top class', () => {
    expect(compareOutputs([[['a', 'b']], [[1]]], [[['a', 'c']], [[3]]])).toEqual({
      rowsClassified: 0,
      rowsAgreeing: 0,
      valuesCompared: 1,
      absDiffSum: 2,
    });
  });

  it('a tie is resolved to the first index in both, as the labels are', () => {
    expect(compareOutputs([[[0.5, 0.5]]], [[[0.5, 0.5]]]).rowsAgreeing).toBe(1);
  });
});

describe('tally', () => {
  it('sums comparisons, keeps latencies, and counts a failed shadow run as an error without a shadow latency', () => {
    const tally = emptyTally({ modelId: 'm', shadowVersion: 2, shadowSince: new Date(0), baselineVersion: 1 });
    addToTally(tally, 3, { comparison: { rowsClassified: 2, rowsAgreeing: 1, valuesCompared: 6, absDiffSum: 0.5 }, shadowMs: 4 });
    addToTally(tally, 5, null);
    addToTally(tally, 7, { comparison: { rowsClassified: 1, rowsAgreeing: 1, valuesCompared: 3, absDiffSum: 0.25 }, shadowMs: 8 });
    expect(tally).toMatchObject({
      requests: 3,
      errors: 1,
      rowsClassified: 3,
      rowsAgreeing: 2,
      valuesCompared: 9,
      absDiffSum: 0.75,
    });
    expect(tally.shadowLatencyCounts.reduce((a, b) => a + b, 0)).toBe(2);
    expect(tally.baselineLatencyCounts.reduce((a, b) => a + b, 0)).toBe(3);
    expect([3, 5, 7].map((ms) => tally.baselineLatencyCounts[latencyBucket(ms)])).toEqual([1, 1, 1]);
  });
});

describe('latency histogram', () => {
  it('puts every latency in a bucket, the extremes in the first and last', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(-1)).toBe(0);
    expect(latencyBucket(Number.NaN)).toBe(0);
    expect(latencyBucket(1e9)).toBe(LATENCY_BUCKETS - 1);
    expect(latencyBucket(2)).toBeLessThan(latencyBucket(2.2));
  });

  it('reports a percentile within 2.5 % of the nearest-rank value', () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => 0.5 + ((i * 7919) % 1000) / 10); // 0.5 … 100.4 ms, shuffled
    const counts = emptyHistogram();
    for (const ms of latencies) counts[latencyBucket(ms)]++;
    const sorted = [...latencies].sort((a, b) => a - b);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1];
      const estimate = histogramPercentile(counts, q)!;
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.025);
    }
    expect(histogramPercentile(emptyHistogram(), 0.5)).toBeNull();
  });

  it('adds histograms of different lengths element by element', () => {
    expect(addHistograms([1, 2, 3], [10])).toEqual([11, 2, 3]);
    expect(addHistograms([], [0, 4])).toEqual([0, 4]);
  });
});
