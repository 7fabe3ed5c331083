import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { TRAINING_QUEUE_NAME, TrainingQueue } from './training-queue';

/** With REDIS_URL: jobs go to BullMQ, and apps/worker processes consume them. */
@Injectable()
export class BullMqTrainingQueue implements TrainingQueue {
  readonly kind = 'bullmq' as const;

  constructor(@InjectQueue(TRAINING_QUEUE_NAME) private readonly queue: Queue) {}

  async enqueue(jobId: string, generation: number): Promise<void> {
    // A fixed BullMQ job id per (job, generation): adding it again while it waits is a no-op.
    await this.queue.add('train', { jobId }, { jobId: `${jobId}.${generation}`, removeOnComplete: true, removeOnFail: 1000, attempts: 1 });
  }
}
