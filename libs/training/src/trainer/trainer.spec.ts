import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InferenceRuntime } from '@app/inference';
import { readDataset } from '../datasets/dataset-reader';
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
