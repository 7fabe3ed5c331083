import { InMemoryEventOutbox } from '@app/audit/testing';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { loadConfigSlice } from '@app/common';
import { trainingConfig } from '../training.config';
import { ScheduledJobs } from '@app/database';
import { ClusterTrainingEventBus } from '../events/cluster-training-event-bus';
import type { TrainingEvent } from '../events/training-events';
import type { TrainingQueue } from '../queue/training-queue';
import { aNewJob, until } from '../testing/fixtures';
import { InMemoryTrainingJobsRepository, InMemoryUnitOfWork } from '../testing/in-memory-persistence';
import { TrainingRecovery } from './training-recovery';
import { InProcessClusterEvents } from '@app/common';

beforeAll(() => Logger.overrideLogger(false));

function setup(kind: TrainingQueue['kind'] = 'bullmq') {
  const jobs = new InMemoryTrainingJobsRepository();
  const transactions = new InMemoryUnitOfWork();
  const bus = new ClusterTrainingEventBus(new InProcessClusterEvents());
  const published: TrainingEvent[] = [];
  bus.subscribe((e) => published.push(e));
  const enqueued: [string, number][] = [];
  const queue: TrainingQueue = { kind, enqueue: async (id, generation) => void enqueued.push([id, generation]) };
  const config = loadConfigSlice(trainingConfig, {
    TRAINING_STALE_AFTER_SECONDS: '30',
    TRAINING_MAX_ATTEMPTS: '2',
    TRAINING_SWEEP_INTERVAL_SECONDS: '0',
  });
  const outbox = new InMemoryEventOutbox();
  const recovery = new TrainingRecovery(
    jobs,
    new ScheduledJobs(new SchedulerRegistry(), transactions),
    config,
    queue,
    bus,
    transactions,
    outbox,
  );
  return { outbox, jobs, transactions, published, enqueued, recovery };
}

describe('TrainingRecovery over an in-memory repository', () => {
  it('requeues a silent job while its attempts are below TRAINING_MAX_ATTEMPTS, then fails it with the reason', async () => {
    const { jobs, recovery, enqueued, published, outbox } = setup();
    const { id } = await jobs.create(aNewJob());

    await jobs.claim(id, 'worker-1');
    jobs.clock.advance(31_000);
    const first = await recovery.sweep();
    expect(first).toMatchObject({ requeued: [id], failed: [], cancelled: [] });
    const requeued = await jobs.getById(id);
    expect(requeued).toMatchObject({ status: 'queued', attempts: 1, workerId: null, heartbeatAt: null, progressEpoch: 0, history: [] });
    expect(requeued.error).toBe('The worker running this job stopped responding (no heartbeat for over 30 s) on attempt 1 of 2; retrying.');
    expect(enqueued).toEqual([[id, requeued.updatedAt.getTime()]]);

    await jobs.claim(id, 'worker-2');
    jobs.clock.advance(31_000);
    const second = await recovery.sweep();
    expect(second).toMatchObject({ requeued: [], failed: [id], cancelled: [] });
    const failed = await jobs.getById(id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 2 });
    expect(failed.finishedAt).not.toBeNull();
    expect(failed.error).toMatch(/on attempt 2 of 2; giving up\.$/);
    await until(() => published.some((e) => e.type === 'status'));
    expect(published.find((e) => e.type === 'status')).toMatchObject({ jobId: id, job: { status: 'failed' } });
    expect(outbox.events).toEqual([{ type: 'training.job.finished', data: expect.objectContaining({ id, status: 'failed' }) }]);
    // The same event as a worker's failed job (finishedEvent), the reason in `error`.
    expect(outbox.events[0].data).toEqual({ id, status: 'failed', model: 'iris', version: null, metrics: null, error: failed.error });
    expect(await jobs.claim(id, 'worker-3')).toBeNull();
  });

  it('cancels a silent job whose cancel was asked for, whatever its attempts', async () => {
    const { jobs, recovery, outbox } = setup();
    const { id } = await jobs.create(aNewJob());
    await jobs.claim(id, 'worker-1');
    await jobs.requestCancel(id);
    jobs.clock.advance(31_000);
    expect(await recovery.sweep()).toMatchObject({ cancelled: [id], requeued: [], failed: [] });
    expect(await jobs.getById(id)).toMatchObject({ status: 'cancelled' });
    expect(outbox.events).toEqual([
      { type: 'training.job.finished', data: expect.objectContaining({ id, status: 'cancelled', model: 'iris' }) },
    ]);
  });

  it('leaves a job with a live heartbeat alone, and a lost worker can no longer heartbeat a recovered job', async () => {
    const { jobs, recovery } = setup();
    const { id } = await jobs.create(aNewJob());
    await jobs.claim(id, 'worker-1');
    jobs.clock.advance(20_000);
    expect(await jobs.heartbeat(id, 'worker-1')).toEqual({ cancelRequested: false });
    jobs.clock.advance(20_000);
    expect(await recovery.sweep()).toMatchObject({ requeued: [], failed: [], cancelled: [] });
    expect((await jobs.getById(id)).status).toBe('running');

    jobs.clock.advance(31_000);
    expect((await recovery.sweep()).requeued).toEqual([id]);
    expect(await jobs.heartbeat(id, 'worker-1')).toBeNull();
    expect(await jobs.recordEpoch(id, 'worker-1', { epoch: 1, loss: 1, valLoss: 1, durationMs: 1 })).toBeNull();
    expect(await jobs.requeue(id, 'worker-1')).toBe(false);
  });

  it('re-enqueues queued jobs: all of them at its first sweep in-process, then only those waiting longer than the stale delay', async () => {
    const { jobs, recovery, enqueued } = setup('in-process');
    const old = await jobs.create(aNewJob());
    jobs.clock.advance(31_000);
    const fresh = await jobs.create(aNewJob());
    expect((await recovery.sweep()).reenqueued).toEqual([old.id, fresh.id]);
    expect((await recovery.sweep()).reenqueued).toEqual([old.id]);
    expect(enqueued.map(([id]) => id)).toEqual([old.id, fresh.id, old.id]);
  });

  it('skips a pass while another process holds the sweep', async () => {
    const { jobs, recovery, transactions } = setup();
    const { id } = await jobs.create(aNewJob());
    await jobs.claim(id, 'worker-1');
    jobs.clock.advance(31_000);
    let report;
    await transactions.exclusively('training.recover-stale-jobs', async () => {
      report = await recovery.sweep();
    });
    expect(report).toEqual({ requeued: [], failed: [], cancelled: [], reenqueued: [] });
    expect((await jobs.getById(id)).status).toBe('running');
  });
});
