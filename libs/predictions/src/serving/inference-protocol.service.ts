import { Inject, Injectable } from '@nestjs/common';
import { Actor, hasRole, WithHeaders } from '@app/common';
import { InferenceEngineHealth, TF_BACKEND_SELECTION, TfBackendSelection } from '@app/inference';
import { effectiveStage, ServableVersion } from '@app/models';
import { InferenceStats, ModelStats } from '../stats/inference-stats';
import { binaryOutputRequested, encodeBinaryInferResponse } from '../v2/binary-tensor-data';
import { V2_EXTENSIONS, V2InferRequest, V2InferResponse } from '../v2/inference-protocol';
import { PredictionService } from './prediction.service';
import { ServingTarget, VersionResolver } from './version-resolver';

const SERVER_VERSION = '0.1.0';

/** Open Inference Protocol metadata, readiness and the infer call's binary framing (the inference itself is PredictionService's). */
@Injectable()
export class InferenceProtocolService {
  constructor(
    private readonly predictions: PredictionService,
    private readonly resolver: VersionResolver,
    @Inject(TF_BACKEND_SELECTION) private readonly backend: TfBackendSelection,
    private readonly engine: InferenceEngineHealth,
    private readonly stats: InferenceStats,
  ) {}

  server() {
    return { name: 'modelgate', version: SERVER_VERSION, extensions: [...V2_EXTENSIONS], backend: this.backend.backend };
  }

  live() {
    return { live: true };
  }

  /** Ready while the inference engine is trusted; after a fatal engine error, 503 until the process is replaced. */
  ready() {
    this.engine.assertHealthy();
    return { ready: true };
  }

  async model(target: ServingTarget, actor: Actor) {
    const version = await this.predictions.servable(target, actor);
    const all = await this.resolver.versions(target.model);
    return {
      name: version.modelName,
      versions: requestable(all, actor).map((v) => String(v.version)),
      platform: version.framework === 'tfjs-graph' ? 'tensorflowjs_graph' : 'tensorflowjs_layers',
      inputs: (version.requestInputs ?? version.inputs).map(({ name, datatype, shape }) => ({ name, datatype, shape })),
      outputs: version.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
    };
  }

  /** Ready means loaded and able to answer now: the check loads the model into the cache. */
  async modelReady(target: ServingTarget, actor: Actor) {
    this.engine.assertHealthy();
    const version = await this.predictions.servable(target, actor);
    await this.predictions.warm(version);
    return { name: version.modelName, version: String(version.version), ready: true };
  }

  /** GET /v2/models/stats: every version that served a request on this replica since it started. */
  allStats(): { model_stats: ModelStats[] } {
    return { model_stats: this.stats.all() };
  }

  /** GET /v2/models/{name}/stats: each version the caller may request (zeros for those not called yet). */
  async modelStats(model: string, actor: Actor): Promise<{ model_stats: ModelStats[] }> {
    const versions = requestable(await this.resolver.versions(model), actor);
    return { model_stats: versions.map((v) => this.stats.of(v.modelName, v.version)) };
  }

  /** GET /v2/models/{name}/versions/{version}/stats: the same lifecycle rules as infer (retired 410, drafts 403). */
  async versionStats(target: ServingTarget, actor: Actor): Promise<{ model_stats: ModelStats[] }> {
    const version = await this.predictions.servable(target, actor);
    return { model_stats: [this.stats.of(version.modelName, version.version)] };
  }

  /**
   * Runs the inference and, when the request asks for binary outputs (binary tensor data
   * extension), answers them as `application/octet-stream`: the JSON, then the output bytes, its
   * length in Inference-Header-Content-Length. The flags are checked before the model runs.
   */
  async infer(target: ServingTarget, request: V2InferRequest, actor: Actor): Promise<WithHeaders<V2InferResponse | Buffer>> {
    const binary = binaryOutputRequested(request);
    const result = await this.predictions.inferV2(target, request, actor);
    const encoded = binary ? encodeBinaryInferResponse(result.body, request) : undefined;
    if (!encoded) return result;
    return new WithHeaders(encoded.body, {
      ...result.headers,
      'Content-Type': 'application/octet-stream',
      'Inference-Header-Content-Length': String(encoded.headerLength),
    });
  }
}

/** The versions a caller may send requests to: never retired ones, drafts only for ml-engineers and admins. */
function requestable(versions: ServableVersion[], actor: Actor): ServableVersion[] {
  const drafts = hasRole(actor.caller.roles, 'ml-engineer');
  return versions.filter((v) => {
    const stage = effectiveStage(v);
    return stage !== 'retired' && (stage !== 'draft' || drafts);
  });
}
