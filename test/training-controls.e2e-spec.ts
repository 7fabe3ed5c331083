import { deriveSeed, permutation, seededRandom } from '../libs/training/src/trainer/seeded-random';
import type { TrainingJobDto } from '@app/training';
import { authHeader, tokenFor } from './support/auth';
import { readFixtureCsv } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';
import { BLOBS_FEATURES, blobsSplit, createJob, csvText, downloadArtifact, uploadDataset, waitForJob } from './support/training';

/**
 * Training controls (issue 19): early stopping with the best weights restored, class weights, the
 * optimizer; and the evaluation report on the validation split, checked against figures this test
 * computes itself from the registered version's own predictions on the rows the trainer held out
 * (the split is reproduced from the seed, as the trainer draws it).
 */

interface ClassificationReport {
  classes: string[];
  confusionMatrix: number[][];
  perClass: { class: string; precision: number; recall: number; f1: number; support: number }[];
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  accuracy: number;
  rocAuc: number | null;
}

interface RegressionReport {
  mae: number;
  rmse: number;
  r2: number;
  residualQuantiles: Record<'p5' | 'p25' | 'p50' | 'p75' | 'p95', number>;
}

/** Gaussian draws from a seeded source (Box–Muller): the generated datasets are the same on every run. */
function normals(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Two features, a noisy linear boundary: a wide network soon fits the noise, and its validation loss turns up. */
function noisyTable(): { header: string[]; rows: string[][] } {
  const normal = normals(11);
  const rows = Array.from({ length: 240 }, () => {
    const [a, b] = [normal(), normal()];
    return [a.toFixed(4), b.toFixed(4), a + b + 1.2 * normal() > 0 ? 'yes' : 'no'];
  });
  return { header: ['a', 'b', 'label'], rows };
}

/** One row in ten of the rare class, shifted but overlapping: unweighted, a classifier mostly answers `common`. */
function imbalancedTable(): { header: string[]; rows: string[][] } {
  const normal = normals(99);
  const rows = Array.from({ length: 600 }, (_, i) => {
    const rare = i % 10 === 0;
    const shift = rare ? 1.2 : 0;
    return [(normal() + shift).toFixed(4), (normal() + shift).toFixed(4), rare ? 'rare' : 'common'];
  });
  return { header: ['x1', 'x2', 'label'], rows };
}

/** The rows the trainer held out, in its order: the first round(n · split) of its seeded permutation. */
function validationRows(n: number, split: number, seed: number): number[] {
  const count = Math.max(1, Math.round(n * split));
  return Array.from(permutation(n, seededRandom(deriveSeed(seed, 1))).subarray(0, count));
}

/** The sorted distinct values of a text target, as the trainer orders its classes. */
const classesOf = (labels: string[]) => [...new Set(labels)].sort();

describe('training controls and evaluation reports (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;

  beforeAll(async () => {
    t = await startTestApp({
      TRAINING_MAX_EPOCHS: '500',
      TRAINING_MAX_UNITS: '64',
      TRAINING_CONCURRENCY: '1',
      TRAINING_SWEEP_INTERVAL_SECONDS: '0',
    });
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
  });
  afterAll(() => t?.close());

  async function upload(table: { header: string[]; rows: string[][] }, name: string): Promise<string> {
    const res = await uploadDataset(t, engineer, csvText(table.header, table.rows), name);
    expect(res.statusCode).toBe(201);
    return res.json().id;
  }

  async function train(body: Record<string, unknown>): Promise<TrainingJobDto> {
    const res = await createJob(t, engineer, body);
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(t, engineer, res.json().id);
    expect(job).toMatchObject({ status: 'succeeded', error: null });
    return job;
  }

  async function version(job: TrainingJobDto): Promise<{ metrics: Record<string, unknown>; labels: string[] | null }> {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/models/${job.modelName}/versions/${job.modelVersion}`,
      headers: authHeader(engineer),
    });
    expect(res.statusCode).toBe(200);
    return res.json();
  }

  /** The registered version's answers (class probabilities, or values) for rows of raw feature values, through /v1. */
  async function predict(job: TrainingJobDto, instances: number[][]): Promise<number[][]> {
    const res = await t.app.inject({
      method: 'POST',
      url: `/v1/models/${job.modelName}/versions/${job.modelVersion}/predict`,
      headers: authHeader(consumer),
      payload: { instances },
    });
    expect(res.statusCode).toBe(200);
    return res.json().predictions;
  }

  /** The held-out rows of a table: features as numbers, the target as written. */
  function heldOut(table: { header: string[]; rows: string[][] }, features: string[], target: string, split: number, seed: number) {
    const cols = features.map((f) => table.header.indexOf(f));
    const targetCol = table.header.indexOf(target);
    const rows = validationRows(table.rows.length, split, seed).map((r) => table.rows[r]);
    return { x: rows.map((row) => cols.map((c) => Number(row[c]))), y: rows.map((row) => row[targetCol]) };
  }

  /** The classification report, worked out here from the truth and the predicted probabilities. */
  function expectedClassification(classes: string[], truth: string[], probabilities: number[][]): ClassificationReport {
    const actual = truth.map((y) => classes.indexOf(y));
    const predicted = probabilities.map((p) => p.indexOf(Math.max(...p)));
    const k = classes.length;
    const matrix = classes.map((_, i) => classes.map((__, j) => actual.filter((a, r) => a === i && predicted[r] === j).length));
    const perClass = classes.map((name, c) => {
      const tp = matrix[c][c];
      const support = actual.filter((a) => a === c).length;
      const predictedAs = predicted.filter((p) => p === c).length;
      const precision = predictedAs ? tp / predictedAs : 0;
      const recall = support ? tp / support : 0;
      const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
      return { class: name, precision, recall, f1, support };
    });
    const mean = (key: 'precision' | 'recall' | 'f1', weighted: boolean) =>
      perClass.reduce((a, m) => a + m[key] * (weighted ? m.support : 1), 0) / (weighted ? actual.length : k);
    const averages = (weighted: boolean) => ({
      precision: mean('precision', weighted),
      recall: mean('recall', weighted),
      f1: mean('f1', weighted),
    });
    // ROC AUC as the share of (positive, negative) pairs ranked right, ties half: every pair counted.
    let rocAuc: number | null = null;
    if (k === 2) {
      const scores = probabilities.map((p) => p[1]);
      const pos = scores.filter((_, r) => actual[r] === 1);
      const neg = scores.filter((_, r) => actual[r] === 0);
      let wins = 0;
      for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
      rocAuc = wins / (pos.length * neg.length);
    }
    return {
      classes,
      confusionMatrix: matrix,
      perClass,
      macro: averages(false),
      weighted: averages(true),
      accuracy: actual.filter((a, r) => a === predicted[r]).length / actual.length,
      rocAuc,
    };
  }

  function expectReportClose(report: ClassificationReport, expected: ClassificationReport): void {
    expect(report.classes).toEqual(expected.classes);
    expect(report.confusionMatrix).toEqual(expected.confusionMatrix);
    report.perClass.forEach((m, i) => {
      expect(m.class).toBe(expected.perClass[i].class);
      expect(m.support).toBe(expected.perClass[i].support);
      for (const key of ['precision', 'recall', 'f1'] as const) expect(m[key]).toBeCloseTo(expected.perClass[i][key], 9);
    });
    for (const avg of ['macro', 'weighted'] as const) {
      for (const key of ['precision', 'recall', 'f1'] as const) expect(report[avg][key]).toBeCloseTo(expected[avg][key], 9);
    }
    expect(report.accuracy).toBeCloseTo(expected.accuracy, 9);
    if (expected.rocAuc === null) expect(report.rocAuc).toBeNull();
    else expect(report.rocAuc).toBeCloseTo(expected.rocAuc, 4);
  }

  describe('early stopping', () => {
    const table = noisyTable();
    const hyper = {
      epochs: 300,
      batchSize: 16,
      learningRate: 0.03,
      validationSplit: 0.25,
      seed: 5,
      earlyStopping: { patience: 5 },
    };
    let job: TrainingJobDto;

    beforeAll(async () => {
      const datasetId = await upload(table, 'noisy');
      job = await train({
        modelName: 'noisy-early',
        datasetId,
        task: 'classification',
        features: ['a', 'b'],
        target: 'label',
        architecture: { hiddenLayers: [64, 64] },
        hyperparameters: hyper,
      });
    }, 240_000);

    it('stops once the validation loss has not improved for `patience` epochs, and records when and why', () => {
      expect(job.hyperparameters).toMatchObject({ optimizer: 'adam', earlyStopping: { patience: 5, minDelta: 0 } });
      expect(job.stopReason).toBe('early-stopping');
      expect(job.stoppedEpoch).toBeLessThan(300);
      expect(job.history).toHaveLength(job.stoppedEpoch!);
      expect(job.progress).toEqual({ epoch: job.stoppedEpoch, epochs: 300 });
      // The best epoch is the first lowest validation loss; the `patience` epochs after it are no better.
      const losses = job.history.map((h) => h.valLoss);
      const best = losses.indexOf(Math.min(...losses)) + 1;
      expect(job.metrics!.bestEpoch).toBe(best);
      expect(job.stoppedEpoch).toBe(best + 5);
    });

    it('registers the best epoch’s weights: the version’s validation loss is that epoch’s, not the last one’s', async () => {
      const best = job.metrics!.bestEpoch;
      const { x, y } = heldOut(table, ['a', 'b'], 'label', hyper.validationSplit, hyper.seed);
      const classes = classesOf(table.rows.map((r) => r[2]));
      const probabilities = await predict(job, x);
      const crossEntropy =
        probabilities.reduce((sum, p, r) => sum - Math.log(Math.min(Math.max(p[classes.indexOf(y[r])], 1e-7), 1 - 1e-7)), 0) / y.length;
      expect(crossEntropy).toBeCloseTo(job.history[best - 1].valLoss, 4);
      expect(job.metrics!.loss).toBeCloseTo(job.history[best - 1].valLoss, 5);
      expect(job.history.at(-1)!.valLoss - job.history[best - 1].valLoss).toBeGreaterThan(1e-4);
    });

    it('reports on the validation split: the figures match ones worked out from the version’s own predictions', async () => {
      const report = job.report as ClassificationReport;
      const { x, y } = heldOut(table, ['a', 'b'], 'label', hyper.validationSplit, hyper.seed);
      expect(y).toHaveLength(60);
      const expected = expectedClassification(['no', 'yes'], y, await predict(job, x));
      expect(expected.rocAuc).toEqual(expect.any(Number));
      expectReportClose(report, expected);
      expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(60);
    });

    it('stores the report, the stopped epoch and the reason with the version’s metrics', async () => {
      const v = await version(job);
      expect(v.metrics).toMatchObject({ ...job.metrics, stoppedEpoch: job.stoppedEpoch, stopReason: 'early-stopping' });
      expect(v.metrics.report).toEqual(job.report);
    });
  });

  describe('class weights', () => {
    const table = imbalancedTable();
    let datasetId: string;
    const body = (modelName: string, classWeight?: unknown) => ({
      modelName,
      datasetId,
      task: 'classification',
      features: ['x1', 'x2'],
      target: 'label',
      architecture: { hiddenLayers: [8] },
      hyperparameters: {
        epochs: 15,
        batchSize: 32,
        learningRate: 0.02,
        validationSplit: 0.3,
        seed: 3,
        ...(classWeight ? { classWeight } : {}),
      },
    });

    beforeAll(async () => {
      datasetId = await upload(table, 'imbalanced');
    });

    it('balanced raises the rare class’s recall well above an unweighted run’s; a map weighs the classes it names', async () => {
      const plain = await train(body('rare-plain'));
      const balanced = await train(body('rare-balanced', 'balanced'));
      const mapped = await train(body('rare-mapped', { rare: 9 }));
      expect(balanced.hyperparameters.classWeight).toBe('balanced');
      expect(mapped.hyperparameters.classWeight).toEqual({ rare: 9 });
      const recall = (j: TrainingJobDto) => (j.report as ClassificationReport).perClass.find((c) => c.class === 'rare')!.recall;
      expect(recall(balanced)).toBeGreaterThan(recall(plain) + 0.2);
      expect(recall(mapped)).toBeGreaterThan(recall(plain) + 0.2);
      expect(plain.stopReason).toBe('epochs');

      // Each report matches the version's own predictions on the held-out rows.
      const { x, y } = heldOut(table, ['x1', 'x2'], 'label', 0.3, 3);
      for (const job of [plain, balanced]) {
        expectReportClose(job.report as ClassificationReport, expectedClassification(['common', 'rare'], y, await predict(job, x)));
      }
    });
  });

  describe('optimizers and reproducibility', () => {
    const split = blobsSplit(120);
    let datasetId: string;
    const body = (modelName: string, hyper: Record<string, unknown>) => ({
      modelName,
      datasetId,
      task: 'classification',
      features: BLOBS_FEATURES,
      target: 'species',
      architecture: { hiddenLayers: [8], dropout: 0.1 },
      hyperparameters: { epochs: 6, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 21, ...hyper },
    });

    beforeAll(async () => {
      const res = await uploadDataset(t, engineer, split.training, 'blobs');
      datasetId = res.json().id;
    });

    it('trains with sgd (momentum) and rmsprop, each recorded, each learning the blobs', async () => {
      for (const optimizer of ['sgd', 'rmsprop']) {
        const job = await train(body(`blobs-${optimizer}`, { optimizer }));
        expect(job.hyperparameters.optimizer).toBe(optimizer);
        expect(job.metrics!.accuracy).toBeGreaterThanOrEqual(0.9);
        expect(job).toMatchObject({ stoppedEpoch: 6, stopReason: 'epochs' });
        const report = job.report as ClassificationReport;
        expect(report.classes).toEqual(['setosa', 'versicolor', 'virginica']);
        expect(report.rocAuc).toBeNull();
        // Three classes: the figures match too.
        const { header, rows } = readFixtureCsv('blobs');
        const training = { header, rows: rows.slice(0, rows.length - 120) };
        const { x, y } = heldOut(training, BLOBS_FEATURES, 'species', 0.2, 21);
        expectReportClose(report, expectedClassification(report.classes, y, await predict(job, x)));
      }
    });

    it('gives the same history, report and weights for the same seed with every control on', async () => {
      const hyper = { optimizer: 'rmsprop', classWeight: 'balanced', earlyStopping: { patience: 2, minDelta: 0.01 }, epochs: 40 };
      const a = await train(body('blobs-repro', hyper));
      const b = await train(body('blobs-repro', hyper));
      const strip = (j: TrainingJobDto) => j.history.map(({ durationMs: _, ...rest }) => rest);
      expect(strip(b)).toEqual(strip(a));
      expect([b.stoppedEpoch, b.stopReason, b.report, b.metrics]).toEqual([a.stoppedEpoch, a.stopReason, a.report, a.metrics]);
      const [fa, fb] = [await downloadArtifact(t, engineer, 'blobs-repro', 1), await downloadArtifact(t, engineer, 'blobs-repro', 2)];
      const weights = (files: Map<string, Buffer>) => [...files].find(([p]) => p.endsWith('.bin'))![1];
      expect(weights(fb).equals(weights(fa))).toBe(true);
    });
  });

  describe('regression report', () => {
    it('gives MAE, RMSE, R² and residual quantiles that match the version’s own predictions', async () => {
      const table = readFixtureCsv('regression');
      const datasetId = await upload(table, 'regression');
      const features = ['x1', 'x2', 'x3'];
      const job = await train({
        modelName: 'linear-report',
        datasetId,
        task: 'regression',
        features,
        target: 'y',
        architecture: { hiddenLayers: [8], activation: 'tanh' },
        hyperparameters: { epochs: 20, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 8, optimizer: 'sgd' },
      });
      const { x, y } = heldOut(table, features, 'y', 0.2, 8);
      const predicted = (await predict(job, x)).map((p) => p[0]);
      const actual = y.map(Number);
      const residuals = actual.map((v, i) => v - predicted[i]);
      const mean = actual.reduce((a, b) => a + b, 0) / actual.length;
      const sse = residuals.reduce((a, r) => a + r * r, 0);
      const sst = actual.reduce((a, v) => a + (v - mean) ** 2, 0);
      const sorted = [...residuals].sort((p, q) => p - q);
      // numpy.percentile's default: linear between the order statistics around (n − 1)·p.
      const percentile = (p: number) => {
        const h = (sorted.length - 1) * p;
        const lo = Math.floor(h);
        return sorted[lo] + (h - lo) * ((sorted[lo + 1] ?? sorted[lo]) - sorted[lo]);
      };
      const report = job.report as RegressionReport;
      expect(report.mae).toBeCloseTo(residuals.reduce((a, r) => a + Math.abs(r), 0) / actual.length, 4);
      expect(report.rmse).toBeCloseTo(Math.sqrt(sse / actual.length), 4);
      expect(report.r2).toBeCloseTo(1 - sse / sst, 4);
      expect(report.r2).toBeGreaterThan(0.9);
      const q = report.residualQuantiles;
      expect([q.p5, q.p25, q.p50, q.p75, q.p95].map((v) => Number(v.toFixed(4)))).toEqual(
        [0.05, 0.25, 0.5, 0.75, 0.95].map((p) => Number(percentile(p).toFixed(4))),
      );
      expect((await version(job)).metrics).toMatchObject({ stoppedEpoch: 20, stopReason: 'epochs', report: job.report });
    });
  });

  describe('validation', () => {
    let blobsId: string;
    let regressionId: string;
    const blobsBody = (hyper: Record<string, unknown>, overrides: Record<string, unknown> = {}) => ({
      modelName: 'controls-check',
      datasetId: blobsId,
      task: 'classification',
      features: BLOBS_FEATURES,
      target: 'species',
      architecture: { hiddenLayers: [4] },
      hyperparameters: { epochs: 1, ...hyper },
      ...overrides,
    });

    beforeAll(async () => {
      blobsId = (await uploadDataset(t, engineer, blobsSplit(120).training, 'blobs-check')).json().id;
      regressionId = await upload(readFixtureCsv('regression'), 'regression-check');
    });

    it.each([
      ['an unknown optimizer', { optimizer: 'adagrad' }, 'hyperparameters.optimizer'],
      ['a patience below 1', { earlyStopping: { patience: 0 } }, 'hyperparameters.earlyStopping.patience'],
      ['a fractional patience', { earlyStopping: { patience: 1.5 } }, 'hyperparameters.earlyStopping.patience'],
      ['no patience', { earlyStopping: { minDelta: 0.1 } }, 'hyperparameters.earlyStopping.patience'],
      ['a negative minDelta', { earlyStopping: { patience: 2, minDelta: -0.1 } }, 'hyperparameters.earlyStopping.minDelta'],
      ['earlyStopping that is not an object', { earlyStopping: 'yes' }, 'hyperparameters.earlyStopping'],
      ['an unknown earlyStopping field', { earlyStopping: { patience: 2, monitor: 'loss' } }, 'hyperparameters.earlyStopping.monitor'],
      ['a classWeight word other than balanced', { classWeight: 'uniform' }, 'hyperparameters.classWeight'],
      ['a zero class weight', { classWeight: { setosa: 0 } }, 'hyperparameters.classWeight'],
      ['a class weight that is not a number', { classWeight: { setosa: '2' } }, 'hyperparameters.classWeight'],
      ['an empty classWeight map', { classWeight: {} }, 'hyperparameters.classWeight'],
      ['a classWeight list', { classWeight: [1, 2, 3] }, 'hyperparameters.classWeight'],
    ])('answers 400 for %s', async (_what, hyper, field) => {
      const res = await createJob(t, engineer, blobsBody(hyper));
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const errors = res.json().errors as { field: string; message: string }[];
      expect([...new Set(errors.map((e) => e.field))]).toEqual([field]);
    });

    it('names the offending class weight in the 400', async () => {
      const res = await createJob(t, engineer, blobsBody({ classWeight: { setosa: 2, virginica: -1 } }));
      expect(res.json().errors).toEqual([
        { field: 'hyperparameters.classWeight', message: "classWeight of class 'virginica' must be a positive number" },
      ]);
    });

    it('answers 422 naming each class a classWeight map gives that the target does not have', async () => {
      const res = await createJob(t, engineer, blobsBody({ classWeight: { setosa: 2, unicorn: 3, Virginica: 1 } }));
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([
        {
          field: 'hyperparameters.classWeight.unicorn',
          message: "'unicorn' is not a class of the target 'species' (classes: setosa, versicolor, virginica)",
        },
        {
          field: 'hyperparameters.classWeight.Virginica',
          message: "'Virginica' is not a class of the target 'species' (classes: setosa, versicolor, virginica)",
        },
      ]);
    });

    it('answers 422 for class weights on a regression, with the other problems of the request', async () => {
      const res = await createJob(t, engineer, {
        ...blobsBody({ classWeight: 'balanced', epochs: 501 }),
        datasetId: regressionId,
        task: 'regression',
        features: ['x1', 'x2', 'x3'],
        target: 'y',
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([
        { field: 'hyperparameters.epochs', message: expect.stringContaining('TRAINING_MAX_EPOCHS') },
        { field: 'hyperparameters.classWeight', message: 'classWeight applies to classification only' },
      ]);
    });
  });
});
