import { Inject, Injectable } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { ArtifactFiles, Datatype, ModelSignature, TensorSpec } from '../artifact/artifact.types';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { ParsedArtifact, parseArtifact } from '../artifact/model-artifact';
import { BackendLogger, selectTfBackend, TfBackendLoader, TfBackendName, TfBackendPreference, TfBackendSelection } from '../backend/tf-backend';
import { LoadedModel, TfjsLoadedModel } from './loaded-model';

/** The backend chosen at start-up (provided by InferenceModule before anything loads a model). */
export const TF_BACKEND_SELECTION = Symbol('TF_BACKEND_SELECTION');

export interface ModelInspection extends ModelSignature {
  parameterCount: number;
  weightBytes: number;
}

const DATATYPE_OF: Partial<Record<string, Datatype>> = { float32: 'FP32', int32: 'INT32', bool: 'BOOL' };

/**
 * Loads TensorFlow.js models from in-memory files (no file system, no network) and derives their
 * signatures. Transport-free: the registry uses it to validate uploads, serving to predict.
 */
@Injectable()
export class InferenceRuntime {
  readonly backend: TfBackendName;

  constructor(@Inject(TF_BACKEND_SELECTION) selection: TfBackendSelection) {
    this.backend = selection.backend;
  }

  /** For scripts and tests outside Nest: selects the backend, then builds the runtime. */
  static async create(
    preference: TfBackendPreference = 'auto',
    options: { loader?: TfBackendLoader; logger?: BackendLogger } = {},
  ): Promise<InferenceRuntime> {
    return new InferenceRuntime(await selectTfBackend(preference, options));
  }

  /** Validates an artifact by loading and running it once; returns what the registry stores. */
  async inspect(files: ArtifactFiles): Promise<ModelInspection> {
    const model = await this.load(files);
    try {
      return { ...model.signature, parameterCount: model.parameterCount, weightBytes: model.weightBytes };
    } finally {
      model.dispose();
    }
  }

  /** Parses, validates, loads and warms a model. Throws InvalidArtifactError naming what is wrong. */
  async load(files: ArtifactFiles): Promise<LoadedModel> {
    const parsed = parseArtifact(files);
    let model: tf.LayersModel | tf.GraphModel;
    try {
      model = parsed.framework === 'tfjs-layers' ? await loadLayersModel(parsed) : loadGraphModel(parsed);
    } catch (error) {
      throw new InvalidArtifactError('load-failed', `The model fails to load with TensorFlow.js: ${messageOf(error)}`, error);
    }
    try {
      const loaded = new TfjsLoadedModel(
        model,
        parsed.framework === 'tfjs-layers' ? 'layers' : 'graph-sync',
        signatureOf(model, parsed),
        parsed.loadedBytes,
        parsed.parameterCount,
        parsed.weightBytes,
      );
      try {
        await loaded.warmUp();
      } catch (error) {
        throw new InvalidArtifactError('run-failed', `The model loads but fails to run: ${messageOf(error)}`, error);
      }
      return loaded;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
}

/*
 * tf.loadLayersModel / tf.loadGraphModel leak every tensor they made when a load fails half-way
 * (weights that do not fit the layers, a malformed graph): one leak per bad upload. These two do
 * the same work in steps whose failures free what was allocated.
 */

async function loadLayersModel(parsed: ParsedArtifact): Promise<tf.LayersModel> {
  const engine = tf.engine();
  const before = new Set(Object.keys(engine.registeredVariables));
  // Without a weights manifest, modelFromJSON builds the layers synchronously, within this call:
  // the variables it created are exactly the new ones now, even if other loads run concurrently.
  // Initializers run (tfjs' fastWeightInit is internal); the values are overwritten just below.
  const building = tf.models.modelFromJSON({ modelTopology: parsed.modelJson.modelTopology } as tf.io.ModelJSON);
  const created = Object.keys(engine.registeredVariables).filter((name) => !before.has(name));
  let model: tf.LayersModel;
  try {
    model = await building;
  } catch (error) {
    for (const name of created) engine.registeredVariables[name]?.dispose();
    throw error;
  }
  try {
    const decoded = tf.tidy(() => tf.io.decodeWeights(parsed.weightData, parsed.weightSpecs as tf.io.WeightsManifestEntry[]));
    try {
      // Optimizer state (saved with includeOptimizer) plays no part in inference.
      const optimizer = new Set(parsed.weightSpecs.filter((w) => w.group === 'optimizer').map((w) => w.name));
      model.loadWeights(Object.fromEntries(Object.entries(decoded).filter(([name]) => !optimizer.has(name))), true);
    } finally {
      tf.dispose(Object.values(decoded));
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

function loadGraphModel(parsed: ParsedArtifact): tf.GraphModel {
  const artifacts = tf.io.getModelArtifactsForJSONSync(
    parsed.modelJson as unknown as tf.io.ModelJSON,
    parsed.weightSpecs as tf.io.WeightsManifestEntry[],
    parsed.weightData,
  );
  // GraphModel takes its io functions as a constructor argument: this one remembers the decoded
  // weights so that a graph that fails to build does not keep them.
  let decoded: tf.NamedTensorMap | undefined;
  const io = {
    ...tf.io,
    decodeWeights: (data: tf.io.WeightData, specs: tf.io.WeightsManifestEntry[]) =>
      (decoded = tf.tidy(() => tf.io.decodeWeights(data, specs))),
  } as typeof tf.io;
  const model = new tf.GraphModel({ load: async () => artifacts }, {}, io);
  try {
    model.loadSync(artifacts);
    return model;
  } catch (error) {
    if (decoded) tf.dispose(Object.values(decoded));
    throw error;
  }
}

function signatureOf(model: tf.LayersModel | tf.GraphModel, parsed: ParsedArtifact): ModelSignature {
  let inputs: TensorSpec[];
  let outputs: TensorSpec[];
  if (model instanceof tf.GraphModel) {
    inputs = model.inputs.map((t) => spec(t.name, t.dtype, t.shape, 'input'));
    // Graph metadata often lacks output dtypes and shapes: warm-up fills them in from a real run.
    outputs = model.outputs.map((t) => ({ name: t.name, datatype: DATATYPE_OF[t.dtype] ?? 'FP32', shape: [] }));
  } else {
    // Keras naming: an input is its InputLayer's name, an output the name of the layer producing it
    // (a Sequential model loaded from JSON has no inputNames/outputNames of its own).
    inputs = model.inputs.map((t) => spec(t.sourceLayer?.name ?? t.name, t.dtype, t.shape, 'input'));
    outputs = model.outputs.map((t) => spec(t.sourceLayer?.name ?? t.name, t.dtype, t.shape, 'output'));
  }
  if (inputs.length !== 1) {
    throw new InvalidArtifactError(
      'unsupported-signature',
      `The model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); models served here take exactly one input tensor.`,
    );
  }
  if (inputs[0].shape.length < 2 && parsed.framework === 'tfjs-layers') {
    throw new InvalidArtifactError('unsupported-signature', `Input '${inputs[0].name}' has no batch dimension.`);
  }
  return { framework: parsed.framework, inputs, outputs };
}

function spec(name: string, dtype: string, shape: readonly (number | null)[] | undefined, role: 'input' | 'output'): TensorSpec {
  const datatype = DATATYPE_OF[dtype];
  if (!datatype) {
    throw new InvalidArtifactError(
      'unsupported-signature',
      `The model's ${role} '${name}' has dtype ${dtype}; only float32, int32 and bool tensors are served.`,
    );
  }
  if (role === 'input' && !shape) {
    throw new InvalidArtifactError('unsupported-signature', `The model's input '${name}' has an unknown shape.`);
  }
  return { name, datatype, shape: (shape ?? []).map((d) => (d === null || d < 0 ? -1 : d)) };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
