import * as tf from '@tensorflow/tfjs';
// domain-error alone, not the @app/common index: this file also runs in inspection threads, whose start-up
// should not load NestJS, pino and the config schema.
import { DomainError } from '@app/common/errors/domain-error';
import { Datatype, InputColumns, ModelSignature, OutputColumns, TensorSpec, TensorValue } from '../artifact/artifact.types';
import { PerRowCost } from '../util/per-row-cost';
import { copyRows } from '../util/typed-rows';
import { InferenceEngineHealth, isFatalEngineError, EngineFailedError } from '../engine/engine-health';

/** A model resident in tfjs memory, ready to predict. Owned by whoever loaded it: call dispose(). */
export interface LoadedModel {
  readonly signature: ModelSignature;
  /** Bytes the weights occupy in memory (what the model cache budgets). */
  readonly sizeBytes: number;
  readonly parameterCount: number;
  /** Bytes of the weight files as stored (smaller than sizeBytes when quantized). */
  readonly weightBytes: number;
  /** Bytes one row needs for outputs and intermediates: a batch runs in slices that fit INFERENCE_MAX_RUN_BYTES. */
  readonly bytesPerRow: number;
  /** False once the model can no longer run where it lives (its pool thread ended): the cache loads it again. */
  readonly alive?: boolean;
  /** Batches that may run at once (a pool model: one per copy plus one waiting); 1 when absent. */
  readonly concurrentBatches?: number;
  /** Smoothed compute time per row where the model runs, when it is measured there (a pool model: on its thread). */
  readonly msPerRow?: number;
  /** Rows of a single-input model → rows of its first output, in order. */
  predict(rows: number[][]): Promise<number[][]>;
  /** Rows of every input → rows of every output (outer index = input / output, in signature order). */
  predictOutputs(inputs: InputColumns): Promise<OutputColumns>;
  dispose(): void;
  /**
   * Models that can take more memory while they serve (a pool model adding a copy on an idle thread)
   * are handed their cache's budget: they ask before growing and report once they have.
   */
  attachBudget?(budget: ModelBudget): void;
}

/** What a growing model may ask of the cache that holds it. */
export interface ModelBudget {
  /** Whether `extraBytes` more fit without evicting another model. */
  canGrow(extraBytes: number): boolean;
  /** The model's sizeBytes changed: the cache measures it again. */
  grew(): void;
}

export type ExecutionMode = 'layers' | 'graph-sync' | 'graph-async';

interface RunResult {
  outputs: OutputColumns;
  shapes: number[][];
  dtypes: tf.DataType[];
}

const DATATYPE_OF: Partial<Record<tf.DataType, Datatype>> = { float32: 'FP32', int32: 'INT32', bool: 'BOOL', string: 'BYTES' };

const DTYPE_OF: Record<Datatype, tf.DataType> = {
  FP32: 'float32',
  FP64: 'float32',
  INT32: 'int32',
  INT64: 'int32',
  BOOL: 'bool',
  BYTES: 'string',
};

export interface ModelSizes {
  /** Bytes the weights occupy in memory. */
  sizeBytes: number;
  parameterCount: number;
  /** Bytes of the weight files as stored. */
  weightBytes: number;
}

export interface RunBudget {
  /** Estimated from the topology (layers), 0 when unknown until the first run (graph). */
  bytesPerRow: number;
  maxRunBytes: number;
}

export class TfjsLoadedModel implements LoadedModel {
  private disposed = false;
  readonly sizeBytes: number;
  readonly parameterCount: number;
  readonly weightBytes: number;
  private perRow: number;
  private readonly cost = new PerRowCost();

  constructor(
    private readonly model: tf.LayersModel | tf.GraphModel,
    private mode: ExecutionMode,
    public signature: ModelSignature,
    sizes: ModelSizes,
    private readonly budget: RunBudget = { bytesPerRow: 0, maxRunBytes: Number.MAX_SAFE_INTEGER },
    private readonly health?: InferenceEngineHealth,
  ) {
    this.sizeBytes = sizes.sizeBytes;
    this.parameterCount = sizes.parameterCount;
    this.weightBytes = sizes.weightBytes;
    this.perRow = budget.bytesPerRow;
  }

  get bytesPerRow(): number {
    return this.perRow;
  }

  /** Rows one run may take without exceeding INFERENCE_MAX_RUN_BYTES. */
  get rowsPerRun(): number {
    return this.perRow > 0 ? Math.max(1, Math.floor(this.budget.maxRunBytes / this.perRow)) : Number.MAX_SAFE_INTEGER;
  }

  /** Wall time per row of this model's batches, measured here (on the main thread it is the batcher's cost too). */
  get msPerRow(): number {
    return this.cost.msPerRow;
  }

  get executionMode(): ExecutionMode {
    return this.mode;
  }

  async predict(rows: number[][]): Promise<number[][]> {
    return (await this.predictOutputs([rows]))[0] as number[][];
  }

  async predictOutputs(inputs: InputColumns): Promise<OutputColumns> {
    const started = performance.now();
    const outputs = await this.runSliced(inputs);
    this.cost.record(performance.now() - started, inputs[0]?.length ?? 1);
    return outputs;
  }

  private async runSliced(inputs: InputColumns): Promise<OutputColumns> {
    const slice = this.rowsPerRun;
    const rows = inputs[0]?.length ?? 0;
    if (rows <= slice) return (await this.run(inputs)).outputs;
    // A batch whose intermediates would not fit the run budget runs in slices, one after the other.
    const parts: OutputColumns[] = [];
    for (let start = 0; start < rows; start += slice) {
      parts.push((await this.run(inputs.map((column) => column.slice(start, start + slice)))).outputs);
    }
    return parts[0].map((_, output) => parts.flatMap((part) => part[output]));
  }

  /**
   * Runs once on a zero row: proves the graph executes (an artifact can load and still fail on
   * its first predict: unsupported op, shape clash), learns whether a graph model needs the async
   * executor, and fills in output shapes that a graph model's metadata leaves unknown.
   */
  async warmUp(): Promise<void> {
    // Two rows, so that an output without a leading batch dimension shows up now, not in production.
    const zeros = this.signature.inputs.map((input) => {
      const width = input.shape.slice(1).reduce((n, d) => n * (d > 0 ? d : 1), 1);
      const zero: TensorValue = input.datatype === 'BYTES' ? '' : 0;
      return [new Array<TensorValue>(width).fill(zero), new Array<TensorValue>(width).fill(zero)];
    });
    let result: RunResult;
    try {
      result = await this.measured(zeros);
    } catch (error) {
      if (this.mode !== 'graph-sync' || !/executeAsync|dynamic op/i.test((error as Error).message)) throw error;
      // Control-flow or dynamic-shape graphs only run on the async executor.
      this.mode = 'graph-async';
      result = await this.measured(zeros);
    }
    if (this.mode === 'layers') return;
    this.signature = {
      ...this.signature,
      outputs: this.signature.outputs.map((spec, i) => {
        const datatype = DATATYPE_OF[result.dtypes[i]];
        if (!datatype)
          throw new Error(`output '${spec.name}' has dtype ${result.dtypes[i]}; only float32, int32, bool and string are served`);
        return { ...spec, datatype, shape: spec.shape.length > 0 ? spec.shape : [-1, ...result.shapes[i].slice(1)] };
      }),
    };
  }

  /**
   * A run whose peak memory is measured: for a graph, whose intermediates the topology does not
   * tell, the peak of this run (outputs included) sets the bytes per row.
   */
  private async measured(inputs: InputColumns): Promise<RunResult> {
    let result: RunResult | undefined;
    const start = tf.memory().numBytes;
    const profile = await tf.profile(async () => {
      result = await this.run(inputs);
    });
    const peak = Number.isFinite(profile.peakBytes) ? profile.peakBytes - start : 0;
    this.perRow = Math.max(this.perRow, Math.ceil(Math.max(0, peak) / inputs[0].length));
    return result!;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }

  private async run(inputs: InputColumns): Promise<RunResult> {
    if (this.disposed) throw new Error('The model was disposed (evicted) before it ran.');
    this.health?.assertHealthy();
    const rowCount = inputs[0].length;
    const xs: tf.Tensor[] = [];
    let outputs: tf.Tensor[] = [];
    try {
      this.signature.inputs.forEach((spec, i) => xs.push(toInputTensor(spec, inputs[i])));
      outputs = await this.execute(xs);
      outputs.forEach((t, i) => {
        if (t.rank === 0 || t.shape[0] !== rowCount) {
          throw new Error(
            `output '${this.signature.outputs[i]?.name ?? i}' has shape [${t.shape.join(', ')}] for ${rowCount} input rows; ` +
              'outputs must have the batch dimension first',
          );
        }
      });
      const data = await Promise.all(outputs.map((t) => toRows(t, rowCount)));
      return { outputs: data, shapes: outputs.map((t) => t.shape), dtypes: outputs.map((t) => t.dtype) };
    } catch (error) {
      if (this.health && isFatalEngineError(error)) {
        // The backend's memory can no longer be trusted: nothing is disposed (that would touch it).
        this.health.markFailed(error);
        throw new EngineFailedError();
      }
      throw error;
    } finally {
      // Outputs are read before the input goes: a graph's output may alias its input.
      if (this.health?.healthy !== false) tf.dispose([...xs, ...outputs]);
    }
  }

  private async execute(xs: tf.Tensor[]): Promise<tf.Tensor[]> {
    switch (this.mode) {
      case 'layers': {
        const model = this.model as tf.LayersModel;
        // predictOnBatch, not predict: predict slices the input into batches of 32.
        return tf.tidy(() => asArray(model.predictOnBatch(xs.length === 1 ? xs[0] : xs)));
      }
      case 'graph-sync': {
        const model = this.model as tf.GraphModel;
        return tf.tidy(() => asArray(model.execute(this.feeds(xs), model.outputNodes)));
      }
      case 'graph-async': {
        const model = this.model as tf.GraphModel;
        // The async executor disposes its intermediates itself; only the outputs come back.
        return asArray(await model.executeAsync(this.feeds(xs), model.outputNodes));
      }
    }
  }

  /** A graph's inputs by node name (the signature's input names are the graph's). */
  private feeds(xs: tf.Tensor[]): tf.Tensor | tf.NamedTensorMap {
    if (xs.length === 1) return xs[0];
    return Object.fromEntries(this.signature.inputs.map((spec, i) => [spec.name, xs[i]]));
  }
}

function asArray(result: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  return Array.isArray(result) ? result : [result];
}

/** Row-major values → one tensor [rows, ...input dims]; a single unknown dimension is taken from the row length. */
export function toInputTensor(spec: TensorSpec, rows: TensorValue[][]): tf.Tensor {
  if (rows.length === 0) throw new DomainError('unprocessable', 'EMPTY_INSTANCES', 'There are no rows to predict.');
  const width = rows[0].length;
  const dims = spec.shape.slice(1);
  const known = dims.reduce((n, d) => (d > 0 ? n * d : n), 1);
  const unknown = dims.filter((d) => d < 0).length;
  const resolved = unknown === 0 ? dims : unknown === 1 && width % known === 0 ? dims.map((d) => (d < 0 ? width / known : d)) : undefined;
  if (!resolved || resolved.reduce((n, d) => n * d, 1) !== width) {
    throw new DomainError(
      'unprocessable',
      'INPUT_SHAPE_MISMATCH',
      `Rows of ${width} values do not fit input '${spec.name}' of shape [${spec.shape.join(', ')}].`,
    );
  }
  const dtype = DTYPE_OF[spec.datatype];
  if (dtype === 'string') {
    const strings: (string | Uint8Array)[] = [];
    for (const row of rows) {
      if (row.length !== width) {
        throw new DomainError('unprocessable', 'INPUT_SHAPE_MISMATCH', `All rows for input '${spec.name}' must have ${width} values.`);
      }
      for (const value of row) strings.push(typeof value === 'number' ? String(value) : value);
    }
    // tfjs takes bytes as they are (`{"b64"}` values) and encodes strings as UTF-8.
    return tf.tensor(strings as string[], [rows.length, ...resolved], 'string');
  }
  const values =
    dtype === 'int32'
      ? new Int32Array(rows.length * width)
      : dtype === 'bool'
        ? new Uint8Array(rows.length * width)
        : new Float32Array(rows.length * width);
  let offset = 0;
  for (const row of rows) {
    if (row.length !== width) {
      throw new DomainError('unprocessable', 'INPUT_SHAPE_MISMATCH', `All rows for input '${spec.name}' must have ${width} values.`);
    }
    values.set(row as number[], offset);
    offset += width;
  }
  return tf.tensor(values, [rows.length, ...resolved], dtype);
}

async function toRows(tensor: tf.Tensor, rowCount: number): Promise<(number | string)[][]> {
  if (tensor.dtype === 'string') {
    const strings = (await tensor.data<'string'>()) as unknown as string[];
    const perRow = strings.length / rowCount;
    return Array.from({ length: rowCount }, (_, r) => strings.slice(r * perRow, (r + 1) * perRow));
  }
  const data = (await tensor.data()) as ArrayLike<number>;
  return copyRows(data, rowCount, data.length / rowCount);
}
