/**
 * The evaluation report of a trained version, measured on the validation split: what scikit-learn's
 * confusion_matrix, precision_recall_fscore_support, roc_auc_score and r2_score give on the same
 * answers (a ratio whose denominator is zero counts 0, scikit-learn's zero_division default).
 * Pure functions over plain arrays, so that they are tested against known figures.
 */

export interface ClassMetrics {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  /** Validation rows of this class. */
  support: number;
}

export interface AveragedMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationReport {
  classes: string[];
  /** counts[true class][predicted class], both in `classes` order. */
  confusionMatrix: number[][];
  perClass: ClassMetrics[];
  /** Unweighted mean over the classes (a class absent from the split counts, with zeros). */
  macro: AveragedMetrics;
  /** Mean over the classes weighted by support. */
  weighted: AveragedMetrics;
  accuracy: number;
  /** Two classes only (the second one positive, scored by its probability); null otherwise or when the split holds one class. */
  rocAuc: number | null;
}

export interface ResidualQuantiles {
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
}

export interface RegressionReport {
  mae: number;
  rmse: number;
  r2: number;
  /** Quantiles of actual − predicted (linear interpolation between order statistics, numpy's default). */
  residualQuantiles: ResidualQuantiles;
}

export type EvaluationReport = ClassificationReport | RegressionReport;

/** Zero when the denominator is (scikit-learn's zero_division=0). */
const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * The classification report of predictions against the truth, both as class indices into `classes`.
 * `positiveScores` (two classes): each row's score for classes[1], for the ROC AUC.
 */
export function classificationReport(
  classes: readonly string[],
  actual: ArrayLike<number>,
  predicted: ArrayLike<number>,
  positiveScores?: ArrayLike<number>,
): ClassificationReport {
  if (actual.length !== predicted.length) throw new Error('classificationReport: as many predictions as true classes are needed');
  const k = classes.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < actual.length; i++) matrix[actual[i]][predicted[i]]++;

  const perClass = classes.map((name, c): ClassMetrics => {
    const tp = matrix[c][c];
    const support = matrix[c].reduce((a, b) => a + b, 0);
    const predictedAs = matrix.reduce((a, row) => a + row[c], 0);
    const fp = predictedAs - tp;
    const fn = support - tp;
    return {
      class: name,
      precision: ratio(tp, predictedAs),
      recall: ratio(tp, support),
      // 2tp / (2tp + fp + fn): scikit-learn's form, defined (0) when precision is not.
      f1: ratio(2 * tp, 2 * tp + fp + fn),
      support,
    };
  });
  const total = actual.length;
  const average = (weight: (m: ClassMetrics) => number): AveragedMetrics => {
    const sum = perClass.reduce((a, m) => a + weight(m), 0);
    const mean = (key: keyof AveragedMetrics) =>
      ratio(
        perClass.reduce((a, m) => a + m[key] * weight(m), 0),
        sum,
      );
    return { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') };
  };
  const correct = matrix.reduce((a, row, c) => a + row[c], 0);
  const rocAuc = k === 2 && positiveScores ? binaryRocAuc(actual, positiveScores) : null;
  return {
    classes: [...classes],
    confusionMatrix: matrix,
    perClass,
    macro: average(() => 1),
    weighted: average((m) => m.support),
    accuracy: ratio(correct, total),
    rocAuc,
  };
}

/**
 * Area under the ROC curve of `scores` for the truth (1 = positive, 0 = negative): the Mann–Whitney
 * statistic, ties counted half (as the trapezoids of scikit-learn's curve). Null when the truth holds
 * one class only (scikit-learn refuses that case).
 */
export function binaryRocAuc(actual: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const n = actual.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]] === scores[order[start]]) end++;
    // Tied scores share the mean of their 1-based ranks.
    const rank = (start + end) / 2 + 1;
    for (let i = start; i <= end; i++) {
      if (actual[order[i]] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function regressionReport(actual: ArrayLike<number>, predicted: ArrayLike<number>): RegressionReport {
  const n = actual.length;
  if (n !== predicted.length || n === 0)
    throw new Error('regressionReport: as many predictions as actual values (at least one) are needed');
  const residuals = new Float64Array(n);
  let absolute = 0;
  let squared = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) {
    residuals[i] = actual[i] - predicted[i];
    absolute += Math.abs(residuals[i]);
    squared += residuals[i] ** 2;
    mean += actual[i];
  }
  mean /= n;
  let spread = 0;
  for (let i = 0; i < n; i++) spread += (actual[i] - mean) ** 2;
  // scikit-learn's r2_score with force_finite: a constant truth scores 1 when predicted exactly, else 0.
  const r2 = spread === 0 ? (squared === 0 ? 1 : 0) : 1 - squared / spread;
  residuals.sort();
  const q = (p: number) => quantile(residuals, p);
  return {
    mae: absolute / n,
    rmse: Math.sqrt(squared / n),
    r2,
    residualQuantiles: { p5: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95) },
  };
}

/** The p-quantile of sorted values, interpolated linearly between the order statistics around (n − 1)·p (numpy's default). */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
