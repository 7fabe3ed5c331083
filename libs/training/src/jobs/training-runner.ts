import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig, InjectConfig } from '@app/common';
import { ModelVersionsService } from '@app/models';
import { DatasetsService } from '../datasets/datasets.service';
import { TRAINING_EVENT_BUS, TrainingEventBus } from '../events/training-events';
import { TrainerThreads, TrainingRun, TrainingThreadError } from '../execution/trainer-threads';
import type { StopReason, TrainedModel, TrainingResult } from '../trainer/trainer';
import type { EpochRecord } from '../trainer/training-spec';
import { GENERATION_SQL } from '../queue/training-queue';
import { TrainingJobEntity } from './entities/training-job.entity';
import { TrainingMetrics } from './training-metrics';
import { rowsOf } from './sql';
import { creatorOf, toJobDto } from './views';

interface ActiveJob {
  job: TrainingJobEntity;
  run?: TrainingRun;
  /** A stop asked for before the thread existed, applied when it starts. */
  stop?: StopReason;
  /** The row no longer names this worker (recovered as stale): nothing more may be written. */
  lost?: boolean;
  done: Promise<void>;
}

/**
 * Runs one training job to its end: claim → train in a thread → register → finish. The same code
 * runs in the API (in-process queue) and in apps/worker (BullMQ). Every write after the claim is
 * conditional on `worker_id = this worker AND status = 'running'`, so a worker that was presumed
 * dead (and whose job was handed to another) can never overwrite the other's work; and only one
 * claim of a queued job can succeed, so a job never runs twice at once.
 */
@Injectable()
export class TrainingRunner {
  private readonly logger = new Logger(TrainingRunner.name);
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly active = new Map<string, ActiveJob>();
  private shuttingDown = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @InjectConfig() private readonly config: AppConfig,
    private readonly datasets: DatasetsService,
    private readonly versions: ModelVersionsService,
    private readonly threads: TrainerThreads,
    @Inject(TRAINING_EVENT_BUS) private readonly bus: TrainingEventBus,
    private readonly metrics: TrainingMetrics,
  ) {
    this.bus.subscribe((event) => {
      if (event.type === 'cancel') this.stopJob(event.jobId, 'cancel');
    });
  }

  get runningJobs(): number {
    return this.active.size;
  }

  /** Runs the job if this worker wins its claim; resolves when the job has left `running` (or was not ours). */
  async run(jobId: string): Promise<void> {
    if (this.shuttingDown) return;
    const job = await this.claim(jobId);
    if (!job) return;
    let release!: () => void;
    const entry: ActiveJob = { job, done: new Promise<void>((r) => (release = r)) };
    this.active.set(jobId, entry);
    this.metrics.running.inc();
    const heartbeat = setInterval(() => void this.beat(entry), this.config.training.heartbeatIntervalMs);
    heartbeat.unref();
    try {
      await this.execute(entry);
    } catch (error) {
      this.logger.error({ err: error, jobId, msg: 'training job failed unexpectedly' });
      await this.finish(entry, 'failed', { error: `Training failed: ${messageOf(error)}` }).catch((e: unknown) =>
        this.logger.error({ err: e, jobId, msg: 'could not record the failure of a training job' }),
      );
    } finally {
      clearInterval(heartbeat);
      this.active.delete(jobId);
      this.metrics.running.dec();
      release();
    }
  }

  /**
   * Graceful stop: every running job stops before its next batch and goes back to `queued`
   * (its attempt not counted), to be picked up by another worker or at the next start. Returns
   * the requeued jobs with their queue generation, for the caller to enqueue again.
   */
  async shutdown(): Promise<{ jobId: string; generation: number }[]> {
    this.shuttingDown = true;
    const entries = [...this.active.values()];
    for (const e of entries) this.stopJob(e.job.id, 'shutdown');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.config.http.shutdownTimeoutMs).unref());
    if ((await Promise.race([Promise.all(entries.map((e) => e.done)), timeout])) === 'timeout') {
      this.logger.warn({ msg: 'training jobs did not stop in time; their threads are killed (the recovery sweep will retry them)' });
      await Promise.allSettled(entries.map((e) => e.run?.kill()));
    }
    const ids = entries.map((e) => e.job.id);
    if (!ids.length) return [];
    const rows = (await this.db.query(`SELECT id, ${GENERATION_SQL} FROM training_jobs WHERE id = ANY($1) AND status = 'queued'`, [ids])) as {
      id: string;
      generation: string;
    }[];
    return rows.map((r) => ({ jobId: r.id, generation: Number(r.generation) }));
  }

  private stopJob(jobId: string, reason: StopReason): void {
    const entry = this.active.get(jobId);
    if (!entry) return;
    // A cancel is never downgraded to a shutdown (that would requeue a job the user cancelled).
    if (entry.stop !== 'cancel') entry.stop = reason;
    entry.run?.stop(entry.stop);
  }

  private async claim(jobId: string): Promise<TrainingJobEntity | null> {
    const claimed = rowsOf(
      await this.db.query(
        `UPDATE training_jobs
            SET status = 'running', worker_id = $2, attempts = attempts + 1, heartbeat_at = now(),
                started_at = COALESCE(started_at, now()), progress_epoch = 0, history = '[]'::jsonb
          WHERE id = $1 AND status = 'queued'
          RETURNING id`,
        [jobId, this.workerId],
      ),
    );
    if (!claimed.length) return null;
    return this.db.getRepository(TrainingJobEntity).findOneByOrFail({ id: jobId });
  }

  private async execute(entry: ActiveJob): Promise<void> {
    const { job } = entry;
    let file;
    try {
      file = await this.datasets.readFile(job.datasetId);
    } catch (error) {
      return this.finish(entry, 'failed', { error: `The dataset cannot be read: ${messageOf(error)}` });
    }
    const sha256 = createHash('sha256').update(file.data).digest('hex');
    if (sha256 !== job.datasetSha256) {
      return this.finish(entry, 'failed', { error: `The stored dataset does not match its recorded sha256 (${job.datasetSha256}).` });
    }

    let progress = Promise.resolve();
    const run = this.threads.start(
      { spec: job.request, format: file.dataset.format, data: file.data },
      {
        onStarted: (backend) => this.logger.log({ msg: 'training started', jobId: job.id, attempt: job.attempts, backend }),
        // Epochs are recorded in order, each after the previous one's write. A failed write (a
        // database blip) costs that epoch's record, not the job: the heartbeat keeps it alive.
        onEpoch: (record, epochs) => {
          progress = progress
            .then(() => this.recordEpoch(entry, record, epochs))
            .catch((error: unknown) => this.logger.warn({ err: error, jobId: job.id, epoch: record.epoch, msg: 'could not record an epoch' }));
        },
      },
    );
    entry.run = run;
    if (entry.stop) run.stop(entry.stop);

    let result: TrainingResult;
    try {
      result = await run.result;
    } catch (error) {
      await progress;
      if (entry.lost) return;
      const message = error instanceof TrainingThreadError && error.dataError ? error.message : `Training failed: ${messageOf(error)}`;
      return this.finish(entry, 'failed', { error: message });
    }
    await progress;
    if (entry.lost) return;
    if (result.status === 'stopped') {
      return result.reason === 'cancel' ? this.finish(entry, 'cancelled', {}) : this.requeue(entry);
    }
    if (entry.stop === 'cancel' || (await this.cancelRequested(job.id))) return this.finish(entry, 'cancelled', {});
    return this.register(entry, result);
  }

  private async register(entry: ActiveJob, result: TrainedModel): Promise<void> {
    const { job } = entry;
    const version = await this.versions.register(
      job.modelName,
      {
        files: new Map(result.files.map(([path, data]) => [path, Buffer.from(data.buffer, data.byteOffset, data.byteLength)])),
        metadata: {
          description: `Trained by job ${job.id} on dataset ${job.datasetId}`,
          labels: result.labels,
          metrics: result.metrics,
          params: {
            task: job.task,
            features: job.request.features,
            target: job.request.target,
            architecture: job.request.architecture,
            hyperparameters: job.request.hyperparameters,
            preprocessing: result.preprocessing,
          },
        },
        stage: 'staging',
        source: { trainingJobId: job.id, datasetId: job.datasetId, datasetSha256: job.datasetSha256 },
        createdBy: job.createdBy,
        reason: `trained by job ${job.id}`,
      },
      creatorOf(job),
      { createModel: { task: job.task } },
    );
    const versionRow = (await this.db.query(
      `SELECT v.id FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = $1 AND v.version = $2`,
      [job.modelName, version.version],
    )) as { id: string }[];
    await this.finish(entry, 'succeeded', {
      metrics: result.metrics,
      modelVersionId: versionRow[0].id,
      modelVersion: version.version,
      progressEpoch: job.epochs,
    });
    this.logger.log({ msg: 'training job succeeded', jobId: job.id, model: job.modelName, version: version.version });
  }

  private async recordEpoch(entry: ActiveJob, record: EpochRecord, epochs: number): Promise<void> {
    const { job } = entry;
    if (entry.lost) return;
    this.metrics.epochSeconds.observe(record.durationMs / 1000);
    const rows = rowsOf(
      await this.db.query(
        `UPDATE training_jobs
            SET progress_epoch = $3, history = history || jsonb_build_array($4::jsonb), heartbeat_at = now()
          WHERE id = $1 AND worker_id = $2 AND status = 'running'
          RETURNING cancel_requested_at`,
        [job.id, this.workerId, record.epoch, JSON.stringify(record)],
      ),
    ) as { cancel_requested_at: Date | null }[];
    if (!this.stillOurs(entry, rows)) return;
    if (rows[0].cancel_requested_at) this.stopJob(job.id, 'cancel');
    await this.bus.publish({ type: 'progress', jobId: job.id, attempt: job.attempts, epochs, record }).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: job.id, msg: 'could not publish training progress' });
    });
  }

  /** Proves this worker is alive between epochs (long epochs), and notices cancels that missed the bus. */
  private async beat(entry: ActiveJob): Promise<void> {
    if (entry.lost) return;
    try {
      const rows = rowsOf(
        await this.db.query(
          `UPDATE training_jobs SET heartbeat_at = now() WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING cancel_requested_at`,
          [entry.job.id, this.workerId],
        ),
      ) as { cancel_requested_at: Date | null }[];
      if (this.stillOurs(entry, rows) && rows[0].cancel_requested_at) this.stopJob(entry.job.id, 'cancel');
    } catch (error) {
      this.logger.warn({ err: error, jobId: entry.job.id, msg: 'training heartbeat failed' });
    }
  }

  private stillOurs(entry: ActiveJob, rows: unknown[]): boolean {
    if (rows.length) return true;
    // Taken away (presumed dead and recovered): stop computing and write nothing more.
    entry.lost = true;
    this.logger.warn({ jobId: entry.job.id, workerId: this.workerId, msg: 'training job is no longer held by this worker; abandoning it' });
    void entry.run?.kill();
    return false;
  }

  private async cancelRequested(jobId: string): Promise<boolean> {
    const rows = (await this.db.query(`SELECT cancel_requested_at FROM training_jobs WHERE id = $1`, [jobId])) as {
      cancel_requested_at: Date | null;
    }[];
    return Boolean(rows[0]?.cancel_requested_at);
  }

  private async requeue(entry: ActiveJob): Promise<void> {
    const rows = rowsOf(
      await this.db.query(
        `UPDATE training_jobs
            SET status = 'queued', worker_id = NULL, heartbeat_at = NULL, attempts = attempts - 1, progress_epoch = 0, history = '[]'::jsonb
          WHERE id = $1 AND worker_id = $2 AND status = 'running' AND cancel_requested_at IS NULL
          RETURNING id`,
        [entry.job.id, this.workerId],
      ),
    );
    if (rows.length) {
      this.logger.log({ msg: 'training job requeued (worker shutting down)', jobId: entry.job.id });
      return;
    }
    // Cancelled while stopping: that wins.
    if (await this.cancelRequested(entry.job.id)) await this.finish(entry, 'cancelled', {});
  }

  /** The final write; publishes the `status` event once it is committed. */
  private async finish(
    entry: ActiveJob,
    status: 'succeeded' | 'failed' | 'cancelled',
    fields: Partial<Pick<TrainingJobEntity, 'error' | 'metrics' | 'modelVersionId' | 'modelVersion' | 'progressEpoch'>>,
  ): Promise<void> {
    const result = await this.db
      .createQueryBuilder()
      .update(TrainingJobEntity)
      .set({ status, finishedAt: () => 'now()', error: fields.error ?? null, ...fields })
      .where(`id = :id AND worker_id = :worker AND status = 'running'`, { id: entry.job.id, worker: this.workerId })
      .execute();
    if (!result.affected) {
      entry.lost = true;
      this.logger.warn({ jobId: entry.job.id, status, msg: 'training job finished, but it is no longer held by this worker' });
      return;
    }
    this.metrics.finished.inc({ status });
    const job = await this.db.getRepository(TrainingJobEntity).findOneByOrFail({ id: entry.job.id });
    await this.bus.publish({ type: 'status', jobId: job.id, job: toJobDto(job) }).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: job.id, msg: 'could not publish the training status' });
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
