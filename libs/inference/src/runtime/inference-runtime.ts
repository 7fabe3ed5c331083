import { Inject, Injectable, Optional } from '@nestjs/common';
import * as tf from '@tensorflow/tfjs';
import { ArtifactFiles, Datatype, ModelSignature, TensorSpec } from '../artifact/artifact.types';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { ParsedArtifact, parseArtifact } from '../artifact/model-artifact';
import {
  BackendLogger,
  selectTfBackend,
  TfBackendLoader,
  TfBackendName,
  TfBackendPreference,
  TfBackendSelection,
} from '../backend/tf-backend';
import { InferenceEngineHealth } from '../engine/engine-health';
import { DEFAULT_MODEL_LIMITS, ModelLimits, outputValuesPerRow } from '../limits/model-limits';
import { activationBytesPerRow, buildWithinParameters, inferenceParameterCount, withZeroInitializers } from './guarded-build';
import { LoadedModel, TfjsLoadedModel } from './loaded-model';
import { engineMessage } from './engine-message';

/** The backend chosen at start-up (provided by InferenceModule before anything loads a model). */
export const TF_BACKEND_SELECTION = Symbol('TF_BACKEND_SELECTION');
/** Per-model bounds (MAX_MODEL_PARAMETERS, INFERENCE_MAX_RUN_BYTES, MAX_OUTPUT_VALUES_PER_REQUEST). */
export const MODEL_LIMITS = Symbol('MODEL_LIMITS');

export interface ModelInspection extends ModelSignature {
  parameterCount: number;
  weightBytes: number;
  /** Bytes one row needs for its outputs and intermediates (estimated, or measured on a graph). */
  bytesPerRow: number;
}

const DATATYPE_OF: Partial<Record<string, Datatype>> = { float32: 'FP32', int32: 'INT32', bool: 'BOOL', string: 'BYTES' };

/**
 * Loads TensorFlow.js models from in-memory files (no file system, no network) and derives their
 * signatures. Transport-free: serving uses it to predict; uploads are inspected with it inside an
 * isolated thread (ArtifactInspector), never here.
 *
 * Every load is bounded before tfjs allocates anything: the manifest's parameters against
 * `maxParameters`; each weight the topology creates against what the manifest holds (so a 2 KB
 * topology cannot build a 400-million-parameter layer); then the memory of one row from the
 * topology's shapes, and the values one row outputs, before the first run.
 */
@Injectable()
export class InferenceRuntime {
  readonly backend: TfBackendName;
  readonly limits: ModelLimits;

  constructor(
    @Inject(TF_BACKEND_SELECTION) selection: TfBackendSelection,
    @Optional() @Inject(MODEL_LIMITS) limits?: ModelLimits,
    @Optional() readonly health?: InferenceEngineHealth,
  ) {
    this.backend = selection.backend;
    this.limits = limits ?? DEFAULT_MODEL_LIMITS;
  }

  /** For scripts, threads and tests outside Nest: selects the backend, then builds the runtime. */
  static async create(
    preference: TfBackendPreference = 'auto',
    options: { loader?: TfBackendLoader; logger?: BackendLogger; limits?: ModelLimits; health?: InferenceEngineHealth } = {},
  ): Promise<InferenceRuntime> {
    return new InferenceRuntime(await selectTfBackend(preference, options), options.limits, options.health);
  }

  /** Validates an artifact by loading and running it once; returns what the registry stores. */
  async inspect(files: ArtifactFiles): Promise<ModelInspection> {
    const model = await this.load(files);
    try {
      return { ...model.signature, parameterCount: model.parameterCount, weightBytes: model.weightBytes, bytesPerRow: model.bytesPerRow };
    } finally {
      model.dispose();
    }
  }

  /** Parses, validates, loads and warms a model. Throws InvalidArtifactError naming what is wrong. */
  async load(files: ArtifactFiles): Promise<LoadedModel> {
    this.health?.assertHealthy();
    const parsed = parseArtifact(files);
    const parameters = inferenceParameterCount(parsed.weightSpecs);
    if (parameters > this.limits.maxParameters) {
      throw new InvalidArtifactError(
        'too-many-parameters',
        `The model has ${parameters} parameters; at most ${this.limits.maxParameters} are accepted (MAX_MODEL_PARAMETERS).`,
      );
    }
    let model: tf.LayersModel | tf.GraphModel;
    try {
      model = parsed.framework === 'tfjs-layers' ? await loadLayersModel(parsed, parameters) : loadGraphModel(parsed);
    } catch (error) {
      if (error instanceof InvalidArtifactError) throw error;
      throw new InvalidArtifactError('load-failed', `The model fails to load with TensorFlow.js: ${engineMessage(error)}`, error);
    }
    try {
      const signature = signatureOf(model, parsed);
      // Layers models: known from the topology before anything runs. Graph models: measured on the
      // first run, which for an upload happens inside the isolated inspection thread.
      const estimated = model instanceof tf.GraphModel ? 0 : activationBytesPerRow(model);
      this.assertRowFits(estimated);
      this.assertOutputFits(signature.outputs);
      const loaded = new TfjsLoadedModel(
        model,
        parsed.framework === 'tfjs-layers' ? 'layers' : 'graph-sync',
        signature,
        { sizeBytes: parsed.loadedBytes, parameterCount: parsed.parameterCount, weightBytes: parsed.weightBytes },
        { bytesPerRow: estimated, maxRunBytes: this.limits.maxRunBytes },
        this.health,
      );
      try {
        await loaded.warmUp();
      } catch (error) {
        if (error instanceof InvalidArtifactError) throw error;
        throw new InvalidArtifactError('run-failed', `The model loads but fails to run: ${engineMessage(error)}`, error);
      }
      this.assertRowFits(loaded.bytesPerRow);
      this.assertOutputFits(loaded.signature.outputs);
      return loaded;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  private assertRowFits(bytesPerRow: number): void {
    if (bytesPerRow > this.limits.maxRunBytes) {
      throw new InvalidArtifactError(
        'too-much-memory',
        `One row needs about ${mib(bytesPerRow)} MiB for the model's outputs and intermediate results; ` +
          `at most ${mib(this.limits.maxRunBytes)} MiB are accepted (INFERENCE_MAX_RUN_BYTES).`,
      );
    }
  }

  private assertOutputFits(outputs: readonly TensorSpec[]): void {
    const values = outputValuesPerRow(outputs);
    if (values > this.limits.maxOutputValues) {
      throw new InvalidArtifactError(
        'output-too-large',
        `One row produces ${values} output values; at most ${this.limits.maxOutputValues} are accepted per request (MAX_OUTPUT_VALUES_PER_REQUEST).`,
      );
    }
  }
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(bytes < 1_048_576 ? 2 : 0);
}

/*
 * tf.loadLayersModel / tf.loadGraphModel leak every tensor they made when a load fails half-way
 * (weights that do not fit the layers, a malformed graph): one leak per bad upload. These two do
 * the same work in steps whose failures free what was allocated.
 */

async function loadLayersModel(parsed: ParsedArtifact, parameters: number): Promise<tf.LayersModel> {
  const engine = tf.engine();
  const before = new Set(Object.keys(engine.registeredVariables));
  // Without a weights manifest, modelFromJSON builds the layers synchronously, within this call:
  // the variables it created are exactly the new ones now, even if other loads run concurrently.
  // Initializers are replaced by zeros (the values are overwritten just below; an orthogonal
  // initializer on a large kernel alone takes minutes), and each weight is counted against the
  // manifest's parameters before it is allocated.
  const topology = withZeroInitializers(parsed.modelJson.modelTopology);
  let building: Promise<tf.LayersModel> | undefined;
  try {
    buildWithinParameters(parameters, () => {
      building = tf.models.modelFromJSON({ modelTopology: topology } as tf.io.ModelJSON);
    });
  } catch (error) {
    disposeCreated(engine, before);
    throw error;
  }
  const created = Object.keys(engine.registeredVariables).filter((name) => !before.has(name));
  let model: tf.LayersModel;
  try {
    model = await building!;
  } catch (error) {
    for (const name of created) engine.registeredVariables[name]?.dispose();
    throw error;
  }
  const built = model.countParams();
  if (built !== parameters) {
    model.dispose();
    throw new InvalidArtifactError(
      'parameter-mismatch',
      `The topology defines ${built} parameters but the weights manifest holds ${parameters}.`,
    );
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

function disposeCreated(engine: ReturnType<typeof tf.engine>, before: Set<string>): void {
  for (const name of Object.keys(engine.registeredVariables)) if (!before.has(name)) engine.registeredVariables[name].dispose();
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
  if (inputs.length === 0) throw new InvalidArtifactError('unsupported-signature', 'The model has no inputs.');
  // Requests name inputs and outputs: two with one name could not be told apart.
  for (const [role, specs] of [
    ['input', inputs],
    ['output', outputs],
  ] as const) {
    const seen = new Set<string>();
    for (const { name } of specs) {
      if (seen.has(name)) throw new InvalidArtifactError('unsupported-signature', `The model has two ${role}s named '${name}'.`);
      seen.add(name);
    }
  }
  for (const input of inputs) {
    if (input.shape.length < 2 && parsed.framework === 'tfjs-layers') {
      throw new InvalidArtifactError('unsupported-signature', `Input '${input.name}' has no batch dimension.`);
    }
  }
  return { framework: parsed.framework, inputs, outputs };
}

function spec(name: string, dtype: string, shape: readonly (number | null)[] | undefined, role: 'input' | 'output'): TensorSpec {
  const datatype = DATATYPE_OF[dtype];
  if (!datatype) {
    throw new InvalidArtifactError(
      'unsupported-signature',
      `The model's ${role} '${name}' has dtype ${dtype}; only float32, int32, bool and string tensors are served.`,
    );
  }
  if (role === 'input' && !shape) {
    throw new InvalidArtifactError('unsupported-signature', `The model's input '${name}' has an unknown shape.`);
  }
  return { name, datatype, shape: (shape ?? []).map((d) => (d === null || d < 0 ? -1 : d)) };
}
