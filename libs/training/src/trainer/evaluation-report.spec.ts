import { binaryRocAuc, classificationReport, quantile, regressionReport } from './evaluation-report';

/* Figures from scikit-learn's documentation examples, and worked by hand where noted. */

describe('classificationReport', () => {
  // sklearn.metrics.classification_report's example: y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1].
  const report = classificationReport(['class 0', 'class 1', 'class 2'], [0, 1, 2, 2, 2], [0, 0, 2, 2, 1]);

  it('counts the confusion matrix with rows = true class, columns = predicted', () => {
    expect(report.confusionMatrix).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 1, 2],
    ]);
    expect(report.classes).toEqual(['class 0', 'class 1', 'class 2']);
  });

  it('gives per-class precision, recall, F1 and support as scikit-learn does', () => {
    const rows = report.perClass.map((m) => [m.class, m.precision, m.recall, m.f1, m.support]);
    expect(rows).toEqual([
      ['class 0', 0.5, 1, expect.closeTo(2 / 3, 12), 1],
      ['class 1', 0, 0, 0, 1],
      ['class 2', 1, expect.closeTo(2 / 3, 12), expect.closeTo(0.8, 12), 3],
    ]);
  });

  it('averages them (macro: 0.50 0.56 0.49; weighted: 0.70 0.60 0.61) and gives the accuracy (0.60)', () => {
    expect(report.macro.precision).toBeCloseTo(0.5, 12);
    expect(report.macro.recall).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    expect(report.macro.f1).toBeCloseTo((2 / 3 + 0 + 0.8) / 3, 12);
    expect(report.weighted.precision).toBeCloseTo(0.7, 12);
    expect(report.weighted.recall).toBeCloseTo(0.6, 12);
    expect(report.weighted.f1).toBeCloseTo((2 / 3 + 0 + 3 * 0.8) / 5, 12);
    expect(report.accuracy).toBeCloseTo(0.6, 12);
    expect(report.rocAuc).toBeNull();
  });

  it('counts a ratio with a zero denominator as 0 (zero_division=0): a class never predicted, a class absent from the split', () => {
    // Class b is never predicted (precision 0/0) and class c never occurs (recall 0/0).
    const r = classificationReport(['a', 'b', 'c'], [0, 0, 1, 1], [0, 0, 0, 0]);
    expect(r.perClass).toEqual([
      { class: 'a', precision: 0.5, recall: 1, f1: expect.closeTo(2 / 3, 12), support: 2 },
      { class: 'b', precision: 0, recall: 0, f1: 0, support: 2 },
      { class: 'c', precision: 0, recall: 0, f1: 0, support: 0 },
    ]);
    // Macro averages over every class, c included; weighted leaves c out (support 0).
    expect(r.macro.recall).toBeCloseTo(1 / 3, 12);
    expect(r.weighted.recall).toBeCloseTo(0.5, 12);
    expect(r.weighted.precision).toBeCloseTo(0.25, 12);
    expect(r.accuracy).toBe(0.5);
  });

  it('gives the ROC AUC for two classes, the second one positive', () => {
    const r = classificationReport(['no', 'yes'], [0, 0, 1, 1], [0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(r.rocAuc).toBeCloseTo(0.75, 12);
    expect(r.perClass.map((m) => m.support)).toEqual([2, 2]);
  });
});

describe('binaryRocAuc', () => {
  it('matches roc_auc_score on its documentation example: [0, 0, 1, 1] scored [0.1, 0.4, 0.35, 0.8] → 0.75', () => {
    expect(binaryRocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
  });

  it('counts ties half, and is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(binaryRocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // Pairs (pos, neg): (0.7 vs 0.2) win, (0.7 vs 0.7) tie, (0.3 vs 0.2) win, (0.3 vs 0.7) loss → 2.5 / 4.
    expect(binaryRocAuc([1, 0, 1, 0], [0.7, 0.2, 0.3, 0.7])).toBe(0.625);
    expect(binaryRocAuc([0, 0, 1], [0.1, 0.2, 0.9])).toBe(1);
    expect(binaryRocAuc([1, 1, 0], [0.1, 0.2, 0.9])).toBe(0);
  });

  it('is undefined (null) when the truth holds one class only', () => {
    expect(binaryRocAuc([1, 1], [0.2, 0.3])).toBeNull();
    expect(binaryRocAuc([0], [0.2])).toBeNull();
  });
});

describe('regressionReport', () => {
  it('matches r2_score, mean_absolute_error and the root of mean_squared_error on their documentation example', () => {
    // y_true = [3, -0.5, 2, 7], y_pred = [2.5, 0.0, 2, 8]: r2 0.948..., MAE 0.5, MSE 0.375.
    const r = regressionReport([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(r.r2).toBeCloseTo(0.9486081370449679, 12);
    expect(r.mae).toBeCloseTo(0.5, 12);
    expect(r.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    // Residuals (actual − predicted) sorted: [-1, -0.5, 0, 0.5]; numpy.percentile(..., [5, 25, 50, 75, 95]).
    expect(r.residualQuantiles.p5).toBeCloseTo(-0.925, 12);
    expect(r.residualQuantiles.p25).toBeCloseTo(-0.625, 12);
    expect(r.residualQuantiles.p50).toBeCloseTo(-0.25, 12);
    expect(r.residualQuantiles.p75).toBeCloseTo(0.125, 12);
    expect(r.residualQuantiles.p95).toBeCloseTo(0.425, 12);
  });

  it('scores a constant truth 1 when predicted exactly, else 0 (force_finite)', () => {
    expect(regressionReport([2, 2], [2, 2]).r2).toBe(1);
    expect(regressionReport([2, 2], [1, 3]).r2).toBe(0);
  });

  it('takes one row', () => {
    expect(regressionReport([1], [0.5])).toEqual({
      mae: 0.5,
      rmse: 0.5,
      r2: 0,
      residualQuantiles: { p5: 0.5, p25: 0.5, p50: 0.5, p75: 0.5, p95: 0.5 },
    });
  });
});

describe('quantile', () => {
  it('interpolates linearly at (n − 1)·p', () => {
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5, 12);
    expect(quantile([7], 0.05)).toBe(7);
  });
});
