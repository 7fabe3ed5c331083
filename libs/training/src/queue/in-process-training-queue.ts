import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { InjectConfig } from '@app/common';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { TrainingRunner } from '../jobs/training-runner';
import { TrainingQueue } from './training-queue';

/**
 * Without Redis: a FIFO in the API process feeding at most TRAINING_CONCURRENCY jobs at once to
 * the runner, which trains each in its own worker thread (never on the event loop). Nothing here
 * survives a restart, and nothing needs to: queued jobs are in the database, and the recovery
 * sweep enqueues them again at start-up.
 */
@Injectable()
export class InProcessTrainingQueue implements TrainingQueue, BeforeApplicationShutdown {
  readonly kind = 'in-process' as const;
  private readonly logger = new Logger(InProcessTrainingQueue.name);
  private readonly waiting: string[] = [];
  private readonly known = new Set<string>();
  private active = 0;
  private closed = false;

  constructor(
    @InjectConfig(trainingConfig) private readonly config: TrainingConfig,
    private readonly runner: TrainingRunner,
  ) {}

  async enqueue(jobId: string): Promise<void> {
    if (this.closed || this.known.has(jobId)) return;
    this.known.add(jobId);
    this.waiting.push(jobId);
    this.pump();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    // Running jobs stop at their next batch and go back to `queued` for the next start.
    await this.runner.shutdown();
  }

  private pump(): void {
    while (!this.closed && this.active < this.config.concurrency && this.waiting.length) {
      const jobId = this.waiting.shift()!;
      this.active++;
      this.runner
        .run(jobId)
        .catch((error: unknown) => this.logger.error({ err: error, jobId, msg: 'training job run failed' }))
        .finally(() => {
          this.active--;
          this.known.delete(jobId);
          this.pump();
        });
    }
  }
}
