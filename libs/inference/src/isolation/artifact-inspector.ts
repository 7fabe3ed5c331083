import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Worker } from 'node:worker_threads';
import { DomainError } from '@app/common';
import { ArtifactFiles } from '../artifact/artifact.types';
import { InvalidArtifactError, InvalidArtifactReason } from '../artifact/invalid-artifact.error';
import { TfBackendSelection } from '../backend/tf-backend';
import { ModelLimits } from '../limits/model-limits';
import { MODEL_LIMITS, ModelInspection, TF_BACKEND_SELECTION } from '../runtime/inference-runtime';
import { InspectionRequest, InspectionThreadMessage, InspectionThreadSetup } from './inspection.protocol';
import { spawnThread } from './spawn-thread';

export interface InspectionOptions {
  /** A thread that has not answered by then is stopped (INSPECTION_TIMEOUT_MS). */
  timeoutMs: number;
  /** Heap of the thread and, separately, its WebAssembly memory (INSPECTION_MAX_MEMORY_MB). */
  maxMemoryMb: number;
  /** Inspections at once (INSPECTION_CONCURRENCY); more wait, up to `maxWaiting`. */
  concurrency: number;
  maxWaiting: number;
}

export const INSPECTION_OPTIONS = Symbol('INSPECTION_OPTIONS');

const TAINTING = new Set<InvalidArtifactReason>([
  'load-failed',
  'run-failed',
  'too-much-memory',
  'output-too-large',
  'inspection-crashed',
  'inspection-timeout',
  'inspection-out-of-memory',
]);

/** An idle thread is stopped after this long, so that its memory goes back to the system. */
const IDLE_MS = 30_000;

/**
 * Inspects uploaded artifacts (parse, build, test run) in worker threads with their own
 * TensorFlow.js backend, a time limit and memory limits: an artifact that crashes, aborts or
 * exhausts the engine there is a 422 with a reason, and the API's own engine never saw it. A thread
 * serves one inspection at a time; after a failed one (invalid artifact included) it is replaced,
 * so whatever a bad upload did to its memory cannot reach the next inspection.
 */
@Injectable()
export class ArtifactInspector implements OnApplicationShutdown {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idle: InspectionThread[] = [];
  private readonly threads = new Set<InspectionThread>();
  private closed = false;

  constructor(
    @Inject(TF_BACKEND_SELECTION) private readonly selection: TfBackendSelection,
    @Inject(MODEL_LIMITS) private readonly limits: ModelLimits,
    @Inject(INSPECTION_OPTIONS) private readonly options: InspectionOptions,
  ) {}

  async inspect(files: ArtifactFiles): Promise<ModelInspection> {
    await this.acquire();
    let thread = this.idle.pop();
    while (thread?.exited) thread = this.idle.pop();
    thread ??= this.spawn();
    thread.busy();
    let reusable = false;
    try {
      const inspection = await thread.inspect(files, this.options);
      reusable = true;
      return inspection;
    } catch (error) {
      // Refused before tfjs computed anything (the file checks, the parameter count): the thread's
      // engine is as clean as before. Anything refused later costs the thread.
      reusable = error instanceof InvalidArtifactError && !TAINTING.has(error.reason);
      throw error;
    } finally {
      if (reusable && !this.closed) {
        thread.idleFor(IDLE_MS, () => this.retire(thread));
        this.idle.push(thread);
      } else {
        this.retire(thread);
      }
      this.release();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.threads].map((t) => t.terminate()));
  }

  private spawn(): InspectionThread {
    const setup: InspectionThreadSetup = {
      kind: 'modelgate-inspection',
      backend: this.selection.backend,
      limits: this.limits,
      maxWasmBytes: this.options.maxMemoryMb * 1_048_576,
    };
    const thread = new InspectionThread(setup, this.options.maxMemoryMb);
    this.threads.add(thread);
    return thread;
  }

  private retire(thread: InspectionThread): void {
    this.threads.delete(thread);
    const at = this.idle.indexOf(thread);
    if (at >= 0) this.idle.splice(at, 1);
    void thread.terminate();
  }

  private async acquire(): Promise<void> {
    if (this.running < this.options.concurrency) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.options.maxWaiting) {
      throw new DomainError('unavailable', 'INSPECTION_BUSY', 'Too many model uploads are being inspected; retry shortly.', {
        headers: { 'Retry-After': '5' },
      });
    }
    // The slot is handed over by release(): `running` stays counted.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

/** One worker thread and the inspection it is running. */
class InspectionThread {
  private readonly worker: Worker;
  private nextId = 1;
  private pending?: { id: number; settle: (outcome: { message?: InspectionThreadMessage; error?: InvalidArtifactError }) => void };
  private idleTimer?: NodeJS.Timeout;
  exited = false;

  constructor(setup: InspectionThreadSetup, maxMemoryMb: number) {
    this.worker = spawnThread(__dirname, 'inspection.thread', {
      workerData: setup,
      resourceLimits: { maxOldGenerationSizeMb: maxMemoryMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    // The thread's console output (tfjs' notices) is not the API's log.
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.unref();
    this.worker.on('message', (message: InspectionThreadMessage) => {
      if (this.pending?.id === message.id) this.pending.settle({ message });
    });
    this.worker.on('error', (error: Error & { code?: string }) =>
      this.pending?.settle({
        error:
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new InvalidArtifactError(
                'inspection-out-of-memory',
                `Loading and test-running the model needs more than ${maxMemoryMb} MiB (INSPECTION_MAX_MEMORY_MB).`,
              )
            : crashed('the inspection thread failed.'),
      }),
    );
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.pending?.settle({ error: crashed(`the inspection thread exited (code ${code}) before it answered.`) });
    });
  }

  busy(): void {
    clearTimeout(this.idleTimer);
  }

  idleFor(ms: number, then: () => void): void {
    this.idleTimer = setTimeout(then, ms);
    this.idleTimer.unref();
  }

  async inspect(files: ArtifactFiles, { timeoutMs }: InspectionOptions): Promise<ModelInspection> {
    const id = this.nextId++;
    // Copies: the caller keeps its buffers (they are stored after a successful inspection).
    const request: InspectionRequest = { id, files: await transferableCopies(files) };
    if (this.exited) throw crashed('the inspection thread exited before the artifact was handed to it.');
    return new Promise<ModelInspection>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.pending?.settle({
            error: new InvalidArtifactError(
              'inspection-timeout',
              `Loading and test-running the model took longer than ${timeoutMs} ms (INSPECTION_TIMEOUT_MS).`,
            ),
          }),
        timeoutMs,
      );
      this.pending = {
        id,
        settle: ({ message, error }) => {
          clearTimeout(timer);
          this.pending = undefined;
          if (error) reject(error);
          else if (message?.type === 'inspected') resolve(message.inspection);
          else if (message?.type === 'invalid') reject(new InvalidArtifactError(message.reason, message.message));
          else reject(crashed(message?.message ?? 'no answer.'));
        },
      };
      this.worker.postMessage(
        request,
        request.files.map(([, data]) => data.buffer as ArrayBuffer),
      );
    });
  }

  async terminate(): Promise<void> {
    clearTimeout(this.idleTimer);
    await this.worker.terminate();
  }
}

/** Bytes copied between turns of the event loop: copying 200 MB at once holds it for ~100 ms. */
const COPY_SLICE_BYTES = 8 * 1024 * 1024;

/** Each file copied into its own ArrayBuffer (to be transferred), a slice at a time. */
async function transferableCopies(files: ArtifactFiles): Promise<[string, Uint8Array][]> {
  const copies: [string, Uint8Array][] = [];
  for (const [path, data] of files) {
    const copy = new Uint8Array(data.length);
    for (let at = 0; at < data.length; at += COPY_SLICE_BYTES) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve));
      copy.set(data.subarray(at, at + COPY_SLICE_BYTES), at);
    }
    copies.push([path, copy]);
  }
  return copies;
}

function crashed(detail: string): InvalidArtifactError {
  return new InvalidArtifactError(
    'inspection-crashed',
    `The model crashed the inference engine while it was loaded and test-run: ${detail}`,
  );
}
