import { OnModuleDestroy } from '@nestjs/common';
import { DomainError } from '@app/common';
import type { InputColumns, OutputColumns } from '../artifact/artifact.types';
import { PerRowCost } from '../util/per-row-cost';
import type { InferenceMetrics } from '../metrics/inference-metrics';

export interface DynamicBatcherOptions {
  /** A batch closes when it holds this many rows (a single larger request runs alone, unsplit). */
  maxBatchRows: number;
  /**
   * …or when its oldest request has waited this long. 0: when the event loop has read every request
   * that had arrived (the end of the current I/O phase), never waiting on a timer.
   */
  maxDelayMs: number;
  /** Rows allowed to wait per key; beyond it requests are refused (429) instead of queueing. */
  maxQueueRows: number;
  /**
   * Batches of one key running at once, unless submit() says otherwise (default 1). On the main
   * thread one is all there is room for; a model on an inference pool takes one per copy plus one
   * waiting, so its threads never idle through a round trip.
   */
  maxConcurrentBatches?: number;
  /**
   * A batch also closes at the rows its model computes in about this long (0: rows alone decide),
   * measured per key. Big batches of a heavy model come back as one burst of responses that holds
   * the event loop while the inference thread idles, and the next batch only forms after it: in
   * shorter batches the two threads overlap. A light model's cost per batch is mostly fixed, so
   * its batches still fill up to maxBatchRows.
   */
  maxBatchMs?: number;
}

/** What the model serving a key says of itself (a LoadedModel qualifies); absent before it has loaded. */
export interface BatchHints {
  /** Batches that may run at once (see maxConcurrentBatches). */
  concurrentBatches?: number;
  /** Compute time per row measured where the model runs; the batcher's own measurement otherwise. */
  msPerRow?: number;
}

/**
 * Runs one batch (the rows of each input, in signature order): must return, for every output,
 * exactly one row per input row, in order.
 */
export type BatchExecutor = (inputs: InputColumns) => Promise<OutputColumns>;

export interface BatchResult {
  /** This request's rows of each output, in the order of its input rows. */
  outputs: OutputColumns;
  /** Time from submit until its batch started. */
  queueMs: number;
  /** Time the batch's predict took (shared by every request in the batch). */
  computeMs: number;
  /** Rows in the batch this request ran in. */
  batchRows: number;
}

interface Pending {
  inputs: InputColumns;
  rows: number;
  execute: BatchExecutor;
  enqueuedAt: number;
  resolve(result: BatchResult): void;
  reject(error: unknown): void;
}

/**
 * What a key's batches have cost, kept between bursts, for executors whose model does not measure
 * itself: service time per row, from a batch's start or the previous batch's end when it queued behind it.
 */
class KeyCost extends PerRowCost {
  /** When the key's last batch came back. */
  lastDone = 0;
}

/** Keys whose cost is remembered (the oldest is forgotten first): versions served lately. */
const REMEMBERED_KEYS = 1024;

interface KeyQueue {
  items: Pending[];
  queuedRows: number;
  /** Batches of this key running now. */
  running: number;
  /** Batches of this key allowed to run at once (the latest submit's word). */
  concurrency: number;
  /** The model's own measure of a row (the latest submit's word), over the batcher's. */
  msPerRow?: number;
  /** Cancels the pending close (a timer or an immediate), while one is pending. */
  timer?: () => void;
  cost: KeyCost;
}

export class InferenceQueueFullError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('rate-limited', 'INFERENCE_QUEUE_FULL', 'Too many predictions are waiting for this model version; retry shortly.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      extensions: { retryAfterSeconds },
    });
  }
}

/**
 * Dynamic batching: concurrent predict calls for the same key (a model version) are merged into
 * one predict call, which costs little more than a single row on a small model. A model with
 * several inputs batches each input's rows together, and each output is split back by rows. At most
 * maxConcurrentBatches per key run at a time (one on the main thread, where tfjs computes on the one
 * JS thread anyway), so requests arriving while a batch computes form the next one. Requests with the same key must run the same model: the
 * first queued request's executor runs the batch.
 */
export class DynamicBatcher implements OnModuleDestroy {
  private readonly queues = new Map<string, KeyQueue>();
  private readonly costs = new Map<string, KeyCost>();

  constructor(
    private readonly options: DynamicBatcherOptions,
    private readonly metrics?: InferenceMetrics,
  ) {
    metrics?.watchQueue(() => {
      let rows = 0;
      for (const queue of this.queues.values()) rows += queue.queuedRows;
      return rows;
    });
  }

  /** `hints`: the model serving the key, once loaded (how many batches it runs at once, what a row costs it). */
  submit(key: string, inputs: InputColumns, execute: BatchExecutor, hints?: BatchHints): Promise<BatchResult> {
    const rows = inputs[0]?.length ?? 0;
    if (rows === 0) return Promise.resolve({ outputs: [], queueMs: 0, computeMs: 0, batchRows: 0 });
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { items: [], queuedRows: 0, running: 0, concurrency: 1, cost: this.costOf(key) };
      this.queues.set(key, queue);
    }
    queue.concurrency = Math.max(1, hints?.concurrentBatches ?? this.options.maxConcurrentBatches ?? 1);
    queue.msPerRow = hints?.msPerRow || undefined;
    if (queue.queuedRows > 0 && queue.queuedRows + rows > this.options.maxQueueRows) {
      this.metrics?.queueRejections.inc();
      return Promise.reject(new InferenceQueueFullError(Math.max(1, Math.ceil((queue.queuedRows * this.msPerRow(queue)) / 1000))));
    }
    return new Promise<BatchResult>((resolve, reject) => {
      queue.items.push({ inputs, rows, execute, enqueuedAt: performance.now(), resolve, reject });
      queue.queuedRows += rows;
      this.schedule(key, queue);
    });
  }

  /** Rows waiting (not yet running) for a key. */
  queuedRows(key: string): number {
    return this.queues.get(key)?.queuedRows ?? 0;
  }

  onModuleDestroy(): void {
    for (const queue of this.queues.values()) {
      this.cancelTimer(queue);
      for (const item of queue.items.splice(0)) {
        item.reject(new DomainError('unavailable', 'INFERENCE_SHUTTING_DOWN', 'The service is shutting down.'));
      }
      queue.queuedRows = 0;
    }
    this.queues.clear();
  }

  private schedule(key: string, queue: KeyQueue): void {
    if (queue.running >= queue.concurrency || queue.items.length === 0) return;
    const waited = performance.now() - queue.items[0].enqueuedAt;
    const close = () => {
      queue.timer = undefined;
      void this.flush(key, queue);
    };
    if (queue.queuedRows >= this.rowCap(queue) || (this.options.maxDelayMs > 0 && waited >= this.options.maxDelayMs)) {
      this.cancelTimer(queue);
      close();
    } else if (!queue.timer) {
      // Predicting is synchronous on this thread: a batch closed inside submit() would hold one
      // request, as the others that have arrived are still unread sockets; setImmediate runs after
      // the I/O phase has read them all.
      if (this.options.maxDelayMs === 0) {
        const pending = setImmediate(close);
        queue.timer = () => clearImmediate(pending);
      } else {
        const pending = setTimeout(close, this.options.maxDelayMs - waited);
        queue.timer = () => clearTimeout(pending);
      }
    }
  }

  private msPerRow(queue: KeyQueue): number {
    return queue.msPerRow ?? queue.cost.msPerRow;
  }

  private rowCap(queue: KeyQueue): number {
    const { maxBatchRows, maxBatchMs } = this.options;
    const msPerRow = this.msPerRow(queue);
    if (!maxBatchMs || msPerRow <= 0) return maxBatchRows;
    return Math.max(1, Math.min(maxBatchRows, Math.floor(maxBatchMs / msPerRow)));
  }

  private costOf(key: string): KeyCost {
    let cost = this.costs.get(key);
    if (cost) {
      // Most recently used last: the first key is the one to forget.
      this.costs.delete(key);
    } else {
      cost = new KeyCost();
      if (this.costs.size >= REMEMBERED_KEYS) this.costs.delete(this.costs.keys().next().value!);
    }
    this.costs.set(key, cost);
    return cost;
  }

  private cancelTimer(queue: KeyQueue): void {
    queue.timer?.();
    queue.timer = undefined;
  }

  private async flush(key: string, queue: KeyQueue): Promise<void> {
    if (queue.running >= queue.concurrency || queue.items.length === 0) return;
    queue.running++;
    const batch: Pending[] = [];
    let batchRows = 0;
    const cap = this.rowCap(queue);
    while (queue.items.length > 0 && (batch.length === 0 || batchRows + queue.items[0].rows <= cap)) {
      const item = queue.items.shift()!;
      batch.push(item);
      batchRows += item.rows;
    }
    queue.queuedRows -= batchRows;
    // Room for another batch of this key (a pool): what is left forms it now.
    if (queue.items.length > 0) this.schedule(key, queue);

    const started = performance.now();
    try {
      const inputs = batch.length === 1 ? batch[0].inputs : batch[0].inputs.map((_, i) => batch.flatMap((item) => item.inputs[i]));
      const outputs = await batch[0].execute(inputs);
      const short = Array.isArray(outputs) ? outputs.find((rows) => !Array.isArray(rows) || rows.length !== batchRows) : undefined;
      if (!Array.isArray(outputs) || outputs.length === 0 || short) {
        throw new Error(`The model returned ${Array.isArray(short) ? short.length : 'no'} rows for a batch of ${batchRows}.`);
      }
      const done = performance.now();
      const computeMs = done - started;
      // Without the model's own measure: a batch sent while the previous one still ran was served from that one's end.
      const served = done - Math.max(started, queue.cost.lastDone);
      queue.cost.lastDone = done;
      queue.cost.record(served, batchRows);
      this.metrics?.batchSize.observe(batchRows);
      let offset = 0;
      for (const item of batch) {
        const queueMs = started - item.enqueuedAt;
        const mine = batch.length === 1 ? outputs : outputs.map((rows) => rows.slice(offset, offset + item.rows));
        item.resolve({ outputs: mine, queueMs, computeMs, batchRows });
        offset += item.rows;
      }
    } catch (error) {
      // Only this batch's callers see the failure; the queue carries on.
      for (const item of batch) item.reject(error);
    } finally {
      queue.running--;
      if (queue.items.length === 0 && !queue.timer && queue.running === 0) {
        if (this.queues.get(key) === queue) this.queues.delete(key);
      } else {
        this.schedule(key, queue);
      }
    }
  }
}
