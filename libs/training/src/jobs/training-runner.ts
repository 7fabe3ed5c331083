import { createHash, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectConfig, runtimeConfig, type RuntimeConfig, type TraceIds, TraceScope } from '@app/common';
import { newSpanId, newTraceId, type Span, SpanKind, SpanStatusCode, TracingService } from '@app/observability';
import { EventOutbox } from '@app/audit';
import { UnitOfWork } from '@app/database';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { ModelVersionsService } from '@app/models';
import { DatasetsService } from '../datasets/datasets.service';
import { TRAINING_EVENT_BUS, TrainingEventBus } from '../events/training-events';
import { TrainerThreads, TrainingRun, TrainingThreadError } from '../execution/trainer-threads';
import type { StopReason, TrainedModel, TrainingResult } from '../trainer/trainer';
import type { EpochRecord } from '../trainer/training-spec';
import { TrainingJobEntity } from './entities/training-job.entity';
import { TrainingMetrics } from './training-metrics';
import { FinishFields, FinishStatus, HeldJob, QueueTicket, TrainingJobsRepository } from './training-jobs.repository';
import { creatorOf, finishedEvent, toJobDto } from './views';

interface ActiveJob {
  job: TrainingJobEntity;
  run?: TrainingRun;
  /** A stop asked for before the thread existed, applied when it starts. */
  stop?: StopReason;
  /** The row no longer names this worker (recovered as stale): nothing more may be written. */
  lost?: boolean;
  done: Promise<void>;
  /** With OpenTelemetry on: this run's span. */
  span?: Span;
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
    private readonly jobs: TrainingJobsRepository,
    @InjectConfig(trainingConfig) private readonly config: TrainingConfig,
    @InjectConfig(runtimeConfig) private readonly runtime: RuntimeConfig,
    private readonly datasets: DatasetsService,
    private readonly versions: ModelVersionsService,
    private readonly threads: TrainerThreads,
    @Inject(TRAINING_EVENT_BUS) private readonly bus: TrainingEventBus,
    private readonly metrics: TrainingMetrics,
    private readonly transactions: UnitOfWork,
    private readonly outbox: EventOutbox,
    @Optional() private readonly tracing?: TracingService,
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
    const job = await this.jobs.claim(jobId, this.workerId);
    if (!job) return;
    // The run continues the trace of the request that created the job: its log lines, its span,
    // its events and the version it registers name that trace.
    const trace: TraceIds = { traceId: job.traceId ?? newTraceId(), spanId: newSpanId() };
    return TraceScope.run(trace, () => this.runClaimed(job, trace));
  }

  private async runClaimed(job: TrainingJobEntity, trace: TraceIds): Promise<void> {
    const jobId = job.id;
    let release!: () => void;
    const span = this.tracing?.startSpan('training job', {
      kind: SpanKind.INTERNAL,
      ids: trace,
      attributes: { 'modelgate.training.job_id': jobId, 'modelgate.model': job.modelName, 'modelgate.training.attempt': job.attempts },
    });
    const entry: ActiveJob = { job, done: new Promise<void>((r) => (release = r)), span };
    this.active.set(jobId, entry);
    this.metrics.running.inc();
    const heartbeat = setInterval(() => void this.beat(entry), this.config.heartbeatIntervalMs);
    heartbeat.unref();
    try {
      await this.execute(entry);
    } catch (error) {
      this.logger.error({ err: error, jobId, msg: 'training job failed unexpectedly' });
      span?.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
      await this.finish(entry, 'failed', { error: `Training failed: ${messageOf(error)}` }).catch((e: unknown) =>
        this.logger.error({ err: e, jobId, msg: 'could not record the failure of a training job' }),
      );
    } finally {
      clearInterval(heartbeat);
      this.active.delete(jobId);
      this.metrics.running.dec();
      span?.end();
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
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), this.runtime.shutdownTimeoutMs).unref());
    if ((await Promise.race([Promise.all(entries.map((e) => e.done)), timeout])) === 'timeout') {
      this.logger.warn({ msg: 'training jobs did not stop in time; their threads are killed (the recovery sweep will retry them)' });
      await Promise.allSettled(entries.map((e) => e.run?.kill()));
    }
    const ids = entries.map((e) => e.job.id);
    if (!ids.length) return [];
    const requeued: QueueTicket[] = await this.jobs.queuedAmong(ids);
    return requeued.map((r) => ({ jobId: r.id, generation: r.generation }));
  }

  private stopJob(jobId: string, reason: StopReason): void {
    const entry = this.active.get(jobId);
    if (!entry) return;
    // A cancel is never downgraded to a shutdown (that would requeue a job the user cancelled).
    if (entry.stop !== 'cancel') entry.stop = reason;
    entry.run?.stop(entry.stop);
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
            .catch((error: unknown) =>
              this.logger.warn({ err: error, jobId: job.id, epoch: record.epoch, msg: 'could not record an epoch' }),
            );
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
    if (entry.stop === 'cancel' || (await this.jobs.isCancelRequested(job.id))) return this.finish(entry, 'cancelled', {});
    return this.register(entry, result);
  }

  private async register(entry: ActiveJob, result: TrainedModel): Promise<void> {
    const { job } = entry;
    const { dto: version, id: versionId } = await this.versions.register(
      job.modelName,
      {
        files: new Map(result.files.map(([path, data]) => [path, Buffer.from(data.buffer, data.byteOffset, data.byteLength)])),
        metadata: {
          description: `Trained by job ${job.id} on dataset ${job.datasetId}`,
          labels: result.labels,
          metrics: { ...result.metrics, stoppedEpoch: result.stoppedEpoch, stopReason: result.stopReason, report: result.report },
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
        ...(result.profile ? { trainingProfile: { profile: result.profile, datasetId: job.datasetId } } : {}),
        source: { trainingJobId: job.id, datasetId: job.datasetId, datasetSha256: job.datasetSha256 },
        createdBy: job.createdBy,
        reason: `trained by job ${job.id}`,
      },
      creatorOf(job),
      { createModel: { task: job.task } },
    );
    await this.finish(entry, 'succeeded', {
      metrics: result.metrics,
      modelVersionId: versionId,
      modelVersion: version.version,
      progressEpoch: result.stoppedEpoch,
      stoppedEpoch: result.stoppedEpoch,
      stopReason: result.stopReason,
      report: result.report,
    });
    this.logger.log({ msg: 'training job succeeded', jobId: job.id, model: job.modelName, version: version.version });
  }

  private async recordEpoch(entry: ActiveJob, record: EpochRecord, epochs: number): Promise<void> {
    const { job } = entry;
    if (entry.lost) return;
    this.metrics.epochSeconds.observe(record.durationMs / 1000);
    const held = await this.jobs.recordEpoch(job.id, this.workerId, record);
    if (!this.stillOurs(entry, held)) return;
    if (held.cancelRequested) this.stopJob(job.id, 'cancel');
    await this.bus.publish({ type: 'progress', jobId: job.id, attempt: job.attempts, epochs, record }).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: job.id, msg: 'could not publish training progress' });
    });
  }

  /** Proves this worker is alive between epochs (long epochs), and notices cancels that missed the bus. */
  private async beat(entry: ActiveJob): Promise<void> {
    if (entry.lost) return;
    try {
      const held = await this.jobs.heartbeat(entry.job.id, this.workerId);
      if (this.stillOurs(entry, held) && held.cancelRequested) this.stopJob(entry.job.id, 'cancel');
    } catch (error) {
      this.logger.warn({ err: error, jobId: entry.job.id, msg: 'training heartbeat failed' });
    }
  }

  private stillOurs(entry: ActiveJob, held: HeldJob | null): held is HeldJob {
    if (held) return true;
    // Taken away (presumed dead and recovered): stop computing and write nothing more.
    entry.lost = true;
    this.logger.warn({ jobId: entry.job.id, workerId: this.workerId, msg: 'training job is no longer held by this worker; abandoning it' });
    void entry.run?.kill();
    return false;
  }

  private async requeue(entry: ActiveJob): Promise<void> {
    if (await this.jobs.requeue(entry.job.id, this.workerId)) {
      this.logger.log({ msg: 'training job requeued (worker shutting down)', jobId: entry.job.id });
      return;
    }
    // Cancelled while stopping: that wins.
    if (await this.jobs.isCancelRequested(entry.job.id)) await this.finish(entry, 'cancelled', {});
  }

  /** The final write; publishes the `status` event once it is committed. */
  private async finish(entry: ActiveJob, status: FinishStatus, fields: FinishFields): Promise<void> {
    // The outbox event (webhooks' training.job.finished) commits with the final write, or neither does.
    const held = await this.transactions.run(async (tx) => {
      if (!(await this.jobs.finish(entry.job.id, this.workerId, status, fields, tx))) return false;
      await this.outbox.add('training.job.finished', finishedEvent(entry.job, status, fields), tx);
      return true;
    });
    if (!held) {
      entry.lost = true;
      this.logger.warn({ jobId: entry.job.id, status, msg: 'training job finished, but it is no longer held by this worker' });
      return;
    }
    this.metrics.finished.inc({ status });
    entry.span?.setAttribute('modelgate.training.status', status);
    if (status === 'failed') entry.span?.setStatus({ code: SpanStatusCode.ERROR, message: fields.error ?? 'failed' });
    const job = await this.jobs.getById(entry.job.id);
    await this.bus.publish({ type: 'status', jobId: job.id, job: toJobDto(job) }).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: job.id, msg: 'could not publish the training status' });
    });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
