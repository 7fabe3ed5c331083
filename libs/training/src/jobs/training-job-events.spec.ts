import { MessageEvent } from '@nestjs/common';
import { lastValueFrom, toArray } from 'rxjs';
import type { Actor, CallerStreams } from '@app/common';
import { ClusterTrainingEventBus } from '../events/cluster-training-event-bus';
import type { EpochRecord } from '../trainer/training-spec';
import { TrainingJobEntity } from './entities/training-job.entity';
import { TrainingJobEvents } from './training-job-events';
import { NEW_JOB_STATE, type TrainingJobsRepository } from './training-jobs.repository';
import type { TrainingJobsService } from './training-jobs.service';
import { toJobDto } from './views';
import { InProcessClusterEvents } from '@app/common';

const record = (epoch: number): EpochRecord => ({ epoch, loss: 1 / epoch, valLoss: 1 / epoch, durationMs: 1 });

function job(overrides: Partial<TrainingJobEntity>): TrainingJobEntity {
  return Object.assign(new TrainingJobEntity(), {
    id: 'job-1',
    modelName: 'm',
    datasetId: 'd',
    datasetSha256: 'x'.repeat(64),
    task: 'regression',
    request: {
      task: 'regression',
      features: ['a'],
      target: 'b',
      architecture: { hiddenLayers: [], activation: 'relu', dropout: 0 },
      hyperparameters: { epochs: 5, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 1 },
    },
    epochs: 5,
    ...NEW_JOB_STATE,
    // Claimed by a worker: running from now on.
    status: 'running',
    attempts: 1,
    workerId: 'w',
    heartbeatAt: new Date(),
    startedAt: new Date(),
    ownerId: 'u',
    ownerKind: 'user',
    ownerEmail: null,
    createdBy: 'u@x',
    requestId: null,
    clientIp: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...overrides,
  });
}

/** The stream under test, with the job row read through a promise the test resolves when it wants. */
function setup() {
  const bus = new ClusterTrainingEventBus(new InProcessClusterEvents());
  let resolveRead!: (row: TrainingJobEntity) => void;
  const reads: Promise<TrainingJobEntity>[] = [new Promise((r) => (resolveRead = r))];
  const rows = { getById: () => reads.shift() ?? new Promise(() => undefined) } as unknown as TrainingJobsRepository;
  const jobs = { visible: async () => job({}) } as unknown as TrainingJobsService;
  // Holding streams for their callers has its own tests (caller-access.spec.ts): passed through here.
  const streams = { hold: (_actor: Actor, _rules: unknown, source: unknown) => source } as unknown as CallerStreams;
  const events = new TrainingJobEvents(rows, jobs, bus, streams);
  return { bus, events, resolveRead: (row: TrainingJobEntity) => resolveRead(row) };
}

const summary = (events: MessageEvent[]) =>
  events.map((e) =>
    e.type === 'progress' ? `${(e.data as { attempt: number }).attempt}.${(e.data as EpochRecord).epoch}` : String(e.type),
  );

const tick = () => new Promise((r) => setImmediate(r));
const actor = {} as Actor;

describe('TrainingJobEvents', () => {
  it('joins history and live events without losing or repeating an epoch at the seam', async () => {
    const { bus, events, resolveRead } = setup();
    const collected = lastValueFrom(events.stream('job-1', actor).pipe(toArray()));
    await tick(); // the visibility check
    // Published while the history is still being read: held, then de-duplicated against it.
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 1, epochs: 5, record: record(2) });
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 1, epochs: 5, record: record(3) });
    await bus.publish({ type: 'progress', jobId: 'other-job', attempt: 1, epochs: 5, record: record(9) });
    await tick();
    resolveRead(job({ history: [record(1), record(2)] }));
    await tick();
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 1, epochs: 5, record: record(4) });
    await bus.publish({ type: 'status', jobId: 'job-1', job: toJobDto(job({ status: 'succeeded', finishedAt: new Date() })) });
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 1, epochs: 5, record: record(5) });
    expect(summary(await collected)).toEqual(['1.1', '1.2', '1.3', '1.4', 'status']);
  });

  it('follows a retried job into its next attempt, ignoring stragglers of the old one', async () => {
    const { bus, events, resolveRead } = setup();
    const collected = lastValueFrom(events.stream('job-1', actor).pipe(toArray()));
    await tick();
    resolveRead(job({ history: [record(1), record(2)] }));
    await tick();
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 2, epochs: 5, record: record(1) });
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 1, epochs: 5, record: record(3) });
    await bus.publish({ type: 'progress', jobId: 'job-1', attempt: 2, epochs: 5, record: record(2) });
    await bus.publish({ type: 'status', jobId: 'job-1', job: toJobDto(job({ status: 'failed', finishedAt: new Date() })) });
    expect(summary(await collected)).toEqual(['1.1', '1.2', '2.1', '2.2', 'status']);
  });

  it('ends at once, after the whole history, for a job that already finished', async () => {
    const { events, resolveRead } = setup();
    const collected = lastValueFrom(events.stream('job-1', actor).pipe(toArray()));
    await tick();
    resolveRead(job({ status: 'cancelled', finishedAt: new Date(), history: [record(1)] }));
    const out = await collected;
    expect(summary(out)).toEqual(['1.1', 'status']);
    expect(out[1].data).toMatchObject({ id: 'job-1', status: 'cancelled' });
  });
});
