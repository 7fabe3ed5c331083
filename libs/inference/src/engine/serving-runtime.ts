import type { ArtifactFiles } from '../artifact/artifact.types';
import type { InferenceRuntime } from '../runtime/inference-runtime';
import type { LoadedModel } from '../runtime/loaded-model';

/**
 * Where serving's models load and run (a port; InferenceModule picks the adapter from
 * INFERENCE_THREADS): on the main thread, or on a pool of inference threads. Either way the
 * model cache holds what `load` returns and the batcher calls its predictOutputs.
 */
export abstract class ServingRuntime {
  /** Loads a registered version's artifact; throws InvalidArtifactError naming what is wrong. */
  abstract load(files: ArtifactFiles): Promise<LoadedModel>;
}

/** INFERENCE_THREADS=0: models run on the main thread, between requests. */
export class InProcessServingRuntime extends ServingRuntime {
  constructor(private readonly runtime: InferenceRuntime) {
    super();
  }

  load(files: ArtifactFiles): Promise<LoadedModel> {
    return this.runtime.load(files);
  }
}
