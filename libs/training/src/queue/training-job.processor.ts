import { Processor, WorkerHost } from '@nestjs/bullmq';
import { BeforeApplicationShutdown, Inject, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { InjectConfig } from '@app/common';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { TrainingRunner } from '../jobs/training-runner';
import { TRAINING_QUEUE, TRAINING_QUEUE_NAME, TrainingQueue } from './training-queue';

/**
 * apps/worker's BullMQ consumer: TRAINING_CONCURRENCY jobs at once per process, each trained in a
 * worker thread by the runner. Started once the application is up (not while modules initialise),
 * and on SIGTERM it stops fetching first, then lets the runner stop its jobs (they go back to the
 * queue for another worker), then BullMQ closes.
 */
@Processor(TRAINING_QUEUE_NAME, { autorun: false })
export class TrainingJobProcessor extends WorkerHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TrainingJobProcessor.name);

  constructor(
    @InjectConfig(trainingConfig) private readonly config: TrainingConfig,
    private readonly runner: TrainingRunner,
    @Inject(TRAINING_QUEUE) private readonly queue: TrainingQueue,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.concurrency;
    this.worker.run().catch((error: unknown) => this.logger.error({ err: error, msg: 'the BullMQ training worker stopped' }));
    this.logger.log({ msg: 'consuming training jobs', concurrency: this.config.concurrency, workerId: this.runner.workerId });
  }

  async process(job: Job<{ jobId: string }>): Promise<void> {
    // The outcome (succeeded, failed, cancelled) is recorded on the job row; the queue only delivers.
    await this.runner.run(job.data.jobId);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.worker.pause(true);
    for (const { jobId, generation } of await this.runner.shutdown()) {
      await this.queue.enqueue(jobId, generation).catch((error: unknown) => {
        this.logger.error({ err: error, jobId, msg: 'could not requeue a training job at shutdown; the recovery sweep will' });
      });
    }
  }
}
