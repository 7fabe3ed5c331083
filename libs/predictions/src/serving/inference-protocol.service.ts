import { Inject, Injectable } from '@nestjs/common';
import { Actor } from '@app/common';
import { InferenceEngineHealth, TF_BACKEND_SELECTION, TfBackendSelection } from '@app/inference';
import { effectiveStage } from '@app/models';
import { PredictionService } from './prediction.service';
import { ServingTarget, VersionResolver } from './version-resolver';

const SERVER_VERSION = '0.1.0';

/** Open Inference Protocol metadata and readiness (the infer call itself is PredictionService's). */
@Injectable()
export class InferenceProtocolService {
  constructor(
    private readonly predictions: PredictionService,
    private readonly resolver: VersionResolver,
    @Inject(TF_BACKEND_SELECTION) private readonly backend: TfBackendSelection,
    private readonly engine: InferenceEngineHealth,
  ) {}

  server() {
    return { name: 'modelgate', version: SERVER_VERSION, extensions: [] as string[], backend: this.backend.backend };
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
      versions: all.filter((v) => effectiveStage(v) !== 'retired').map((v) => String(v.version)),
      platform: version.framework === 'tfjs-graph' ? 'tensorflowjs_graph' : 'tensorflowjs_layers',
      inputs: version.inputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
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
}
