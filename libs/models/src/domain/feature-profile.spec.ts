import {
  argmaxRows,
  binOf,
  binShares,
  cutsOf,
  driftStatus,
  populationStabilityIndex,
  profileFeature,
  profileProblems,
  quantileEdges,
} from './feature-profile';

describe('feature profiles', () => {
  it('quantile edges are numpy’s linear quantiles, min and max outermost', () => {
    const values = Array.from({ length: 101 }, (_, i) => i); // 0..100
    expect(quantileEdges(values, 10)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(quantileEdges([1, 2], 4)).toEqual([1, 1.25, 1.5, 1.75, 2]);
    expect(() => quantileEdges([], 10)).toThrow(RangeError);
  });

  it('a value on an edge counts in the lower bin; the outer bins reach to ±∞', () => {
    const cuts = cutsOf([0, 10, 20, 30], 3); // inner cuts 10, 20
    expect(Array.from(cuts)).toEqual([10, 20]);
    expect([-1e9, 0, 10, 10.0001, 20, 25, 1e9].map((v) => binOf(cuts, v))).toEqual([0, 0, 0, 1, 1, 2, 2]);
  });

  it('accepts bins + 1, bins − 1 and bins edges alike', () => {
    expect(Array.from(cutsOf([0, 1, 2, 3], 3))).toEqual([1, 2]);
    expect(Array.from(cutsOf([1, 2], 3))).toEqual([1, 2]);
    expect(Array.from(cutsOf([1, 2, 3], 3))).toEqual([1, 2]);
  });

  it('profiles a column: shares of 10 bins, mean and population std; a tied (binary) column gives empty bins on both sides', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i / 10);
    const f = profileFeature('x', values);
    expect(f.binShares).toHaveLength(10);
    f.binShares.forEach((s) => expect(s).toBeCloseTo(0.1, 2));
    expect(f.mean).toBeCloseTo(49.95, 6);
    expect(f.std).toBeCloseTo(Math.sqrt((1000 * 1000 - 1) / 12) / 10, 3);

    const binary = profileFeature('b', [...Array(700).fill(0), ...Array(300).fill(1)]);
    expect(binary.binShares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(binary.binShares.filter((s) => s > 0)).toEqual([0.7, 0.3]);
    // The same data counted again lands in the same bins: no drift.
    expect(populationStabilityIndex(binary.binShares, binShares([0, 1, 0, 0, 1, 0, 0, 1, 0, 0], binary.binEdges))).toBeCloseTo(0, 9);
  });

  it('PSI is 0 for the same distribution, grows with a shift, and stays finite with an empty bin', () => {
    const expected = Array(10).fill(0.1);
    expect(populationStabilityIndex(expected, expected)).toBe(0);
    const shifted = [0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4];
    const psi = populationStabilityIndex(expected, shifted);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(0.25);
    expect(driftStatus(0.05)).toBe('ok');
    expect(driftStatus(0.1)).toBe('warn');
    expect(driftStatus(0.25)).toBe('alert');
  });

  it('argmax per row', () => {
    expect(Array.from(argmaxRows([0.1, 0.7, 0.2, 0.9, 0.05, 0.05], 3))).toEqual([1, 0]);
  });

  it('names every problem of a profile given directly', () => {
    const limits = { maxFeatures: 2, maxBins: 100 };
    const ok = { name: 'a', binEdges: [0, 1, 2], binShares: [0.5, 0.5], mean: 1, std: 0.5 };
    expect(profileProblems({ features: [ok], predictions: null, rows: null }, limits)).toEqual([]);
    const fields = (features: (typeof ok)[]) => profileProblems({ features, predictions: null, rows: null }, limits).map((p) => p.field);
    expect(fields([{ ...ok, binEdges: [0, 1, 2, 3, 4] }])).toEqual(['features[0].binEdges']);
    expect(fields([{ ...ok, binEdges: [2, 1, 0] }])).toEqual(['features[0].binEdges']);
    expect(fields([{ ...ok, binShares: [0.6, 0.6] }])).toEqual(['features[0].binShares']);
    expect(fields([{ ...ok, binShares: [-0.5, 1.5] }])).toEqual(['features[0].binShares']);
    expect(fields([{ ...ok, std: -1 }])).toEqual(['features[0].std']);
    expect(fields([ok, ok])).toEqual(['features[1].name']);
    expect(fields([ok, { ...ok, name: 'b' }, { ...ok, name: 'c' }])).toEqual(['features']);
    expect(
      profileProblems({ features: [ok], predictions: { kind: 'classes', classes: ['x', 'y'], shares: [0.5] }, rows: null }, limits).map(
        (p) => p.field,
      ),
    ).toEqual(['predictions.shares']);
  });
});
