import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigSlice } from '@app/common';
import { inferenceConfig } from '@app/inference';
import { TrainingSpec } from '../trainer/training-spec';
import { TrainerThreads, TrainingThreadError } from './trainer-threads';

const BLOBS = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'generated', 'datasets', 'blobs.csv');

const spec = (epochs: number, task: TrainingSpec['task'] = 'classification'): TrainingSpec => ({
  task,
  features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
  target: 'species',
  architecture: { hiddenLayers: [8], activation: 'relu', dropout: 0 },
  hyperparameters: { epochs, batchSize: 32, learningRate: 0.05, validationSplit: 0.2, seed: 3 },
});

describe('TrainerThreads (worker_threads, run from TypeScript sources)', () => {
  const threads = new TrainerThreads(loadConfigSlice(inferenceConfig, { TF_BACKEND: 'wasm' }));
  const data = readFileSync(BLOBS);
  afterAll(() => threads.onApplicationShutdown());

  it('trains in a thread, reporting the backend and every epoch', async () => {
    const epochs: number[] = [];
    let backend: string | undefined;
    const run = threads.start(
      { spec: spec(4), format: 'csv', data },
      { onStarted: (b) => (backend = b), onEpoch: (r) => epochs.push(r.epoch) },
    );
    const result = await run.result;
    expect(backend).toBe('wasm');
    expect(epochs).toEqual([1, 2, 3, 4]);
    expect(result.status).toBe('succeeded');
    if (result.status === 'succeeded') {
      expect(result.files.map(([path]) => path)).toEqual(['model.json', 'group1-shard1of1.bin']);
      expect(result.metrics.accuracy).toBeGreaterThan(0.8);
    }
  });

  it('stops at the next batch when asked', async () => {
    const run = threads.start({ spec: spec(500), format: 'csv', data }, { onEpoch: (r) => r.epoch === 2 && run.stop('cancel') });
    const result = await run.result;
    expect(result).toMatchObject({ status: 'stopped', reason: 'cancel' });
    if (result.status === 'stopped') expect(result.epochsCompleted).toBeLessThanOrEqual(3);
  });

  it('reports a data error as such', async () => {
    const run = threads.start({ spec: spec(2, 'regression'), format: 'csv', data }, { onEpoch: () => undefined });
    const error = await run.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingThreadError);
    expect(error).toMatchObject({ dataError: true, message: expect.stringMatching(/regression needs a numeric target/) });
  });
});
