import type { Actor } from '@app/common';
import type { NewTrainingJob } from '../jobs/training-jobs.repository';
import type { EpochRecord } from '../trainer/training-spec';

/** A job as TrainingJobsService records it (a regression on two columns, five epochs). */
export function aNewJob(overrides: Partial<NewTrainingJob> = {}): NewTrainingJob {
  return {
    modelName: 'iris',
    datasetId: 'dataset-1',
    datasetSha256: 'a'.repeat(64),
    task: 'regression',
    request: {
      task: 'regression',
      features: ['a'],
      target: 'b',
      architecture: { hiddenLayers: [], activation: 'relu', dropout: 0 },
      hyperparameters: { epochs: 5, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 1 },
    },
    epochs: 5,
    ownerId: 'user-1',
    ownerKind: 'user',
    ownerEmail: 'ada@example.com',
    createdBy: 'ada@example.com',
    requestId: 'req-1',
    clientIp: '127.0.0.1',
    traceId: null,
    ...overrides,
  };
}

export function anActor(id = 'user-1', roles: string[] = ['ml-engineer']): Actor {
  return { caller: { id, kind: 'user', roles, email: `${id}@example.com` }, requestId: 'req-1', ip: '127.0.0.1' } as Actor;
}

export const anEpoch = (epoch: number): EpochRecord => ({ epoch, loss: 1 / epoch, valLoss: 1 / epoch, durationMs: 1 });

/** Resolves once `condition` holds (checked every event-loop turn); fails the test after 2 s. */
export async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in 2 s');
    await new Promise((r) => setImmediate(r));
  }
}
