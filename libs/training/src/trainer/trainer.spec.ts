import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceRuntime } from '@app/inference';
import { readDataset } from '../datasets/dataset-reader';
import type { ClassificationReport, RegressionReport } from './evaluation-report';
import { deriveSeed, seededRandom } from './seeded-random';
import { TrainedModel, train, TrainingDataError } from './trainer';
import { TrainingSpec } from './training-spec';

const DATASETS = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'generated', 'datasets');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

const blobsSpec = (overrides: Partial<TrainingSpec['hyperparameters']> = {}, dropout = 0): TrainingSpec => ({
  task: 'classification',
  features: FEATURES,
  target: 'species',
  architecture: { hiddenLayers: [8], activation: 'relu', dropout },
  hyperparameters: { epochs: 8, batchSize: 32, learningRate: 0.05, validationSplit: 0.25, seed: 42, ...overrides },
});

/** Two overlapping clouds, one class in ten rare: a classifier that ignores weights mostly answers `common`. */
function imbalanced(): Buffer {
  const random = seededRandom(deriveSeed(99, 1));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const lines = ['x1,x2,label'];
  for (let i = 0; i < 600; i++) {
    const rare = i % 10 === 0;
    const shift = rare ? 1.2 : 0;
    lines.push(`${(normal() + shift).toFixed(4)},${(normal() + shift).toFixed(4)},${rare ? 'rare' : 'common'}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

describe('train (cpu backend, in-process)', () => {
  let runtime: InferenceRuntime;
  const blobs = () => readDataset(readFileSync(join(DATASETS, 'blobs.csv')), { collect: true });

  beforeAll(async () => {
    runtime = await InferenceRuntime.create('cpu');
  });

  it('learns the blobs, reports every epoch, and saves a model that predicts from raw feature values', async () => {
    const dataset = await blobs();
    const epochs: number[] = [];
    const result = (await train(dataset, blobsSpec(), { onEpoch: (r) => epochs.push(r.epoch) })) as TrainedModel;
    expect(result.status).toBe('succeeded');
    expect(epochs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(result.history).toHaveLength(8);
    expect(Object.keys(result.history[0]).sort()).toEqual(['accuracy', 'durationMs', 'epoch', 'loss', 'valAccuracy', 'valLoss']);
    expect(result.metrics.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.metrics).toMatchObject({ trainingRows: 450, validationRows: 150 });
    // Standardisation was learned on the training split: the raw features are far from zero-mean.
    expect(result.preprocessing.standardize.mean[2]).toBeGreaterThan(3);

    const model = await runtime.load(new Map(result.files.map(([p, d]) => [p, Buffer.from(d)])));
    try {
      expect(model.signature.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 4] }]);
      expect(model.signature.outputs[0].shape).toEqual([-1, 3]);
      const featureCols = FEATURES.map((f) => dataset.columns.findIndex((c) => c.name === f));
      const target = dataset.columns.findIndex((c) => c.name === 'species');
      const rows = Array.from({ length: dataset.rows }, (_, r) => featureCols.map((c) => dataset.values![c][r] as number));
      const probabilities = await model.predict(rows);
      const correct = probabilities.filter((p, r) => result.labels![p.indexOf(Math.max(...p))] === dataset.values![target][r]).length;
      expect(correct / rows.length).toBeGreaterThanOrEqual(0.9);
    } finally {
      model.dispose();
    }
  });

  it('gives the same metrics and history for the same seed, different ones for another seed', async () => {
    const dataset = await blobs();
    const strip = (r: TrainedModel) => ({ metrics: r.metrics, history: r.history.map(({ durationMs: _, ...rest }) => rest) });
    const a = strip((await train(dataset, blobsSpec({ epochs: 3 }, 0.2))) as TrainedModel);
    const b = strip((await train(dataset, blobsSpec({ epochs: 3 }, 0.2))) as TrainedModel);
    const c = strip((await train(dataset, blobsSpec({ epochs: 3, seed: 7 }, 0.2))) as TrainedModel);
    for (const [key, value] of Object.entries(a.metrics)) expect(Math.abs(value - b.metrics[key])).toBeLessThanOrEqual(1e-6);
    expect(b.history).toEqual(a.history);
    expect(c.metrics.loss).not.toBeCloseTo(a.metrics.loss, 6);
  });

  it('fits the noisy linear regression set', async () => {
    const dataset = await readDataset(readFileSync(join(DATASETS, 'regression.csv')), { collect: true });
    const result = (await train(dataset, {
      task: 'regression',
      features: ['x1', 'x2', 'x3'],
      target: 'y',
      architecture: { hiddenLayers: [8], activation: 'tanh', dropout: 0 },
      hyperparameters: { epochs: 30, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 1 },
    })) as TrainedModel;
    expect(result.labels).toBeNull();
    expect(Object.keys(result.history[0]).sort()).toEqual(['durationMs', 'epoch', 'loss', 'mae', 'valLoss', 'valMae']);
    expect(result.metrics.r2).toBeGreaterThan(0.95);
    expect(result.metrics.rmse).toBeCloseTo(Math.sqrt(result.metrics.mse), 6);
  });

  it('stops when asked, between batches, and says why', async () => {
    const dataset = await blobs();
    let epochsSeen = 0;
    const result = await train(dataset, blobsSpec({ epochs: 50 }), {
      onEpoch: () => epochsSeen++,
      stopRequested: () => (epochsSeen >= 2 ? 'cancel' : undefined),
    });
    expect(result).toEqual({ status: 'stopped', reason: 'cancel', epochsCompleted: 2 });
  });

  it('stops early once the validation loss stops improving, and keeps the best epoch’s weights', async () => {
    const dataset = await blobs();
    const spec = blobsSpec({ epochs: 300, learningRate: 0.05, earlyStopping: { patience: 3, minDelta: 0.002 } });
    const result = (await train(dataset, spec)) as TrainedModel;
    expect(result.stopReason).toBe('early-stopping');
    expect(result.stoppedEpoch).toBeLessThan(300);
    expect(result.history).toHaveLength(result.stoppedEpoch);
    // The last `patience` epochs did not improve on the best by more than minDelta.
    const best = result.metrics.bestEpoch;
    expect(best).toBe(result.stoppedEpoch - 3);
    const bestLoss = result.history[best - 1].valLoss;
    for (const r of result.history.slice(best)) expect(bestLoss - r.valLoss).toBeLessThanOrEqual(0.002);
    // Measured (and saved) with the best epoch's weights, not the last epoch's.
    expect(result.metrics.loss).toBeCloseTo(bestLoss, 5);
    expect(result.report).toMatchObject({ classes: ['setosa', 'versicolor', 'virginica'] });
  });

  it('runs every epoch without early stopping, and says so', async () => {
    const result = (await train(await blobs(), blobsSpec({ epochs: 3 }))) as TrainedModel;
    expect([result.stoppedEpoch, result.stopReason]).toEqual([3, 'epochs']);
    expect(result.metrics.bestEpoch).toBeUndefined();
    expect(result.metrics.loss).toBeCloseTo(result.history[2].valLoss, 5);
  });

  it('reports on the validation split: the confusion matrix sums to it, and agrees with the metrics', async () => {
    const result = (await train(await blobs(), blobsSpec())) as TrainedModel;
    const report = result.report as ClassificationReport;
    expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(150);
    expect(report.perClass.map((c) => c.support).reduce((a, b) => a + b, 0)).toBe(150);
    expect(report.accuracy).toBeCloseTo(result.metrics.accuracy, 6);
    expect(report.rocAuc).toBeNull();
  });

  it('trains with each optimizer, reproducibly, and differently', async () => {
    const dataset = await blobs();
    const losses = async (optimizer: 'adam' | 'sgd' | 'rmsprop') =>
      ((await train(dataset, blobsSpec({ epochs: 3, optimizer }))) as TrainedModel).history.map((h) => h.valLoss);
    const adam = await losses('adam');
    const sgd = await losses('sgd');
    const rmsprop = await losses('rmsprop');
    expect(await losses('sgd')).toEqual(sgd);
    expect(await losses('rmsprop')).toEqual(rmsprop);
    expect(new Set([adam[2], sgd[2], rmsprop[2]]).size).toBe(3);
    for (const l of [...adam, ...sgd, ...rmsprop]) expect(Number.isFinite(l)).toBe(true);
  });

  it('weighs the classes: balanced raises the minority class’s recall', async () => {
    const dataset = await readDataset(imbalanced(), { collect: true });
    const spec = (classWeight?: 'balanced' | Record<string, number>): TrainingSpec => ({
      task: 'classification',
      features: ['x1', 'x2'],
      target: 'label',
      architecture: { hiddenLayers: [8], activation: 'relu', dropout: 0 },
      hyperparameters: {
        epochs: 15,
        batchSize: 32,
        learningRate: 0.02,
        validationSplit: 0.3,
        seed: 3,
        ...(classWeight ? { classWeight } : {}),
      },
    });
    const recall = async (classWeight?: 'balanced' | Record<string, number>) => {
      const report = ((await train(dataset, spec(classWeight))) as TrainedModel).report as ClassificationReport;
      expect(report.classes).toEqual(['common', 'rare']);
      expect(report.rocAuc).toEqual(expect.any(Number));
      return report.perClass[1].recall;
    };
    const none = await recall();
    const balanced = await recall('balanced');
    expect(balanced).toBeGreaterThan(none + 0.2);
    expect(await recall({ rare: 9 })).toBeGreaterThan(none + 0.2);
    await expect(train(dataset, spec({ unheard: 2 }))).rejects.toThrow(/classWeight names 'unheard'/);
  });

  it('reports MAE, RMSE and R² of a regression as its metrics do', async () => {
    const dataset = await readDataset(readFileSync(join(DATASETS, 'regression.csv')), { collect: true });
    const result = (await train(dataset, {
      task: 'regression',
      features: ['x1', 'x2', 'x3'],
      target: 'y',
      architecture: { hiddenLayers: [8], activation: 'tanh', dropout: 0 },
      hyperparameters: { epochs: 10, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 1, optimizer: 'rmsprop' },
    })) as TrainedModel;
    const report = result.report as RegressionReport;
    expect(report.mae).toBeCloseTo(result.metrics.mae, 4);
    expect(report.rmse).toBeCloseTo(result.metrics.rmse, 4);
    expect(report.r2).toBeCloseTo(result.metrics.r2, 4);
    const q = report.residualQuantiles;
    expect([q.p5, q.p25, q.p50, q.p75, q.p95]).toEqual([q.p5, q.p25, q.p50, q.p75, q.p95].sort((a, b) => a - b));
  });

  it('refuses data that cannot be trained on as asked', async () => {
    const dataset = await readDataset(Buffer.from('a,b,c\n1,2.5,x\n2,3.5,x\n3,1.5,x\n'), { collect: true });
    const spec = (task: 'classification' | 'regression', target: string): TrainingSpec => ({
      ...blobsSpec(),
      task,
      features: ['a'],
      target,
    });
    await expect(train(dataset, spec('classification', 'c'))).rejects.toThrow(/single class/);
    await expect(train(dataset, spec('classification', 'b'))).rejects.toThrow(/non-integer numbers/);
    await expect(train(dataset, spec('regression', 'c'))).rejects.toThrow(TrainingDataError);
  });
});
