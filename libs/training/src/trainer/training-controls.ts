import type { ClassWeight, EarlyStopping } from './training-spec';

/**
 * Early stopping on the validation loss, as Keras' EarlyStopping(monitor='val_loss', mode='min'):
 * an epoch improves when its loss is below the best so far by more than `minDelta`; training stops
 * after `patience` epochs in a row without one. A loss that is not a number never improves.
 */
export class EarlyStopper {
  private bestLoss = Infinity;
  private best = 0;
  private waited = 0;

  constructor(private readonly rule: EarlyStopping) {}

  /** The best epoch so far (1-based; 0 before any epoch improved). */
  get bestEpoch(): number {
    return this.best;
  }

  /** Records an epoch's validation loss: whether it is the new best, and whether training stops here. */
  observe(epoch: number, valLoss: number): { improved: boolean; stop: boolean } {
    if (Number.isFinite(valLoss) && this.bestLoss - valLoss > this.rule.minDelta) {
      this.bestLoss = valLoss;
      this.best = epoch;
      this.waited = 0;
      return { improved: true, stop: false };
    }
    this.waited++;
    return { improved: false, stop: this.waited >= this.rule.patience };
  }
}

/**
 * The weight of each class (index order of `labels`) for the loss. `balanced` is scikit-learn's
 * compute_class_weight: n_samples / (n_classes * count) over the training split (a class absent from
 * it weighs 1: no sample carries its weight). A map weighs the classes it names, the others 1.
 */
export function classWeights(spec: ClassWeight, labels: readonly string[], trainCounts: readonly number[]): number[] {
  if (spec === 'balanced') {
    const total = trainCounts.reduce((a, b) => a + b, 0);
    return trainCounts.map((count) => (count > 0 ? total / (labels.length * count) : 1));
  }
  return labels.map((label) => (Object.hasOwn(spec, label) ? spec[label] : 1));
}

/** Class names of a classWeight map that are not classes of the target. */
export function unknownClasses(spec: ClassWeight, classes: Iterable<string>): string[] {
  if (spec === 'balanced') return [];
  const known = new Set(classes);
  return Object.keys(spec).filter((name) => !known.has(name));
}
