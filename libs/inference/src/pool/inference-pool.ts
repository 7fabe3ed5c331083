import { OnModuleDestroy } from '@nestjs/common';
import type { Worker } from 'node:worker_threads';
import { DomainError } from '@app/common';
import type { ArtifactFiles, InputColumns, ModelSignature, OutputColumns } from '../artifact/artifact.types';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { manifestWeightSpecs } from '../artifact/model-artifact';
import { inferenceParameterCount } from '../runtime/guarded-build';
import type { TfBackendName } from '../backend/tf-backend';
import { ServingRuntime } from '../engine/serving-runtime';
import { spawnThread } from '../isolation/spawn-thread';
import type { ModelLimits } from '../limits/model-limits';
import type { InferenceMetrics } from '../metrics/inference-metrics';
import type { LoadedModel, ModelBudget } from '../runtime/loaded-model';
import { PerRowCost } from '../util/per-row-cost';
import { copyRows } from '../util/typed-rows';
import type { PackedColumn, PackedOutput, PoolFailure, PoolRequest, PoolResponse, PoolThreadSetup } from './pool.protocol';

export interface InferencePoolOptions {
  threads: number;
  backend: TfBackendName;
  limits: ModelLimits;
  /**
   * Models with fewer parameters than `below` load here instead (the main thread): a batch of a
   * small model computes in less time than the copies and messages to a thread cost.
   */
  smallModels?: { below: number; runtime: ServingRuntime };
}

interface PoolLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class InferenceWorkerFailedError extends DomainError {
  constructor() {
    super(
      'unavailable',
      'INFERENCE_WORKER_FAILED',
      'The inference thread running this batch failed and is being replaced; retry shortly.',
      {
        headers: { 'Retry-After': '1' },
      },
    );
  }
}

/** One thread of the pool: what it holds and what it owes. */
class PoolThread {
  readonly pending = new Map<number, { resolve(response: PoolResponse): void; reject(error: unknown): void }>();
  /** Model copies placed here (handles). */
  readonly handles = new Set<number>();
  /** Bytes of the models placed here: a new model goes where the least is loaded when batches tie. */
  bytes = 0;
  /** Batches sent here since the thread started. */
  batches = 0;
  alive = true;

  constructor(
    readonly index: number,
    readonly worker: Worker,
  ) {}

  get load(): number {
    return this.pending.size;
  }
}

/**
 * INFERENCE_THREADS ≥ 1: models load and run on worker threads, each with its own TensorFlow.js
 * backend, so the math of one batch runs beside the HTTP, JSON and validation of the next requests
 * (the wasm backend has no threads of its own in Node). A model loads on the least-loaded thread
 * and spreads to idle threads while all its copies are busy; the model cache budgets every copy
 * (MODEL_CACHE_MAX_BYTES), and an evicted model leaves every thread. Models smaller than
 * INFERENCE_POOL_MIN_PARAMETERS stay on the main thread, where they cost less. Rows cross as
 * transferable Float64Arrays (strings as lists), outputs come back as typed arrays. A thread that
 * dies (a fatal engine error ends it on purpose) is replaced at once: its batches in flight answer
 * 503 INFERENCE_WORKER_FAILED, never hang, and its models report themselves gone so the cache
 * loads them again. Uploads are never loaded here: they are inspected in their own threads first.
 */
export class InferencePool extends ServingRuntime implements OnModuleDestroy {
  private readonly threads: PoolThread[] = [];
  private nextId = 1;
  private nextHandle = 1;
  private closing = false;
  /** Threads replaced after a failure, since start (a metric and a test hook). */
  replaced = 0;
  /** Models loaded on the main thread for being small (INFERENCE_POOL_MIN_PARAMETERS), since start. */
  mainThreadLoads = 0;

  constructor(
    private readonly options: InferencePoolOptions,
    private readonly logger?: PoolLogger,
    private readonly metrics?: Pick<InferenceMetrics, 'poolThreadsReplaced'>,
  ) {
    super();
    for (let i = 0; i < options.threads; i++) this.threads.push(this.start(i));
    logger?.info({ threads: options.threads, backend: options.backend }, `inference pool: ${options.threads} thread(s)`);
  }

  get size(): number {
    return this.threads.length;
  }

  /** Per thread: its model copies and batches in flight (tests and metrics). */
  describe(): { thread: number; models: number; inFlight: number; batches: number; threadId: number }[] {
    return this.threads.map((t) => ({
      thread: t.index,
      models: t.handles.size,
      inFlight: t.load,
      batches: t.batches,
      threadId: t.worker.threadId,
    }));
  }

  async load(files: ArtifactFiles): Promise<LoadedModel> {
    const small = this.options.smallModels;
    // Counting parameters reads model.json: skipped when every model goes to the pool.
    if (small && small.below > 0 && parametersOf(files) < small.below) {
      this.mainThreadLoads++;
      return small.runtime.load(files);
    }
    const thread = this.threads.reduce((best, t) => (t.load < best.load || (t.load === best.load && t.bytes < best.bytes) ? t : best));
    const { copy, info } = await this.loadCopy(thread, files);
    return new PooledModel(this, files, copy, info);
  }

  /** @internal A second (third…) copy of a model whose copies are all busy, on `thread` (see idleThreadBeside). */
  async replicate(files: ArtifactFiles, thread: PoolThread): Promise<ModelCopy> {
    return (await this.loadCopy(thread, files)).copy;
  }

  /** @internal A thread that is idle and holds none of `holders`' copies (a copy more would run there at once). */
  idleThreadBeside(holders: readonly PoolThread[]): PoolThread | undefined {
    return this.threads.find((t) => t.alive && t.load === 0 && !holders.includes(t));
  }

  private async loadCopy(thread: PoolThread, files: ArtifactFiles): Promise<{ copy: ModelCopy; info: LoadedInfo }> {
    const handle = this.nextHandle++;
    // Copies: the artifact's buffers stay the caller's; the copies move to the thread.
    const copies = [...files].map(([path, data]) => [path, new Uint8Array(data)] as [string, Uint8Array]);
    const response = await this.call(
      thread,
      { type: 'load', handle, files: copies },
      copies.map(([, d]) => d.buffer as ArrayBuffer),
    );
    if (response.type !== 'loaded') throw new Error(`unexpected pool answer ${response.type}`);
    thread.handles.add(handle);
    thread.bytes += response.sizeBytes;
    return { copy: { thread, handle }, info: response };
  }

  /** @internal PooledModel's predict. */
  async predict(
    thread: PoolThread,
    handle: number,
    inputs: InputColumns,
    signature: ModelSignature,
  ): Promise<{ outputs: OutputColumns; ms: number }> {
    if (!thread.alive) throw new InferenceWorkerFailedError();
    const packed = inputs.map((rows, i) => packColumn(rows, signature.inputs[i]?.datatype === 'BYTES'));
    const transfer = packed.flatMap((c) => (c.kind === 'numbers' ? [c.data.buffer as ArrayBuffer] : []));
    thread.batches++;
    const response = await this.call(thread, { type: 'predict', handle, inputs: packed }, transfer);
    if (response.type !== 'predicted') throw new Error(`unexpected pool answer ${response.type}`);
    return { outputs: response.outputs.map(unpackOutput), ms: response.ms };
  }

  /** @internal PooledModel's dispose. */
  dispose(thread: PoolThread, handle: number, sizeBytes: number): void {
    if (!thread.handles.delete(handle)) return;
    thread.bytes -= sizeBytes;
    if (thread.alive) this.call(thread, { type: 'dispose', handle }, []).catch(() => undefined);
  }

  /** Stops a thread as a crash would (tests: a killed worker is answered by 503 and replaced). */
  async kill(index: number): Promise<void> {
    await this.threads[index]?.worker.terminate();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.threads.map((t) => t.worker.terminate()));
  }

  private start(index: number): PoolThread {
    const setup: PoolThreadSetup = { kind: 'modelgate-inference-pool', backend: this.options.backend, limits: this.options.limits };
    const worker = spawnThread(__dirname, 'inference-pool.thread', { workerData: setup });
    const thread = new PoolThread(index, worker);
    worker.on('message', (response: PoolResponse) => {
      const waiting = thread.pending.get(response.id);
      if (!waiting) return;
      thread.pending.delete(response.id);
      if (response.type === 'failed') waiting.reject(errorOf(response.failure));
      else waiting.resolve(response);
    });
    worker.on('error', (error) => this.logger?.warn({ err: error, thread: index }, 'inference thread error'));
    worker.on('exit', (code) => this.lost(thread, code));
    // The pool must not keep the process alive by itself.
    worker.unref();
    return thread;
  }

  private lost(thread: PoolThread, code: number): void {
    thread.alive = false;
    for (const waiting of thread.pending.values()) waiting.reject(new InferenceWorkerFailedError());
    thread.pending.clear();
    if (this.closing || this.threads[thread.index] !== thread) return;
    this.logger?.warn({ thread: thread.index, exitCode: code, models: thread.handles.size }, 'inference thread ended: replaced');
    this.replaced++;
    this.metrics?.poolThreadsReplaced.inc();
    this.threads[thread.index] = this.start(thread.index);
  }

  private call(thread: PoolThread, request: DistributiveOmit<PoolRequest, 'id'>, transfer: ArrayBuffer[]): Promise<PoolResponse> {
    if (!thread.alive) return Promise.reject(new InferenceWorkerFailedError());
    const id = this.nextId++;
    return new Promise<PoolResponse>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ ...request, id }, transfer);
    });
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

type LoadedInfo = Extract<PoolResponse, { type: 'loaded' }>;

/** One copy of a model: the thread it lives on and its handle there. */
interface ModelCopy {
  thread: PoolThread;
  handle: number;
}

/**
 * A model resident on one or more pool threads. Each batch goes to the least-loaded copy; when
 * every copy is busy and a thread is idle, a copy more loads there (if the model cache's budget
 * has room for it: every copy counts), so a hot model spreads over the pool while a cold one
 * costs one copy.
 */
class PooledModel implements LoadedModel {
  readonly signature: ModelSignature;
  readonly parameterCount: number;
  readonly weightBytes: number;
  readonly bytesPerRow: number;
  private readonly copyBytes: number;
  private readonly copies: ModelCopy[];
  private budget?: ModelBudget;
  /** Time per row on the threads: the batcher sizes batches by it. */
  private readonly cost = new PerRowCost();
  private growing = false;
  private disposed = false;

  constructor(
    private readonly pool: InferencePool,
    /** Kept to load further copies; the registry's buffers, not a copy. */
    private readonly files: ArtifactFiles,
    first: ModelCopy,
    info: LoadedInfo,
  ) {
    this.copies = [first];
    this.signature = info.signature;
    this.copyBytes = info.sizeBytes;
    this.parameterCount = info.parameterCount;
    this.weightBytes = info.weightBytes;
    this.bytesPerRow = info.bytesPerRow;
  }

  /** Every copy's memory: what the model cache budgets. */
  get sizeBytes(): number {
    return this.copyBytes * this.copies.length;
  }

  /** One batch per copy, plus one waiting on a thread so that no copy idles through a round trip. */
  get concurrentBatches(): number {
    return this.copies.length + 1;
  }

  get msPerRow(): number {
    return this.cost.msPerRow;
  }

  /** False once a thread holding a copy has ended: the model cache then loads it again (on live threads). */
  get alive(): boolean {
    return !this.disposed && this.copies.every((c) => c.thread.alive);
  }

  attachBudget(budget: ModelBudget): void {
    this.budget = budget;
  }

  async predict(rows: number[][]): Promise<number[][]> {
    return (await this.predictOutputs([rows]))[0] as number[][];
  }

  predictOutputs(inputs: InputColumns): Promise<OutputColumns> {
    if (this.disposed) return Promise.reject(new Error('The model was disposed (evicted) before it ran.'));
    const copy = this.copies.reduce((best, c) => (c.thread.load < best.thread.load ? c : best));
    if (copy.thread.load > 0) this.grow();
    return this.pool.predict(copy.thread, copy.handle, inputs, this.signature).then(({ outputs, ms }) => {
      this.cost.record(ms, inputs[0]?.length ?? 1);
      return outputs;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const copy of this.copies) this.pool.dispose(copy.thread, copy.handle, this.copyBytes);
  }

  /** In the background: the batch that found every copy busy does not wait for the new one. */
  private grow(): void {
    if (this.growing || !this.budget) return;
    const thread = this.pool.idleThreadBeside(this.copies.map((c) => c.thread));
    if (!thread || !this.budget.canGrow(this.copyBytes)) return;
    this.growing = true;
    this.pool
      .replicate(this.files, thread)
      .then((copy) => {
        if (this.disposed) return this.pool.dispose(copy.thread, copy.handle, this.copyBytes);
        this.copies.push(copy);
        this.budget?.grew();
      })
      // A copy that fails to load costs nothing: the existing copies keep serving.
      .catch(() => undefined)
      .finally(() => (this.growing = false));
  }
}

/** The artifact's inference parameters; an artifact that cannot be read goes to the pool, which refuses it the same way. */
function parametersOf(files: ArtifactFiles): number {
  try {
    return inferenceParameterCount(manifestWeightSpecs(files));
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

function packColumn(rows: InputColumns[number], strings: boolean): PackedColumn {
  if (strings) return { kind: 'values', rows: rows.map((row) => row.map((v) => (typeof v === 'number' ? String(v) : v))) };
  const width = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * width);
  rows.forEach((row, r) => data.set(row as number[], r * width));
  return { kind: 'numbers', rows: rows.length, width, data };
}

function unpackOutput(output: PackedOutput): (number | string)[][] {
  if (output.kind === 'strings') return output.rows;
  return copyRows(output.data, output.rows, output.width);
}

function errorOf(failure: PoolFailure): Error {
  switch (failure.kind) {
    case 'invalid-artifact':
      return new InvalidArtifactError(failure.reason, failure.message);
    case 'domain':
      if (failure.code === 'INFERENCE_WORKER_FAILED') return new InferenceWorkerFailedError();
      return new DomainError(failure.errorKind as DomainError['kind'], failure.code as DomainError['code'], failure.message);
    case 'error':
      return new Error(failure.message);
  }
}
