import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig } from '@app/common';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { TRAINING_EVENT_BUS, TrainingEventBus } from '../events/training-events';
import { EventOutbox } from '@app/audit';
import { ScheduledJob, ScheduledJobs, UnitOfWork } from '@app/database';
import { TRAINING_QUEUE, TrainingQueue } from '../queue/training-queue';
import { QueueTicket, TrainingJobsRepository } from './training-jobs.repository';
import { finishedEvent, toJobDto } from './views';

export interface RecoveryReport {
  /** Running jobs whose worker went silent, put back in the queue for another attempt. */
  requeued: string[];
  /** Running jobs whose worker went silent on their last allowed attempt. */
  failed: string[];
  /** Running jobs whose worker went silent after a cancel was asked for. */
  cancelled: string[];
  /** Queued jobs enqueued again (a lost queue entry: an API restart without Redis, a flushed Redis). */
  reenqueued: string[];
}

/**
 * A killed worker or a restarted API never leaves a job `running` for ever: a running job whose
 * heartbeat is older than TRAINING_STALE_AFTER_SECONDS is presumed dead. It is retried while its
 * attempts are below TRAINING_MAX_ATTEMPTS (2: retried once), then failed with the reason. Each
 * step is one conditional UPDATE, so several API replicas and workers can sweep at once without
 * recovering a job twice; an exclusive scheduled job further keeps it to one sweeper at a time
 * (the others skip that tick). Runs every TRAINING_SWEEP_INTERVAL_SECONDS, and once at start-up.
 */
@Injectable()
export class TrainingRecovery implements OnApplicationBootstrap {
  private readonly logger = new Logger(TrainingRecovery.name);
  private readonly job: ScheduledJob<RecoveryReport>;
  /** Without Redis the queue lives in this process: at its first sweep, every queued job needs enqueuing. */
  private swept = false;

  constructor(
    private readonly jobs: TrainingJobsRepository,
    scheduled: ScheduledJobs,
    @InjectConfig(trainingConfig) private readonly config: TrainingConfig,
    @Inject(TRAINING_QUEUE) private readonly queue: TrainingQueue,
    @Inject(TRAINING_EVENT_BUS) private readonly bus: TrainingEventBus,
    private readonly transactions: UnitOfWork,
    private readonly outbox: EventOutbox,
  ) {
    this.job = scheduled.define('training.recover-stale-jobs', () => this.pass(), { exclusive: true });
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.sweepIntervalSeconds;
    if (seconds <= 0) return;
    void this.sweep();
    this.job.every(seconds * 1000);
  }

  /** One pass (overlapping calls share it). Never throws: a failed pass is logged and the next one retries. */
  async sweep(): Promise<RecoveryReport> {
    try {
      const run = await this.job.run();
      return run.ran ? run.result : { requeued: [], failed: [], cancelled: [], reenqueued: [] };
    } catch (error) {
      this.logger.error({ err: error, msg: 'training recovery sweep failed; it runs again at the next tick' });
      return { requeued: [], failed: [], cancelled: [], reenqueued: [] };
    }
  }

  private async pass(): Promise<RecoveryReport> {
    const { staleAfterSeconds: stale, maxAttempts } = this.config;
    // Jobs ended here announce it to webhooks like a worker's would, in the same transaction.
    const { cancelled, failed, requeued } = await this.transactions.run(async (tx) => {
      const recovered = await this.jobs.recoverStale({ staleAfterSeconds: stale, maxAttempts }, tx);
      for (const [jobs, status] of [
        [recovered.cancelled, 'cancelled'],
        [recovered.failed, 'failed'],
      ] as const) {
        for (const job of jobs) {
          await this.outbox.add('training.job.finished', finishedEvent(job, status, { error: job.error }), tx, job.traceId ?? undefined);
        }
      }
      const ids = (jobs: { id: string }[]) => jobs.map((j) => j.id);
      return { cancelled: ids(recovered.cancelled), failed: ids(recovered.failed), requeued: recovered.requeued };
    });

    // Queued for longer than the stale delay and not running anywhere: its queue entry may be lost.
    const waiting = await this.jobs.queuedLongerThan(stale);
    const reenqueue: QueueTicket[] = this.queue.kind === 'in-process' && !this.swept ? await this.jobs.allQueued() : waiting;
    this.swept = true;

    for (const job of [...requeued, ...reenqueue]) {
      await this.queue.enqueue(job.id, job.generation).catch((error: unknown) => {
        this.logger.error({ err: error, jobId: job.id, msg: 'could not enqueue a recovered training job' });
      });
    }
    await this.announce([...cancelled, ...failed]);

    const report = { requeued: requeued.map((r) => r.id), failed, cancelled, reenqueued: reenqueue.map((r) => r.id) };
    if (cancelled.length || failed.length || requeued.length) {
      this.logger.warn({ msg: 'recovered training jobs whose worker stopped responding', ...report });
    }
    return report;
  }

  /** Terminal transitions made here end the jobs' event streams like a worker's would. */
  private async announce(ids: string[]): Promise<void> {
    if (!ids.length) return;
    const jobs = await this.jobs.findByIds(ids);
    for (const job of jobs) {
      await this.bus.publish({ type: 'status', jobId: job.id, job: toJobDto(job) }).catch(() => undefined);
    }
  }
}
