/**
 * Hands a training job to whatever runs jobs. Only the id travels: the job row is the truth, and
 * whoever picks the message up must still win the claim (`status = 'queued'`). Idempotent per
 * (job, generation) — the generation is the row's updated_at in epoch ms, which changes with every
 * return to `queued` — so the recovery sweep may enqueue again whatever it is unsure about.
 */
export interface TrainingQueue {
  readonly kind: 'bullmq' | 'in-process';
  enqueue(jobId: string, generation: number): Promise<void>;
}

export const TRAINING_QUEUE = Symbol('TRAINING_QUEUE');

/** The BullMQ queue's name (under TRAINING_QUEUE_PREFIX in Redis). */
export const TRAINING_QUEUE_NAME = 'training';
