import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { RuntimeConfig } from '@app/common';
import type { TrainingConfig } from '../training.config';
import type { ModelVersionsService } from '@app/models';
import type { DatasetsService } from '../datasets/datasets.service';
import { ClusterTrainingEventBus } from '../events/cluster-training-event-bus';
import type { TrainingEvent } from '../events/training-events';
import type { TrainerThreads, TrainingRun, TrainingRunHandlers } from '../execution/trainer-threads';
import { aNewJob, anEpoch, until } from '../testing/fixtures';
import { InMemoryTrainingJobsRepository } from '../testing/in-memory-persistence';
import { InMemoryUnitOfWork } from '@app/database/testing';
import { InMemoryEventOutbox } from '@app/audit/testing';
import type { StopReason, TrainingResult } from '../trainer/trainer';
import type { TrainingMetrics } from './training-metrics';
import { TrainingRunner } from './training-runner';
import { InProcessClusterEvents } from '@app/common';

beforeAll(() => Logger.overrideLogger(false));

const DATA = Buffer.from('a,b\n1,2\n3,4\n');
const SHA256 = createHash('sha256').update(DATA).digest('hex');

/** A training thread the test drives: epochs, success, stop and kill as the real one reports them. */
class FakeRun implements TrainingRun {
  readonly result: Promise<TrainingResult>;
  stopped?: StopReason;
  killed = false;
  private settle!: (r: TrainingResult) => void;
  private fail!: (e: Error) => void;

  constructor(private readonly handlers: TrainingRunHandlers) {
    this.result = new Promise((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
  }
  epoch(n: number): void {
    this.handlers.onEpoch(anEpoch(n), 5);
  }
  succeed(): void {
    this.settle({
      status: 'succeeded',
      files: [],
      labels: null,
      metrics: { loss: 0.1 },
      profile: { features: [{ name: 'x', binEdges: [0, 1], binShares: [1], mean: 0.5, std: 0.1 }], predictions: null, rows: 10 },
      history: [],
      stoppedEpoch: 5,
      stopReason: 'epochs',
      report: {
        mae: 0.1,
        rmse: 0.2,
        r2: 0.9,
        residualQuantiles: { p5: -0.2, p25: -0.1, p50: 0, p75: 0.1, p95: 0.2 },
        rowsWithoutTarget: 0,
      },
      preprocessing: { standardize: { mean: [], std: [] }, encoding: { features: [] } },
    });
  }
  stop(reason: StopReason): void {
    this.stopped ??= reason;
    this.settle({ status: 'stopped', reason: this.stopped } as TrainingResult);
  }
  async kill(): Promise<void> {
    this.killed = true;
    this.fail(new Error('killed'));
  }
}

class FakeThreads {
  readonly runs: FakeRun[] = [];
  start(_input: unknown, handlers: TrainingRunHandlers): FakeRun {
    const run = new FakeRun(handlers);
    this.runs.push(run);
    return run;
  }
}

function setup(heartbeatIntervalMs = 60_000) {
  const jobs = new InMemoryTrainingJobsRepository();
  const bus = new ClusterTrainingEventBus(new InProcessClusterEvents());
  const threads = new FakeThreads();
  const published: TrainingEvent[] = [];
  bus.subscribe((e) => published.push(e));
  const config = { heartbeatIntervalMs } as TrainingConfig;
  const runtime = { env: 'test', shutdownTimeoutMs: 2_000 } satisfies RuntimeConfig;
  const datasets = { readFile: async () => ({ dataset: { format: 'csv' }, data: DATA }) } as unknown as DatasetsService;
  const versions = { register: jest.fn(async () => ({ dto: { version: 7 }, id: 'version-7-id' })) };
  const metrics = {
    finished: { inc: () => undefined },
    running: { inc: () => undefined, dec: () => undefined },
    epochSeconds: { observe: () => undefined },
  };
  const outbox = new InMemoryEventOutbox();
  const runner = () =>
    new TrainingRunner(
      jobs,
      config,
      runtime,
      datasets,
      versions as unknown as ModelVersionsService,
      threads as unknown as TrainerThreads,
      bus,
      metrics as unknown as TrainingMetrics,
      new InMemoryUnitOfWork([outbox]),
      outbox,
    );
  return { jobs, bus, threads, published, versions, runner, outbox };
}

describe('TrainingRunner over an in-memory repository', () => {
  it('lets only one of two workers claim a queued job, counts the attempt, and records the registered version', async () => {
    const { jobs, threads, published, runner } = setup();
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    const [a, b] = [runner(), runner()];

    const runs = Promise.all([a.run(id), b.run(id)]);
    await until(() => threads.runs.length === 1);
    const held = await jobs.getById(id);
    expect(held).toMatchObject({ status: 'running', attempts: 1, progressEpoch: 0 });
    expect([a.workerId, b.workerId]).toContain(held.workerId);

    threads.runs[0].epoch(1);
    await until(() => jobs.rows.get(id)!.progressEpoch === 1);
    threads.runs[0].succeed();
    await runs;

    expect(threads.runs).toHaveLength(1);
    expect(await jobs.getById(id)).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      modelVersion: 7,
      modelVersionId: 'version-7-id',
      progressEpoch: 5,
      stoppedEpoch: 5,
      stopReason: 'epochs',
      report: expect.objectContaining({ mae: 0.1 }),
      error: null,
    });
    await until(() => published.some((e) => e.type === 'status'));
    expect(published.find((e) => e.type === 'status')).toMatchObject({ jobId: id, job: { status: 'succeeded' } });
  });

  it('does not claim a job that is not queued', async () => {
    const { jobs, threads, runner } = setup();
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    await jobs.cancelQueued(id);
    await runner().run(id);
    expect(threads.runs).toHaveLength(0);
    expect(await jobs.getById(id)).toMatchObject({ status: 'cancelled', attempts: 0 });
  });

  it('abandons a job taken away from it: its heartbeat is refused, and nothing more is written', async () => {
    const { jobs, threads, runner, versions } = setup(5);
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    const dead = runner();
    const running = dead.run(id);
    await until(() => threads.runs.length === 1);

    // Presumed dead (its heartbeat is old), recovered and claimed by another worker.
    jobs.clock.advance(31_000);
    expect((await jobs.recoverStale({ staleAfterSeconds: 30, maxAttempts: 2 })).requeued.map((t) => t.id)).toEqual([id]);
    expect(await jobs.claim(id, 'other-worker')).toMatchObject({ attempts: 2, workerId: 'other-worker' });
    expect(await jobs.heartbeat(id, dead.workerId)).toBeNull();

    // The old worker's next heartbeat is refused: it kills its thread and writes nothing more.
    await until(() => threads.runs[0].killed);
    await running;
    threads.runs[0].epoch(2);
    expect(await jobs.getById(id)).toMatchObject({ status: 'running', workerId: 'other-worker', attempts: 2, history: [] });
    expect(await jobs.finish(id, dead.workerId, 'failed', { error: 'late' })).toBe(false);
    expect(versions.register).not.toHaveBeenCalled();
  });

  it('puts its jobs back in the queue at shutdown, without counting the attempt', async () => {
    const { jobs, threads, runner } = setup();
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    const worker = runner();
    const running = worker.run(id);
    await until(() => threads.runs.length === 1);
    threads.runs[0].epoch(1);
    await until(() => jobs.rows.get(id)!.progressEpoch === 1);

    const requeued = await worker.shutdown();
    await running;
    const job = await jobs.getById(id);
    expect(job).toMatchObject({ status: 'queued', attempts: 0, workerId: null, heartbeatAt: null, progressEpoch: 0, history: [] });
    expect(requeued).toEqual([{ jobId: id, generation: job.updatedAt.getTime() }]);
    await worker.run(id); // shutting down: claims nothing more
    expect(threads.runs).toHaveLength(1);
  });

  it('ends cancelled, not requeued, when a cancel was asked for while it stopped', async () => {
    const { jobs, threads, runner } = setup();
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    const worker = runner();
    const running = worker.run(id);
    await until(() => threads.runs.length === 1);
    await jobs.requestCancel(id);
    await worker.shutdown();
    await running;
    expect(await jobs.getById(id)).toMatchObject({ status: 'cancelled', attempts: 1 });
  });

  it('stops on a cancel from the bus and ends the job cancelled', async () => {
    const { jobs, threads, runner, bus, published } = setup();
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    const running = runner().run(id);
    await until(() => threads.runs.length === 1);
    await bus.publish({ type: 'cancel', jobId: id });
    await running;
    expect(threads.runs[0].stopped).toBe('cancel');
    expect(await jobs.getById(id)).toMatchObject({ status: 'cancelled' });
    await until(() => published.some((e) => e.type === 'status'));
  });

  it('notices a cancel on its heartbeat when the bus missed it', async () => {
    const { jobs, threads, runner } = setup(5);
    const { id } = await jobs.create(aNewJob({ datasetSha256: SHA256 }));
    const running = runner().run(id);
    await until(() => threads.runs.length === 1);
    await jobs.requestCancel(id);
    await running;
    expect(threads.runs[0].stopped).toBe('cancel');
    expect(await jobs.getById(id)).toMatchObject({ status: 'cancelled' });
  });

  it('fails the job when the stored dataset does not match its recorded sha256', async () => {
    const { jobs, threads, runner } = setup();
    const { id } = await jobs.create(aNewJob({ datasetSha256: 'b'.repeat(64) }));
    await runner().run(id);
    expect(threads.runs).toHaveLength(0);
    expect(await jobs.getById(id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await jobs.getById(id)).error).toMatch(/does not match its recorded sha256/);
  });
});
