import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Counter } from 'prom-client';
import { InjectConfig, MetricsRegistry } from '@app/common';
import { DynamicBatcher, type InputColumns, ModelCache, type OutputColumns, ServingRuntime } from '@app/inference';
import { effectiveStage, RegistryReader, ServableVersion, ShadowSetting } from '@app/models';
import { servingConfig, type ServingConfig } from '../serving.config';
import { modelKey } from '../serving/model-key';
import { VersionResolver } from '../serving/version-resolver';
import { BoundedQueue } from './bounded-queue';
import { addToTally, compareOutputs, emptyTally, ShadowTally } from './shadow-comparison';
import { ShadowComparisonsRepository } from './shadow-comparisons.repository';

interface Mirrored {
  production: ServableVersion;
  shadow: ShadowSetting;
  inputs: InputColumns;
  outputs: OutputColumns;
  baselineMs: number;
}

/**
 * Mirrored requests taken off the queue together: submitted at once, the batcher runs them as one
 * batch (one model execution), as it does production's concurrent requests.
 */
const TAKE_AT_ONCE = 32;

/** Figures gathered are added to the database this long after the first of them: one statement a second per run at most. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * Runs a share of production requests again on the model's shadow version, after the caller's
 * answer: the request only offers its inputs and outputs (no await, no I/O), a bounded queue takes
 * them or drops them (counted), and one background loop runs them through the same batcher and
 * model cache as any version, up to TAKE_AT_ONCE requests at a time (typically one batch), so a
 * shadow never competes with production for more than that. Shadow runs are metered on their own counters, never as a caller's usage, and their
 * figures are added to shadow_comparisons (about once a second), summed there across replicas for
 * the report.
 */
@Injectable()
export class ShadowRunner implements OnModuleDestroy {
  private readonly logger = new Logger(ShadowRunner.name);
  private readonly queue: BoundedQueue<Mirrored>;
  private readonly tallies = new Map<string, ShadowTally>();
  /** Per model, the run whose older rows were last pruned. */
  private readonly pruned = new Map<string, number>();
  private readonly runs: Counter<'model' | 'version' | 'outcome'>;
  private readonly dropped: Counter<'model'>;
  private draining: Promise<void> | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  /**
   * Shadow settings by the resolver's promise that answered them: while the resolver keeps handing
   * out that promise (its cache entry, dropped on RegistryEvents and after SERVING_RESOLVE_TTL_MS),
   * the setting is known without waiting. Entries go with the promises.
   */
  private readonly settled = new WeakMap<Promise<ShadowSetting | null>, ShadowSetting | null>();
  /** Offers still deciding (waiting for the shadow setting). */
  private offering = 0;
  private closed = false;

  constructor(
    private readonly resolver: VersionResolver,
    private readonly registry: RegistryReader,
    private readonly engine: ServingRuntime,
    private readonly models: ModelCache,
    private readonly batcher: DynamicBatcher,
    private readonly comparisons: ShadowComparisonsRepository,
    @InjectConfig(servingConfig) serving: ServingConfig,
    metrics: MetricsRegistry,
  ) {
    this.queue = new BoundedQueue(serving.shadowQueueMax);
    this.runs = new Counter({
      name: 'modelgate_shadow_predictions_total',
      help: "Mirrored requests run on a model's shadow version (not counted as any caller's usage), by outcome",
      labelNames: ['model', 'version', 'outcome'],
      registers: [metrics],
    });
    this.dropped = new Counter({
      name: 'modelgate_shadow_queue_dropped_total',
      help: 'Requests not mirrored to the shadow because its queue (SHADOW_QUEUE_MAX) was full',
      labelNames: ['model'],
      registers: [metrics],
    });
  }

  /**
   * Called once the production answer is computed. Returns at once; whether the request is mirrored
   * is decided off the caller's path. Only requests that ran on the production version qualify (a
   * canary's requests are not production's).
   *
   * The common case is synchronous: while the resolver's cache holds the model's shadow setting, it
   * answers with the same promise, whose value was noted when it settled (`settled`), so no shadow
   * (most models) costs a cache lookup and no promise hop. Only a setting not yet known (first
   * request, expired or invalidated by a registry event) waits for the lookup.
   */
  offer(version: ServableVersion, inputs: InputColumns, outputs: OutputColumns, baselineMs: number): void {
    if (this.closed || effectiveStage(version) !== 'production') return;
    let lookup: Promise<ShadowSetting | null>;
    try {
      lookup = this.resolver.shadow(version.modelName);
    } catch {
      return; // the registry is unreachable: nothing to mirror on
    }
    const known = this.settled.get(lookup);
    if (known !== undefined) {
      this.take(version, known, inputs, outputs, baselineMs);
      return;
    }
    this.offering++;
    lookup.then(
      (shadow) => {
        this.settled.set(lookup, shadow);
        this.offering--;
        this.take(version, shadow, inputs, outputs, baselineMs);
      },
      () => {
        this.offering--; // the registry is unreachable: nothing to mirror on
      },
    );
  }

  /** Queues a share of the model's requests for its shadow, if it has one (not the production version itself). */
  private take(version: ServableVersion, shadow: ShadowSetting | null, inputs: InputColumns, outputs: OutputColumns, baselineMs: number) {
    if (!shadow || shadow.version === version.version || this.closed) return;
    // A random share: unlike a canary, mirroring changes nothing a caller sees, so no sticky split.
    if (shadow.percent < 100 && Math.random() * 100 >= shadow.percent) return;
    if (!this.queue.offer({ production: version, shadow, inputs, outputs, baselineMs })) {
      this.dropped.inc({ model: version.modelName });
      return;
    }
    this.schedule();
  }

  /** Resolves once every request offered so far was mirrored (or dropped) and its figures written. */
  async idle(): Promise<void> {
    while (this.offering > 0 || this.draining || this.queue.size > 0) {
      await (this.draining ?? new Promise<void>((resolve) => setImmediate(resolve)));
    }
    await this.flush();
  }

  /** Requests waiting for their shadow run (tests and diagnostics). */
  get pending(): number {
    return this.queue.size;
  }

  private schedule(): void {
    if (this.draining || this.closed) return;
    this.draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = null;
        if (this.queue.size > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.closed) {
      const taken: Mirrored[] = [];
      for (let item = this.queue.shift(); item; item = taken.length < TAKE_AT_ONCE ? this.queue.shift() : undefined) taken.push(item);
      await Promise.all(taken.map((item) => this.mirror(item)));
    }
  }

  private async mirror({ production, shadow, inputs, outputs, baselineMs }: Mirrored): Promise<void> {
    const key = [production.modelId, shadow.version, shadow.since.toISOString(), production.version].join('\u0000');
    let tally = this.tallies.get(key);
    if (!tally) {
      tally = emptyTally({
        modelId: production.modelId,
        shadowVersion: shadow.version,
        shadowSince: shadow.since,
        baselineVersion: production.version,
      });
      this.tallies.set(key, tally);
      this.flushTimer ??= setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS).unref();
    }
    const labels = { model: production.modelName, version: String(shadow.version) };
    try {
      const version = await this.resolver.resolve({ kind: 'version', model: production.modelName, version: shadow.version }, '');
      const result = await this.batcher.submit(
        modelKey(version),
        inputs,
        (batch) =>
          this.models.use(
            modelKey(version),
            async () => this.engine.load(await this.registry.readArtifact(version)),
            (m) => m.predictOutputs(batch),
          ),
        this.models.peek(modelKey(version)),
      );
      addToTally(tally, baselineMs, { comparison: compareOutputs(outputs, result.outputs), shadowMs: result.queueMs + result.computeMs });
      this.runs.inc({ ...labels, outcome: 'ok' });
    } catch (error) {
      addToTally(tally, baselineMs, null);
      this.runs.inc({ ...labels, outcome: 'error' });
      this.logger.debug(`shadow run of ${production.modelName} v${shadow.version} failed: ${(error as Error).message}`);
    }
  }

  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const tallies = [...this.tallies.values()].filter((t) => t.requests > 0);
    this.tallies.clear();
    for (const tally of tallies) {
      try {
        if ((this.pruned.get(tally.modelId) ?? 0) < tally.shadowSince.getTime()) {
          await this.comparisons.deleteRunsBefore(tally.modelId, tally.shadowSince);
          this.pruned.set(tally.modelId, tally.shadowSince.getTime());
        }
        await this.comparisons.add(tally);
      } catch (error) {
        // Figures are best effort: losing one write must not stop mirroring.
        this.logger.warn(`shadow figures for model ${tally.modelId} v${tally.shadowVersion} not written: ${(error as Error).message}`);
      }
    }
  }

  async onModuleDestroy(): Promise<void> {
    // What is mid-run finishes and is written; what still waits is dropped with the process.
    this.closed = true;
    this.queue.clear();
    await this.draining;
    await this.flush();
  }
}
