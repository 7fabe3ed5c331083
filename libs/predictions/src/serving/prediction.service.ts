import { encodeRows, rowsOfFeatures } from './encode-rows';
import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { Actor, deprecationHeaders, DomainError, hasRole, InjectConfig, MetricsRegistry, toProblem, WithHeaders } from '@app/common';
import {
  DynamicBatcher,
  inferenceConfig,
  type InferenceConfig,
  type InputColumns,
  maxRowsForOutputs,
  ModelCache,
  type OutputColumns,
  outputValuesPerRow,
  ServingRuntime,
  type TensorSpec,
  validateInputs,
} from '@app/inference';
import { effectiveStage, RegistryReader, ServableVersion } from '@app/models';
import { servingConfig, type ServingConfig } from '../serving.config';
import { ResponseCache } from '../cache/response-cache';
import { DraftVersionForbiddenError, ModelVersionRetiredError } from '../domain/serving-errors';
import { ServingSettingsService } from './serving-settings.service';
import { UsageRecorder } from '../usage/usage-recorder';
import { PayloadLogRecorder } from './payload-log-recorder';
import { InferenceStats } from '../stats/inference-stats';
import {
  asProtocolError,
  decodeInferRequest,
  encodeInferResponse,
  planOutputs,
  V2InferRequest,
  V2InferResponse,
} from '../v2/inference-protocol';
import { ServingTarget, VersionResolver } from './version-resolver';
import { ShadowRunner } from '../shadow/shadow-runner';
import { modelKey } from './model-key';
import { ServingTaps } from './serving-taps';

export { modelKey } from './model-key';

/** A row of a model with several outputs: output name → that row's values. */
export type NamedOutputRow = Record<string, (number | string)[]>;

export interface PredictResponse {
  model: string;
  version: number;
  /** Per row: its values (one output), or its values keyed by output name (several). */
  predictions: (number | string)[][] | NamedOutputRow[];
  labels?: string[];
}

interface Outcome {
  /** Per output (signature order), this request's rows. */
  outputs: OutputColumns;
  /** Wait for the batch, its compute, and its rows (all 0 on a response-cache hit: nothing ran). */
  queueMs: number;
  computeMs: number;
  batchRows: number;
  cache: 'hit' | 'miss' | undefined;
}

/**
 * The request path of a prediction: resolve the version (alias, stage, canary) → lifecycle checks
 * → signature validation → response cache → dynamic batcher → model cache → runtime → answer with
 * lifecycle headers → usage event. HTTP-free: headers travel in a WithHeaders result.
 */
@Injectable()
export class PredictionService {
  private readonly responses: ResponseCache;
  private readonly requests: Counter<'model' | 'version' | 'status'>;
  private readonly duration: Histogram<'model' | 'version' | 'phase'>;

  constructor(
    private readonly resolver: VersionResolver,
    private readonly registry: RegistryReader,
    private readonly engine: ServingRuntime,
    private readonly models: ModelCache,
    private readonly batcher: DynamicBatcher,
    private readonly usage: UsageRecorder,
    private readonly settings: ServingSettingsService,
    private readonly payloads: PayloadLogRecorder,
    private readonly stats: InferenceStats,
    private readonly shadows: ShadowRunner,
    private readonly taps: ServingTaps,
    @InjectConfig(servingConfig) serving: ServingConfig,
    @InjectConfig(inferenceConfig) private readonly inference: InferenceConfig,
    metrics: MetricsRegistry,
  ) {
    this.responses = new ResponseCache(serving.responseCacheMaxEntries);
    this.requests = new Counter({
      name: 'modelgate_inference_requests_total',
      help: 'Prediction requests by model, version and HTTP status',
      labelNames: ['model', 'version', 'status'],
      registers: [metrics],
    });
    this.duration = new Histogram({
      name: 'modelgate_inference_duration_seconds',
      help: 'Prediction time by model and version, split into queue (batching wait) and compute',
      labelNames: ['model', 'version', 'phase'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metrics],
    });
  }

  /** POST /v1/models/{name}[/versions/{v} | /aliases/{a}]/predict */
  predictV1(target: ServingTarget, instances: unknown, actor: Actor): Promise<WithHeaders<PredictResponse>> {
    return this.metered(target, actor, 'v1', async (version) => {
      const inputs = this.rowsFor(version, instances, this.inference.maxRowsPerRequest);
      const outcome = await this.run(version, inputs, actor);
      const body: PredictResponse = {
        model: version.modelName,
        version: version.version,
        predictions: rowsOf(version.outputs, outcome.outputs),
      };
      const labels = labelsOf(version, outcome.outputs);
      if (labels) body.labels = labels;
      return { rows: inputs[0].length, inputs, outcome, body };
    });
  }

  /** POST /v2/models/{name}[/versions/{v}]/infer (Open Inference Protocol) */
  inferV2(target: ServingTarget, request: V2InferRequest, actor: Actor): Promise<WithHeaders<V2InferResponse>> {
    return this.metered(target, actor, 'v2', async (version) => {
      try {
        const inputs = version.encoder && !version.encoder.plain ? this.encodedV2Inputs(version, request) : this.v2Inputs(version, request);
        const plans = planOutputs(version.outputs, request.outputs);
        const outcome = await this.run(version, inputs, actor);
        const body = encodeInferResponse(
          {
            modelName: version.modelName,
            version: version.version,
            id: request.id ?? actor.requestId,
            outputs: version.outputs,
            plans,
            labels: version.labels,
          },
          outcome.outputs,
        );
        return { rows: inputs[0].length, inputs, outcome, body };
      } catch (error) {
        throw asProtocolError(error);
      }
    });
  }

  /**
   * A way to run rows through a version for the service itself (building a profile from a dataset):
   * the version is resolved once, then each call goes through the same batcher and model cache, with
   * no caller, no usage and no taps. Rows are validated (or encoded) as v1's are.
   */
  async internalPredictor(model: string, number: number): Promise<(rows: unknown[]) => Promise<OutputColumns>> {
    const version = await this.registry.version(model, number);
    const key = modelKey(version);
    return async (rows) => {
      const inputs = this.rowsFor(version, rows, rows.length);
      const result = await this.batcher.submit(
        key,
        inputs,
        (batch) =>
          this.models.use(
            key,
            () => this.load(version),
            (m) => m.predictOutputs(batch),
          ),
        this.models.peek(key),
      );
      return result.outputs;
    };
  }

  /** v1's rows as the model's input columns: raw features encoded (a version trained on a table), else checked against the signature. */
  private rowsFor(version: ServableVersion, rows: unknown, maxRows: number): InputColumns {
    const encoder = version.encoder;
    if (encoder && (!encoder.plain || hasMissingValues(rows, encoder.featureNames))) return encodeRows(encoder, rows, { maxRows });
    return validateInputs(signatureOf(version), rows, { maxRows, featureNames: version.featureNames ?? undefined });
  }

  /** v2 tensors per model input, with the same checks as v1 (finite values, row width, row count) on each input's rows. */
  private v2Inputs(version: ServableVersion, request: V2InferRequest): InputColumns {
    const decoded = decodeInferRequest(request, version.inputs);
    return version.inputs.map(
      (input, i) =>
        validateInputs({ ...signatureOf(version), inputs: [input] }, decoded[i], {
          maxRows: this.inference.maxRowsPerRequest,
          field: `inputs[${request.inputs.findIndex((t) => t.name === input.name)}].data`,
        })[0],
    );
  }

  /**
   * v2 on a version trained on a table: one tensor per raw feature (BYTES for text, BOOL, FP32),
   * each [rows, 1]; a feature left out of the request is missing in every row.
   */
  private encodedV2Inputs(version: ServableVersion, request: V2InferRequest): InputColumns {
    const features = version.requestInputs ?? [];
    const named = Array.isArray(request.inputs) ? request.inputs.map((t) => (t as { name?: unknown } | null)?.name) : [];
    const present = features.filter((f) => named.includes(f.name));
    const specs = present.length > 0 ? present : features;
    const rows = rowsOfFeatures(
      specs.map((f) => f.name),
      specs.map((f) => f.datatype === 'BOOL'),
      decodeInferRequest(request, specs),
    );
    return encodeRows(version.encoder!, rows, { maxRows: this.inference.maxRowsPerRequest, field: 'inputs' });
  }

  /** Resolves a target for metadata/readiness (v2), applying the same lifecycle rules as predict. */
  async servable(target: ServingTarget, actor: Actor): Promise<ServableVersion> {
    const version = await this.resolver.resolve(target, actor.caller.id);
    this.assertServable(version, actor);
    return version;
  }

  /** Loads (or finds) the version in the model cache: what "ready" means for a version. */
  async warm(version: ServableVersion): Promise<void> {
    await this.models.use(
      modelKey(version),
      () => this.load(version),
      () => undefined,
    );
  }

  private async metered<T>(
    target: ServingTarget,
    actor: Actor,
    api: 'v1' | 'v2',
    work: (version: ServableVersion) => Promise<{ rows: number; inputs: InputColumns; outcome: Outcome; body: T }>,
  ): Promise<WithHeaders<T>> {
    const started = performance.now();
    let version: ServableVersion | undefined;
    let rows = 0;
    let computeMs = 0;
    let status = 200;
    let failure: unknown;
    try {
      // Awaited only when not already cached: each promise on this path costs every predict.
      version = this.resolver.resolveNow(target, actor.caller.id) ?? (await this.resolver.resolve(target, actor.caller.id));
      this.assertServable(version, actor);
      const result = await work(version);
      rows = result.rows;
      computeMs = result.outcome.computeMs;
      this.taps.served(version, result.inputs, result.outcome.outputs);
      // A cache hit ran nothing: no production latency to compare a shadow's with.
      if (target.kind === 'production' && result.outcome.cache !== 'hit') {
        this.shadows.offer(version, result.inputs, result.outcome.outputs, result.outcome.queueMs + result.outcome.computeMs);
      }
      return new WithHeaders(result.body, this.headers(version, result.outcome));
    } catch (error) {
      failure = error;
      status = toProblem(error, { requestId: actor.requestId, instance: '' }).status;
      throw error;
    } finally {
      const latencyMs = performance.now() - started;
      // Labels only ever hold names the registry resolved: a caller inventing model names must not
      // mint a metric series per name (unbounded cardinality on /metrics).
      // Label objects as literals, never `{ ...labels, status }`: prom-client hashes and validates the
      // object it gets, and on a spread copy that took ~2.3 µs an observation against ~0.4-0.7 (on every predict).
      this.requests.inc({
        model: version?.modelName ?? modelNameLabel(target, failure),
        version: String(version?.version ?? ''),
        status: String(status),
      });
      if (version) {
        if (failure === undefined) this.stats.succeeded(version.modelName, version.version, rows, latencyMs);
        else this.stats.failed(version.modelName, version.version, latencyMs);
      }
      this.usage.record({
        at: new Date(),
        modelName: target.model,
        version: version?.version ?? null,
        callerId: actor.caller.id,
        callerKind: actor.caller.kind,
        api,
        status,
        rows,
        latencyMs,
        computeMs,
        // Only a caller's trace: a trace of our own on every request would stop rows from folding.
        traceId: actor.trace?.parentSpanId ? actor.trace.traceId : null,
      });
    }
  }

  private assertServable(version: ServableVersion, actor: Actor): void {
    const stage = effectiveStage(version);
    if (stage === 'retired') throw new ModelVersionRetiredError(version.modelName, version.version);
    if (stage === 'draft' && !hasRole(actor.caller.roles, 'ml-engineer')) {
      throw new DraftVersionForbiddenError(version.modelName, version.version);
    }
  }

  private async run(version: ServableVersion, inputs: InputColumns, actor: Actor): Promise<Outcome> {
    assertOutputFits(version, inputs[0].length, this.inference.limits.maxOutputValues);
    const key = modelKey(version);
    const settings = this.settings.forModelNow(version.modelId) ?? (await this.settings.forModel(version.modelId));
    const cacheKey = settings.responseCacheTtlSeconds ? ResponseCache.key(key, inputs) : undefined;
    const cached = cacheKey ? this.responses.get(cacheKey) : undefined;
    if (cached) return { outputs: cached, queueMs: 0, computeMs: 0, batchRows: 0, cache: 'hit' };

    const result = await this.batcher.submit(
      key,
      inputs,
      (batch) => {
        // The first queued request's executor runs the whole batch: one execution however many requests share it.
        this.stats.executed(version.modelName, version.version);
        return this.models.use(
          key,
          () => this.load(version),
          (m) => m.predictOutputs(batch),
        );
      },
      // Where the model runs decides how many of its batches may: one on the main thread, more on a pool.
      this.models.peek(key),
    );
    const model = version.modelName;
    const versionLabel = String(version.version);
    this.duration.observe({ model, version: versionLabel, phase: 'queue' }, result.queueMs / 1000);
    this.duration.observe({ model, version: versionLabel, phase: 'compute' }, result.computeMs / 1000);
    this.stats.batched(version.modelName, version.version, result.queueMs, result.computeMs);
    if (cacheKey) this.responses.set(cacheKey, result.outputs, settings.responseCacheTtlSeconds!);
    if (settings.logPayloads) {
      const input = payloadRows(version.inputs, inputs);
      this.payloads.record(version, actor, input, rowsOf(version.outputs, result.outputs), settings.payloadRetentionDays);
    }
    return {
      outputs: result.outputs,
      queueMs: result.queueMs,
      computeMs: result.computeMs,
      batchRows: result.batchRows,
      cache: cacheKey ? 'miss' : undefined,
    };
  }

  private async load(version: ServableVersion) {
    return this.engine.load(await this.registry.readArtifact(version));
  }

  private headers(version: ServableVersion, outcome: Outcome): Record<string, string> {
    const headers: Record<string, string> = {
      'X-Model-Version': String(version.version),
      // Why the caller waited: the batching queue, the model's compute, and the batch it shared.
      'Server-Timing': `queue;dur=${outcome.queueMs.toFixed(3)}, compute;dur=${outcome.computeMs.toFixed(3)}, batch;desc="rows=${outcome.batchRows}"`,
    };
    if (outcome.cache) headers['X-Cache'] = outcome.cache;
    if (effectiveStage(version) === 'deprecated' && version.deprecatedAt) {
      Object.assign(
        headers,
        deprecationHeaders({
          deprecatedAt: version.deprecatedAt,
          sunsetAt: version.sunsetAt,
          successorPath: version.successorVersion ? `/v1/models/${version.modelName}/versions/${version.successorVersion}` : null,
        }),
      );
    }
    return headers;
  }
}

/** Registry errors thrown only once the model itself was found: its name is a real one. */
const MODEL_EXISTS_ERRORS: ReadonlySet<string> = new Set(['MODEL_VERSION_NOT_FOUND', 'MODEL_ALIAS_NOT_FOUND', 'NO_PRODUCTION_VERSION']);

/** The `model` label of every request whose model the registry does not know. */
export const UNKNOWN_MODEL_LABEL = 'unknown';

/** The `model` label of a request whose version was not resolved: its name if the registry knows it. */
export function modelNameLabel(target: Pick<ServingTarget, 'model'>, failure: unknown): string {
  return failure instanceof DomainError && MODEL_EXISTS_ERRORS.has(failure.code) ? target.model : UNKNOWN_MODEL_LABEL;
}

/** Checked before anything runs: a request's answer is bounded by MAX_OUTPUT_VALUES_PER_REQUEST. */
function assertOutputFits(version: ServableVersion, rows: number, maxOutputValues: number): void {
  const perRow = outputValuesPerRow(version.outputs);
  if (rows * perRow <= maxOutputValues) return;
  throw new DomainError(
    'unprocessable',
    'OUTPUT_TOO_LARGE',
    `${rows} rows would produce ${rows * perRow} output values; this model answers at most ${maxRowsForOutputs(version, maxOutputValues)} rows per request ` +
      `(${perRow} values per row, MAX_OUTPUT_VALUES_PER_REQUEST=${maxOutputValues}).`,
    { extensions: { maxRows: maxRowsForOutputs(version, maxOutputValues) } },
  );
}

/**
 * Rows for a plain numeric version that need its medians: a null value, or an object row that
 * leaves a feature out. Everything else keeps the signature's own checks and forms.
 */
function hasMissingValues(rows: unknown, features: readonly string[]): boolean {
  if (!Array.isArray(rows)) return false;
  return rows.some((row) => {
    if (Array.isArray(row)) return row.some((v) => v === null);
    if (row === null || typeof row !== 'object') return false;
    const object = row as Record<string, unknown>;
    return features.some((name) => object[name] === null || (!(name in object) && Object.keys(object).some((k) => features.includes(k))));
  });
}

function signatureOf(version: ServableVersion) {
  return { framework: version.framework, inputs: version.inputs, outputs: version.outputs };
}

/** v1's rows: one output's rows as they are; with several, each row's values keyed by output name. */
function rowsOf(specs: readonly TensorSpec[], outputs: OutputColumns): PredictResponse['predictions'] {
  if (outputs.length === 1) return outputs[0];
  return outputs[0].map((_, r) => Object.fromEntries(specs.map((spec, i) => [spec.name, outputs[i][r]])));
}

/** Stored payloads are JSON: rows as v1 takes them, bytes as `{"b64"}`. */
function payloadRows(specs: readonly TensorSpec[], inputs: InputColumns): unknown[] {
  const json = (row: InputColumns[number][number]) =>
    row.map((v) => (v instanceof Uint8Array ? { b64: Buffer.from(v).toString('base64') } : v));
  if (inputs.length === 1) return inputs[0].map(json);
  return inputs[0].map((_, r) => Object.fromEntries(specs.map((spec, i) => [spec.name, json(inputs[i][r])])));
}

/** For a classifier (one output) with class labels: the label of each row's highest score. */
function labelsOf(version: ServableVersion, outputs: OutputColumns): string[] | undefined {
  const classes = version.labels;
  if (!classes?.length || outputs.length !== 1 || version.outputs[0]?.datatype === 'BYTES') return undefined;
  const rows = outputs[0] as number[][];
  if (rows.some((row) => row.length !== classes.length)) return undefined;
  return rows.map((row) => classes[row.reduce((best, v, i) => (v > row[best] ? i : best), 0)]);
}
