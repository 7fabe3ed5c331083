import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectConfig } from '@app/common';
import { inferenceConfig, type InferenceConfig } from '@app/inference';
import { spawnThread } from '@app/inference';
import type { DatasetFormat } from '../datasets/dataset-format';
import type { StopReason, TrainingResult } from '../trainer/trainer';
import type { EpochRecord, TrainingSpec } from '../trainer/training-spec';
import { CONTROL, TrainingThreadInput, TrainingThreadMessage } from './training-thread.protocol';

/** A training that failed in its thread. `dataError`: the data or request is at fault, retrying will not help. */
export class TrainingThreadError extends Error {
  constructor(
    message: string,
    readonly dataError: boolean,
  ) {
    super(message);
    this.name = 'TrainingThreadError';
  }
}

export interface TrainingRunInput {
  spec: TrainingSpec;
  format: DatasetFormat;
  data: Uint8Array;
}

export interface TrainingRunHandlers {
  onStarted?(backend: string): void;
  onEpoch(record: EpochRecord, epochs: number): void;
}

/** A training in progress in its own thread. */
export interface TrainingRun {
  readonly result: Promise<TrainingResult>;
  /** Asks the thread to stop before its next batch; `result` then resolves as stopped. */
  stop(reason: StopReason): void;
  /** Ends the thread at once (it is not answering); `result` rejects. */
  kill(): Promise<void>;
}

/**
 * Runs the trainer off the event loop, one node:worker_threads thread per job, in the API (no
 * Redis) and in the worker process (BullMQ) alike. How many run at once is the queue's business
 * (TRAINING_CONCURRENCY); this class starts threads and stops them, all of them at shutdown.
 * Threads start from the compiled `training.thread.js`, or from the sources under Jest (spawnThread).
 */
@Injectable()
export class TrainerThreads implements OnApplicationShutdown {
  private readonly logger = new Logger(TrainerThreads.name);
  private readonly threads = new Set<Worker>();

  constructor(@InjectConfig(inferenceConfig) private readonly config: Pick<InferenceConfig, 'backend'>) {}

  get active(): number {
    return this.threads.size;
  }

  start(input: TrainingRunInput, handlers: TrainingRunHandlers): TrainingRun {
    const control = new SharedArrayBuffer(4);
    const workerData: TrainingThreadInput = {
      kind: 'modelgate-training',
      spec: input.spec,
      dataset: { format: input.format, bytes: input.data },
      backend: this.config.backend,
      control,
    };
    const thread = spawnThread(__dirname, 'training.thread', { workerData, stdout: true, stderr: true });
    this.threads.add(thread);
    this.forwardOutput(thread.stdout, 'debug');
    this.forwardOutput(thread.stderr, 'warn');

    const result = new Promise<TrainingResult>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          fn();
        }
      };
      thread.on('message', (message: TrainingThreadMessage) => {
        switch (message.type) {
          case 'started':
            handlers.onStarted?.(message.backend);
            break;
          case 'epoch':
            handlers.onEpoch(message.record, message.epochs);
            break;
          case 'result':
            settle(() => resolve(message.result));
            break;
          case 'failed':
            settle(() => reject(new TrainingThreadError(message.message, message.dataError)));
            break;
        }
      });
      thread.on('error', (error) => settle(() => reject(new TrainingThreadError(`The training thread crashed: ${error.message}`, false))));
      thread.on('exit', (code) => {
        this.threads.delete(thread);
        settle(() => reject(new TrainingThreadError(`The training thread exited (code ${code}) before it finished.`, false)));
      });
    });
    // The thread has nothing left to do once it answered; do not wait for its event loop to drain.
    void result.then(
      () => thread.terminate(),
      () => thread.terminate(),
    );

    return {
      result,
      stop: (reason) => Atomics.store(new Int32Array(control), 0, reason === 'cancel' ? CONTROL.cancel : CONTROL.shutdown),
      kill: async () => {
        await thread.terminate();
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    // The runner has already stopped its jobs (and requeued them); what is left is killed.
    await Promise.allSettled([...this.threads].map((t) => t.terminate()));
  }

  private forwardOutput(stream: Readable | null | undefined, level: 'debug' | 'warn'): void {
    if (!stream) return;
    createInterface({ input: stream }).on('line', (line) => {
      if (line.trim()) this.logger[level]({ msg: line, component: 'training-thread' });
    });
  }
}
