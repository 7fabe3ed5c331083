import { classWeights, EarlyStopper, unknownClasses } from './training-controls';

describe('EarlyStopper', () => {
  /** The epoch each loss sequence stops at (or undefined), and the best epoch then. */
  function run(losses: number[], patience: number, minDelta = 0): { stoppedAt?: number; best: number } {
    const stopper = new EarlyStopper({ patience, minDelta });
    for (let i = 0; i < losses.length; i++) {
      if (stopper.observe(i + 1, losses[i]).stop) return { stoppedAt: i + 1, best: stopper.bestEpoch };
    }
    return { best: stopper.bestEpoch };
  }

  it('stops after `patience` epochs without improvement and remembers the best epoch', () => {
    expect(run([1, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9], 3)).toEqual({ stoppedAt: 6, best: 3 });
    expect(run([1, 0.8, 0.7, 0.75], 1)).toEqual({ stoppedAt: 4, best: 3 });
  });

  it('starts counting again at every improvement, and runs on while the loss keeps improving', () => {
    expect(run([1, 1.1, 0.9, 1.0, 0.8, 0.85, 0.7], 2)).toEqual({ best: 7 });
    expect(run([5, 4, 3, 2, 1], 1)).toEqual({ best: 5 });
  });

  it('counts an equal loss as no improvement (strictly better by more than minDelta)', () => {
    expect(run([1, 1, 1], 2)).toEqual({ stoppedAt: 3, best: 1 });
  });

  it('needs an improvement larger than minDelta', () => {
    // 0.95 and 0.92 are within 0.1 of 1: no improvement; 0.85 is 0.15 below: one.
    expect(run([1, 0.95, 0.92, 0.85, 0.8, 0.79, 0.78], 3, 0.1)).toEqual({ stoppedAt: 7, best: 4 });
    expect(run([1, 0.95, 0.92, 0.91], 3, 0.1)).toEqual({ stoppedAt: 4, best: 1 });
  });

  it('never counts a loss that is not a number as an improvement', () => {
    expect(run([NaN, NaN], 2)).toEqual({ stoppedAt: 2, best: 0 });
    expect(run([1, NaN, Infinity, 0.5], 3)).toEqual({ best: 4 });
  });

  it('answers whether each epoch improved', () => {
    const stopper = new EarlyStopper({ patience: 5, minDelta: 0 });
    expect([1, 0.5, 0.6, 0.4].map((loss, i) => stopper.observe(i + 1, loss).improved)).toEqual([true, true, false, true]);
  });
});

describe('classWeights', () => {
  it('balanced: n_samples / (n_classes * count), as compute_class_weight("balanced")', () => {
    // 100 samples: 90 / 10 → 100 / (2 * 90), 100 / (2 * 10).
    const [major, minor] = classWeights('balanced', ['a', 'b'], [90, 10]);
    expect(major).toBeCloseTo(100 / 180, 12);
    expect(minor).toBe(5);
    expect(classWeights('balanced', ['a', 'b', 'c'], [10, 10, 10])).toEqual([1, 1, 1]);
    // A class with no training row weighs nothing in the loss anyway: 1, not Infinity.
    expect(classWeights('balanced', ['a', 'b', 'c'], [30, 10, 0])).toEqual([40 / 90, 40 / 30, 1]);
  });

  it('a map weighs the classes it names, the others 1', () => {
    expect(classWeights({ b: 3 }, ['a', 'b', 'c'], [1, 1, 1])).toEqual([1, 3, 1]);
    // Own properties only: a class named like an Object.prototype member is not given one.
    expect(classWeights({}, ['toString'], [1])).toEqual([1]);
  });
});

describe('unknownClasses', () => {
  it('lists the names of a map that are not classes', () => {
    expect(unknownClasses({ a: 1, z: 2, y: 1 }, ['a', 'b'])).toEqual(['z', 'y']);
    expect(unknownClasses('balanced', ['a'])).toEqual([]);
  });
});
