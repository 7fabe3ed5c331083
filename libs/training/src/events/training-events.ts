import type { EpochRecord } from '../trainer/training-spec';
import type { TrainingJobDto } from '../jobs/dto/training-job.dto';

/**
 * What crosses processes about a job while it runs: the worker that runs it publishes `progress`
 * and the final `status`; whoever serves its event stream (any API replica) listens. `cancel`
 * travels the other way, from the API to whichever worker holds the job.
 */
export type TrainingEvent =
  | { type: 'progress'; jobId: string; attempt: number; epochs: number; record: EpochRecord }
  | { type: 'status'; jobId: string; job: TrainingJobDto }
  | { type: 'cancel'; jobId: string };

export type TrainingEventListener = (event: TrainingEvent) => void;

/** Pub/sub port: Redis when configured (several processes), else in-process. Delivery is best effort; the database stays the truth. */
export interface TrainingEventBus {
  publish(event: TrainingEvent): Promise<void>;
  /** Every event of every job; returns the unsubscribe function. */
  subscribe(listener: TrainingEventListener): () => void;
}

export const TRAINING_EVENT_BUS = Symbol('TRAINING_EVENT_BUS');
