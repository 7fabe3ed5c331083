import { profileClasses, profileFeature, profileValues } from '@app/models';
import { driftOf } from './drift-report';
import { DriftCounter } from './drift-tally';

const column = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

describe('drift counting and report', () => {
  const a = column(1000, (i) => i / 1000); // uniform on [0, 1)
  const b = column(1000, (i) => (i % 2 ? -1 : 1) * (i / 1000)); // symmetric around 0
  const profile = {
    features: [profileFeature('a', a), profileFeature('b', b)],
    predictions: profileClasses(['no', 'yes'], Int32Array.from(column(1000, (i) => (i < 700 ? 0 : 1)))),
    rows: 1000,
  };

  it('counts rows into the profile’s bins with sums, and predictions by class', () => {
    const counter = new DriftCounter(profile);
    const tally = counter.newTally(0);
    counter.count(
      tally,
      a.map((v, i) => [v, b[i]]),
      a.map((_, i) => (i < 700 ? [0.9, 0.1] : [0.2, 0.8])),
    );
    const seen = tally.figures();
    expect(seen.rows).toBe(1000);
    expect(seen.featureCounts).toHaveLength(20);
    expect(seen.featureCounts.reduce((x, y) => x + y, 0)).toBe(2000);
    expect(seen.predictionCounts).toEqual([700, 300]);
    const report = driftOf(profile, seen);
    expect(report.features.map((f) => [f.name, f.status])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
    ]);
    expect(report.features[0].psi).toBeCloseTo(0, 9);
    expect(report.features[0].meanServing).toBeCloseTo(0.4995, 6);
    expect(report.predictions).toMatchObject({ kind: 'classes', psi: 0, status: 'ok', distributionServing: [0.7, 0.3] });
  });

  it('a shifted feature alerts alone; no rows → nulls', () => {
    const counter = new DriftCounter(profile);
    const tally = counter.newTally(0);
    counter.count(
      tally,
      a.map((v, i) => [v + 0.9, b[i]]),
      undefined,
    );
    const report = driftOf(profile, tally.figures());
    expect(report.features.map((f) => f.status)).toEqual(['alert', 'ok']);
    expect(report.predictions.psi).toBeNull();

    const empty = driftOf(profile, counter.newTally(0).figures());
    expect(empty.features.every((f) => f.psi === null && f.status === null && f.meanServing === null)).toBe(true);
  });

  it('bins a single-number prediction by its profile’s value edges', () => {
    const values = { features: [profileFeature('a', a)], predictions: profileValues(a), rows: 1000 };
    const counter = new DriftCounter(values);
    const tally = counter.newTally(0);
    counter.count(
      tally,
      a.map((v) => [v]),
      a.map((v) => [v]),
    );
    expect(driftOf(values, tally.figures()).predictions).toMatchObject({ kind: 'values', psi: 0, status: 'ok' });
  });
});
