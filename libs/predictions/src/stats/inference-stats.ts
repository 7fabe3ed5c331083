import { Injectable } from '@nestjs/common';

/** A count of requests and their cumulative duration in nanoseconds (Triton's StatisticDuration). */
export interface StatDuration {
  count: number;
  ns: number;
}

/** One version's statistics, as the Open Inference Protocol statistics extension answers them. */
export interface ModelStats {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last request (0: none since this process started). */
  last_inference: number;
  /** Rows inferred successfully. */
  inference_count: number;
  /** Batches run (several requests may share one). */
  execution_count: number;
  inference_stats: { success: StatDuration; fail: StatDuration; queue: StatDuration; compute_infer: StatDuration };
}

interface Counters {
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  success: StatDuration;
  fail: StatDuration;
  queue: StatDuration;
  computeInfer: StatDuration;
}

const NS_PER_MS = 1e6;

/**
 * Per-process inference counters for the statistics extension: what this replica served since it
 * started (nothing is persisted or shared between replicas; /metrics is the fleet-wide view).
 * Recording is a map lookup and a few additions: it runs on every prediction.
 */
@Injectable()
export class InferenceStats {
  private readonly models = new Map<string, Map<number, Counters>>();

  /** A request answered: its rows and its time from arrival to answer. */
  succeeded(model: string, version: number, rows: number, ms: number): void {
    const c = this.counters(model, version);
    c.lastInference = Date.now();
    c.inferenceCount += rows;
    c.success.count++;
    c.success.ns += Math.round(ms * NS_PER_MS);
  }

  /** A request for a resolved version that failed (invalid input, a full queue, a model error). */
  failed(model: string, version: number, ms: number): void {
    const c = this.counters(model, version);
    c.lastInference = Date.now();
    c.fail.count++;
    c.fail.ns += Math.round(ms * NS_PER_MS);
  }

  /** A request's wait for its batch and the compute of that batch. */
  batched(model: string, version: number, queueMs: number, computeMs: number): void {
    const c = this.counters(model, version);
    c.queue.count++;
    c.queue.ns += Math.round(queueMs * NS_PER_MS);
    c.computeInfer.count++;
    c.computeInfer.ns += Math.round(computeMs * NS_PER_MS);
  }

  /** A batch started on the model. */
  executed(model: string, version: number): void {
    this.counters(model, version).executionCount++;
  }

  /** Every version that served a request on this replica, by model name then version. */
  all(): ModelStats[] {
    const out: ModelStats[] = [];
    for (const name of [...this.models.keys()].sort()) {
      for (const version of [...this.models.get(name)!.keys()].sort((a, b) => a - b)) out.push(this.of(name, version));
    }
    return out;
  }

  /** One version's statistics (zeros when it has not served since this process started). */
  of(model: string, version: number): ModelStats {
    const c = this.models.get(model)?.get(version) ?? emptyCounters();
    return {
      name: model,
      version: String(version),
      last_inference: c.lastInference,
      inference_count: c.inferenceCount,
      execution_count: c.executionCount,
      inference_stats: { success: { ...c.success }, fail: { ...c.fail }, queue: { ...c.queue }, compute_infer: { ...c.computeInfer } },
    };
  }

  private counters(model: string, version: number): Counters {
    let versions = this.models.get(model);
    if (!versions) {
      versions = new Map();
      this.models.set(model, versions);
    }
    let c = versions.get(version);
    if (!c) {
      c = emptyCounters();
      versions.set(version, c);
    }
    return c;
  }
}

function emptyCounters(): Counters {
  return {
    lastInference: 0,
    inferenceCount: 0,
    executionCount: 0,
    success: { count: 0, ns: 0 },
    fail: { count: 0, ns: 0 },
    queue: { count: 0, ns: 0 },
    computeInfer: { count: 0, ns: 0 },
  };
}
