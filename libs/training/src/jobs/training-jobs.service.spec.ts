import { InMemoryEventOutbox } from '@app/audit/testing';
import { Logger } from '@nestjs/common';
import { loadConfigSlice } from '@app/common';
import { trainingConfig } from '../training.config';
import type { ArtifactStorage } from '@app/models';
import { DatasetInUseError } from '../datasets/dataset-errors';
import { DatasetsService } from '../datasets/datasets.service';
import { ClusterTrainingEventBus } from '../events/cluster-training-event-bus';
import type { TrainingEvent } from '../events/training-events';
import type { TrainingQueue } from '../queue/training-queue';
import { anActor, until } from '../testing/fixtures';
import {
  InMemoryDatasetsRepository,
  InMemoryAuditTrail,
  InMemoryTrainingJobsRepository,
  InMemoryUnitOfWork,
} from '../testing/in-memory-persistence';
import type { CreateTrainingJobDto } from './dto/create-training-job.dto';
import { TrainingJobFinishedError, TrainingJobNotFoundError, TrainingJobsService } from './training-jobs.service';
import { InProcessClusterEvents } from '@app/common';

beforeAll(() => Logger.overrideLogger(false));

const owner = anActor('user-1');
const request = {
  modelName: 'iris',
  datasetId: 'dataset-1',
  task: 'regression',
  features: ['a'],
  target: 'b',
  architecture: { hiddenLayers: [4] },
  hyperparameters: { epochs: 3 },
} as CreateTrainingJobDto;

async function setup() {
  const jobs = new InMemoryTrainingJobsRepository();
  const datasetRows = new InMemoryDatasetsRepository(jobs.clock);
  const transactions = new InMemoryUnitOfWork();
  const audit = new InMemoryAuditTrail();
  const bus = new ClusterTrainingEventBus(new InProcessClusterEvents());
  const published: TrainingEvent[] = [];
  bus.subscribe((e) => published.push(e));
  const enqueued: string[] = [];
  const queue: TrainingQueue = { kind: 'bullmq', enqueue: async (id) => void enqueued.push(id) };
  const config = loadConfigSlice(trainingConfig, {
    TRAINING_MAX_LAYERS: '4',
    TRAINING_MAX_UNITS: '64',
    TRAINING_MAX_EPOCHS: '100',
    TRAINING_MAX_BATCH_SIZE: '256',
  });
  const storage = { delete: async () => undefined } as unknown as ArtifactStorage;
  const datasets = new DatasetsService(datasetRows, jobs, transactions, audit, config, storage);
  const outbox = new InMemoryEventOutbox();
  const service = new TrainingJobsService(jobs, datasetRows, transactions, config, datasets, audit, queue, bus, outbox);
  await datasetRows.create({
    id: 'dataset-1',
    name: 'numbers',
    format: 'csv',
    rows: 100,
    columns: [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number' },
    ],
    sha256: 'c'.repeat(64),
    sizeBytes: 1000,
    storageKey: 'datasets/dataset-1',
    ownerId: owner.caller.id,
    createdBy: 'user-1@example.com',
  });
  return { outbox, jobs, datasetRows, datasets, service, audit, published, enqueued, transactions };
}

describe('TrainingJobsService over in-memory repositories', () => {
  it('records a job queued against the dataset as it is now, audits it in the same unit of work, and enqueues it', async () => {
    const { service, jobs, audit, enqueued, transactions } = await setup();
    const dto = await service.create(request, owner);
    expect(dto).toMatchObject({ status: 'queued', attempts: 0, modelName: 'iris', progress: { epoch: 0, epochs: 3 } });
    expect(await jobs.getById(dto.id)).toMatchObject({ datasetSha256: 'c'.repeat(64), ownerId: 'user-1', workerId: null });
    expect(audit.events).toEqual([
      expect.objectContaining({ event: expect.objectContaining({ action: 'training-job.created', targetId: dto.id }), inUnitOfWork: true }),
    ]);
    expect(transactions.committed).toBe(1);
    expect(enqueued).toEqual([dto.id]);
  });

  it('refuses a job on a dataset deleted meanwhile', async () => {
    const { service, datasetRows, jobs } = await setup();
    // Visible when checked, deleted by the time the job's unit of work locks it.
    const lock = datasetRows.lockLiveForShare.bind(datasetRows);
    datasetRows.lockLiveForShare = async (id) => (await datasetRows.softDelete(id), lock(id));
    await expect(service.create(request, owner)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(jobs.rows.size).toBe(0);
  });

  it('cancels a queued job at once, and announces its end (the bus, and a training.job.finished outbox event)', async () => {
    const { service, jobs, published, audit, outbox } = await setup();
    const { id } = await service.create(request, owner);
    const dto = await service.cancel(id, owner);
    expect(dto).toMatchObject({ status: 'cancelled', cancelRequested: true });
    expect((await jobs.getById(id)).finishedAt).not.toBeNull();
    await until(() => published.length > 0);
    expect(published).toEqual([expect.objectContaining({ type: 'status', jobId: id })]);
    expect(audit.events.at(-1)?.event).toMatchObject({ action: 'training-job.cancel-requested', details: { status: 'cancelled' } });
    expect(outbox.events).toEqual([{ type: 'training.job.finished', data: expect.objectContaining({ id, status: 'cancelled' }) }]);
  });

  it('flags a running job for its worker, which it tells over the bus; the job stays running', async () => {
    const { service, jobs, published } = await setup();
    const { id } = await service.create(request, owner);
    await jobs.claim(id, 'worker-1');
    expect(await service.cancel(id, owner)).toMatchObject({ status: 'running', cancelRequested: true });
    await until(() => published.length > 0);
    expect(published).toEqual([{ type: 'cancel', jobId: id }]);
    expect(await jobs.heartbeat(id, 'worker-1')).toEqual({ cancelRequested: true });
    // Asking again changes nothing.
    const first = (await jobs.getById(id)).cancelRequestedAt;
    jobs.clock.advance(1000);
    await service.cancel(id, owner);
    expect((await jobs.getById(id)).cancelRequestedAt).toEqual(first);
  });

  it.each(['succeeded', 'failed'] as const)('refuses to cancel a %s job (409)', async (status) => {
    const { service, jobs } = await setup();
    const { id } = await service.create(request, owner);
    await jobs.claim(id, 'worker-1');
    await jobs.finish(id, 'worker-1', status, status === 'succeeded' ? { modelVersion: 1, modelVersionId: 'v1' } : { error: 'x' });
    await expect(service.cancel(id, owner)).rejects.toBeInstanceOf(TrainingJobFinishedError);
  });

  it("hides another caller's job (404) but lets an admin cancel it", async () => {
    const { service } = await setup();
    const { id } = await service.create(request, owner);
    await expect(service.cancel(id, anActor('user-2'))).rejects.toBeInstanceOf(TrainingJobNotFoundError);
    expect(await service.cancel(id, anActor('admin-1', ['admin']))).toMatchObject({ status: 'cancelled' });
  });

  it('lists own jobs newest first; an admin sees all', async () => {
    const { service, jobs } = await setup();
    const first = await service.create(request, owner);
    jobs.clock.advance(1000);
    const second = await service.create(request, owner);
    await jobs.create({ ...(await jobs.getById(first.id)), ownerId: 'user-2' });
    const mine = await service.list({ limit: 10, offset: 0 }, owner);
    expect(mine.items.map((j) => j.id)).toEqual([second.id, first.id]);
    expect((await service.list({ limit: 10, offset: 0 }, anActor('admin-1', ['admin']))).items).toHaveLength(3);
  });

  it('refuses to delete a dataset while a job still needs it', async () => {
    const { service, datasets, jobs } = await setup();
    const { id } = await service.create(request, owner);
    await expect(datasets.delete('dataset-1', owner)).rejects.toBeInstanceOf(DatasetInUseError);
    await jobs.cancelQueued(id);
    await datasets.delete('dataset-1', owner);
    await expect(datasets.get('dataset-1', owner)).rejects.toMatchObject({ code: 'DATASET_NOT_FOUND' });
  });
});
