import * as tf from '@tensorflow/tfjs';
import { argmaxRows, profileClasses, profileFeature, profileValues, type VersionProfile } from '@app/models/domain/feature-profile';
import { FeatureEncoder, isPlainEncoding, layoutOf, type EncodingLayout, type FeatureEncoding } from '@app/models/domain/feature-encoding';
import type { DatasetContents } from '../datasets/dataset-reader';
import { learnEncoding, type EncodingOptions } from './encoding-learner';
import { classificationReport, EvaluationReport, regressionReport } from './evaluation-report';
import { deriveSeed, permutation, seededRandom } from './seeded-random';
import { classWeights, EarlyStopper, unknownClasses } from './training-controls';
import { CompletionReason, EpochRecord, OptimizerName, TrainingSpec } from './training-spec';
import type { CellValue, ColumnType } from '../datasets/dataset-format';

/**
 * The one training implementation, whatever runs it (a worker thread of the API, or of a BullMQ
 * worker process): a dense network on tabular data, tfjs-layers, saved as a plain layers model.
 *
 * Standardisation is part of the saved model: its first layer is a frozen Dense layer whose kernel
 * is diag(1/std) and bias -mean/std, learned on the training split only. So a model of numeric
 * features without missing values takes raw feature values, and any tfjs runtime (ours for /v1 and
 * /v2, or a user's) predicts correctly with no preprocessing code and no custom layer.
 *
 * Category features and missing values are encoded (FeatureEncoding: medians, missing indicators,
 * vocabularies learned on the training split) into one numeric input that serving builds from raw
 * rows; the model then standardises only its numeric block (cut out of the input with Cropping1D, a
 * standard layer), takes the one-hot blocks as they are, and projects each embedded category's block
 * through a bias-free Dense layer (an embedding).
 *
 * Rows whose target is missing are dropped before the split (counted as `rowsWithoutTarget`).
 *
 * Reproducible: with the same seed, data and backend, the split, each epoch's shuffle, the
 * initialisers and the dropout masks are the same, so are the metrics. The optimizer, class weights
 * and early stopping add no randomness.
 *
 * With early stopping, the weights of the best epoch (lowest validation loss) are restored before
 * the model is measured and saved, whether it stopped early or ran every epoch (Keras 3's
 * restore_best_weights).
 */

export type StopReason = 'cancel' | 'shutdown';

export interface TrainerHooks {
  /** After each completed epoch (1-based), with its losses and metrics. */
  onEpoch?(record: EpochRecord, epochs: number): void;
  /** Polled before each batch: a reason stops training there (cancel, or the worker shutting down). */
  stopRequested?(): StopReason | undefined;
}

export interface TrainedModel {
  status: 'succeeded';
  /** model.json + weights, the layout tfjs writes. */
  files: [path: string, data: Uint8Array][];
  /** Class names in output order (classification), sorted. */
  labels: string[] | null;
  /** Measured on the validation split (train* on the training split), with the weights saved (bestEpoch's, with early stopping). */
  metrics: Record<string, number>;
  history: EpochRecord[];
  /** The last epoch run (1-based), and why it was the last. */
  stoppedEpoch: number;
  stopReason: CompletionReason;
  /** On the validation split, with the weights saved; `rowsWithoutTarget`: rows dropped for a missing target. */
  report: EvaluationReport & { rowsWithoutTarget: number };
  /** `encoding`: medians, vocabularies, indicators; serving encodes raw rows with it. */
  preprocessing: { standardize: { mean: number[]; std: number[] }; encoding: FeatureEncoding };
  /** The training split's feature distributions and the validation split's predictions: drift's reference (plain numeric features only). */
  profile: VersionProfile | null;
}

export interface StoppedTraining {
  status: 'stopped';
  reason: StopReason;
  epochsCompleted: number;
}

export type TrainingResult = TrainedModel | StoppedTraining;

/** The data cannot be trained on as asked (one class only, a non-categorical target, ...): not worth retrying. */
export class TrainingDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingDataError';
  }
}

export const MAX_CLASSES = 1000;
export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'output';
const WEIGHTS_FILE = 'group1-shard1of1.bin';

interface PreparedData {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  width: number;
  labels: string[] | null;
  encoding: FeatureEncoding;
  layout: EncodingLayout;
  rowsWithoutTarget: number;
}

/** Defaults for runs that do not say (unit tests; the service passes its configuration). */
export const DEFAULT_ENCODING_OPTIONS: EncodingOptions = { maxCategories: 100, embeddingAbove: 16, missingIndicator: false };

export async function train(
  dataset: DatasetContents,
  spec: TrainingSpec,
  hooks: TrainerHooks = {},
  encodingOptions: EncodingOptions = DEFAULT_ENCODING_OPTIONS,
): Promise<TrainingResult> {
  const { seed, epochs, batchSize, learningRate, validationSplit, earlyStopping, classWeight } = spec.hyperparameters;
  const target = targetOf(dataset, spec);
  const kept = keptRows(target.values);
  const rows = kept.length;
  const order = permutation(rows, seededRandom(deriveSeed(seed, 1)));
  const valCount = Math.max(1, Math.round(rows * validationSplit));
  const trainCount = rows - valCount;
  if (trainCount < 1) {
    throw new TrainingDataError(
      `The dataset has ${rows} rows with a target${rows < dataset.rows ? ` (${dataset.rows - rows} without)` : ''}: too few to hold out a validation split and still train.`,
    );
  }
  const valRows = order.subarray(0, valCount);
  const trainRows = order.subarray(valCount);
  const h = spec.hyperparameters;
  const data = prepare(dataset, spec, target, kept, trainRows, {
    maxCategories: h.maxCategories ?? encodingOptions.maxCategories,
    embeddingAbove: h.embeddingAbove ?? encodingOptions.embeddingAbove,
    missingIndicator: h.missingIndicator ?? encodingOptions.missingIndicator,
  });
  const stats = standardisation(data, trainRows);

  const tensors = tf.tidy(() => {
    const x = tf.tensor2d(data.x, [data.rows, data.width]);
    const y = spec.task === 'classification' ? tf.tensor1d(data.y) : tf.tensor2d(data.y, [data.rows, 1]);
    const pick = (rows: Int32Array) => tf.tensor1d(rows, 'int32');
    const trainIdx = pick(trainRows);
    const valIdx = pick(valRows);
    return { xTrain: tf.gather(x, trainIdx), yTrain: tf.gather(y, trainIdx), xVal: tf.gather(x, valIdx), yVal: tf.gather(y, valIdx) };
  });

  const model = buildModel(spec, data, stats);
  const classification = spec.task === 'classification';
  const weights = classification && classWeight ? classWeightMap(classWeight, data, trainRows) : undefined;
  model.compile({
    optimizer: optimizerOf(spec.hyperparameters.optimizer ?? 'adam', learningRate),
    loss: classification ? 'sparseCategoricalCrossentropy' : 'meanSquaredError',
    metrics: classification ? ['accuracy'] : ['mae'],
  });
  const dropouts = model.layers.filter((l) => l.getClassName() === 'Dropout');
  const shuffles = seededRandom(deriveSeed(seed, 2));
  const history: EpochRecord[] = [];
  const stopper = earlyStopping ? new EarlyStopper(earlyStopping) : undefined;
  /** The best epoch's weights (early stopping), copied when it ends. */
  let best: tf.Tensor[] | undefined;
  let stopReason: CompletionReason = 'epochs';

  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      let stop: StopReason | undefined;
      const shuffled = tf.tidy(() => {
        const idx = tf.tensor1d(permutation(trainCount, shuffles), 'int32');
        return { x: tf.gather(tensors.xTrain, idx), y: tf.gather(tensors.yTrain, idx) };
      });
      let logs: tf.History;
      try {
        logs = await model.fit(shuffled.x, shuffled.y, {
          epochs: 1,
          batchSize,
          shuffle: false, // shuffled above, from the seed (tfjs' own shuffle is not seedable)
          validationData: [tensors.xVal, tensors.yVal],
          classWeight: weights,
          verbose: 0,
          callbacks: {
            onBatchBegin: async (batch: number) => {
              stop = hooks.stopRequested?.();
              if (stop) model.stopTraining = true;
              // A fixed dropout seed would drop the same units in every batch; one per batch keeps
              // the masks varied and reproducible. (Dropout reads its seed at each call.)
              dropouts.forEach((layer, k) => {
                (layer as unknown as { seed: number }).seed = deriveSeed(seed, 3, epoch, batch, k);
              });
            },
          },
        });
      } finally {
        tf.dispose([shuffled.x, shuffled.y]);
      }
      if (stop) return { status: 'stopped', reason: stop, epochsCompleted: epoch - 1 };
      const record = epochRecord(epoch, logs, classification, performance.now() - started);
      history.push(record);
      hooks.onEpoch?.(record, epochs);
      const after = hooks.stopRequested?.();
      if (after && epoch < epochs) return { status: 'stopped', reason: after, epochsCompleted: epoch };
      const observed = stopper?.observe(epoch, record.valLoss);
      if (observed?.improved) {
        tf.dispose(best);
        best = model.getWeights().map((w) => w.clone());
      }
      if (observed?.stop && epoch < epochs) {
        stopReason = 'early-stopping';
        break;
      }
    }
    if (best) model.setWeights(best);

    const metrics = {
      ...evaluate(model, tensors.xVal, tensors.yVal, classification, ''),
      ...evaluate(model, tensors.xTrain, tensors.yTrain, classification, 'train'),
      trainingRows: trainCount,
      validationRows: valCount,
      rowsWithoutTarget: data.rowsWithoutTarget,
      ...(stopper ? { bestEpoch: stopper.bestEpoch } : {}),
    };
    const report = { ...reportOf(model, data, tensors.xVal, valRows), rowsWithoutTarget: data.rowsWithoutTarget };
    const plain = isPlainEncoding(data.encoding);
    const profile = plain ? profileOf(model, spec, data, trainRows, tensors.xVal) : null;
    return {
      status: 'succeeded',
      profile,
      files: await saveModel(model),
      labels: data.labels,
      metrics,
      history,
      stoppedEpoch: history.length,
      stopReason,
      report,
      preprocessing: { standardize: { mean: stats.mean, std: stats.std }, encoding: data.encoding },
    };
  } finally {
    tf.dispose(best);
    model.dispose();
    tf.dispose(Object.values(tensors));
  }
}

interface TargetColumn {
  type: ColumnType;
  values: readonly CellValue[];
}

function columnOf(dataset: DatasetContents, name: string): TargetColumn {
  const values = dataset.values;
  if (!values) throw new Error('The dataset was read without its values.');
  const index = dataset.columns.findIndex((c) => c.name === name);
  if (index < 0) throw new TrainingDataError(`The dataset has no column '${name}'.`);
  return { type: dataset.columns[index].type, values: values[index] };
}

function targetOf(dataset: DatasetContents, spec: TrainingSpec): TargetColumn {
  return columnOf(dataset, spec.target);
}

/** The dataset rows that have a target value (the others cannot be learned from). */
function keptRows(target: readonly CellValue[]): Int32Array {
  const kept = new Int32Array(target.length);
  let n = 0;
  for (let r = 0; r < target.length; r++) if (target[r] !== null) kept[n++] = r;
  return kept.subarray(0, n);
}

/**
 * The kept rows encoded (row i of x = dataset row kept[i]), with the encoding learned on the
 * training split (indices into kept).
 */
function prepare(
  dataset: DatasetContents,
  spec: TrainingSpec,
  target: TargetColumn,
  kept: Int32Array,
  trainRows: Int32Array,
  options: EncodingOptions,
): PreparedData {
  const rows = kept.length;
  const features = spec.features.map((name) => {
    const column = columnOf(dataset, name);
    // Only the kept rows: learning and encoding index them 0..rows-1.
    return { name, type: column.type, values: Array.from(kept, (r) => column.values[r]) };
  });
  const encoding = learnEncoding(features, trainRows, options);
  const layout = layoutOf(encoding);
  const width = layout.width;
  const x = new Float32Array(rows * width);
  const encoder = new FeatureEncoder(encoding);
  const row = new Array<unknown>(features.length);
  const problems: string[] = [];
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features.length; j++) row[j] = features[j].values[r];
    encoder.encodeRow(row, x.subarray(r * width, (r + 1) * width), `row ${kept[r] + 1}`, (e) => problems.push(`${e.field} ${e.message}`));
    if (problems.length) throw new TrainingDataError(`The dataset cannot be encoded: ${problems[0]}.`);
  }

  const raw = Array.from(kept, (r) => target.values[r]);
  const y = new Float32Array(rows);
  const base = { x, y, rows, width, encoding, layout, rowsWithoutTarget: dataset.rows - rows };
  if (spec.task === 'regression') {
    if (target.type !== 'number')
      throw new TrainingDataError(`Target '${spec.target}' is a ${target.type} column; regression needs a numeric target.`);
    for (let r = 0; r < rows; r++) y[r] = raw[r] as number;
    return { ...base, labels: null };
  }

  if (target.type === 'number' && !raw.every((v) => Number.isInteger(v))) {
    throw new TrainingDataError(
      `Target '${spec.target}' holds non-integer numbers; a classification target must be categorical (text, boolean or integer classes).`,
    );
  }
  const distinct = [...new Set(raw.map((v) => String(v)))];
  if (target.type === 'number') distinct.sort((a, b) => Number(a) - Number(b));
  else distinct.sort();
  if (distinct.length < 2)
    throw new TrainingDataError(`Target '${spec.target}' has a single class ('${distinct[0]}'); a classifier needs at least two.`);
  if (distinct.length > MAX_CLASSES) {
    throw new TrainingDataError(`Target '${spec.target}' has ${distinct.length} classes; at most ${MAX_CLASSES} are supported.`);
  }
  const classOf = new Map(distinct.map((label, i) => [label, i]));
  for (let r = 0; r < rows; r++) y[r] = classOf.get(String(raw[r]))!;
  return { ...base, labels: distinct };
}

/** Per feature, the training split's quantile bins, mean and std; and how the model answers the validation split. */
function profileOf(model: tf.LayersModel, spec: TrainingSpec, data: PreparedData, trainRows: Int32Array, xVal: tf.Tensor): VersionProfile {
  const column = new Float64Array(trainRows.length);
  const features = spec.features.map((name, j) => {
    trainRows.forEach((r, i) => (column[i] = data.x[r * data.width + j]));
    return profileFeature(name, column);
  });
  const scores = tf.tidy(() => model.predict(xVal) as tf.Tensor);
  const values = scores.dataSync();
  const width = scores.shape[1] ?? 1;
  scores.dispose();
  const predictions = data.labels ? profileClasses(data.labels, argmaxRows(values, width)) : profileValues(values);
  return { features, predictions, rows: trainRows.length };
}

/** The validation split's evaluation report, from the model's answers to its rows. */
function reportOf(model: tf.LayersModel, data: PreparedData, xVal: tf.Tensor, valRows: Int32Array): EvaluationReport {
  const scores = tf.tidy(() => model.predict(xVal) as tf.Tensor);
  const values = scores.dataSync();
  scores.dispose();
  const actual = Array.from(valRows, (r) => data.y[r]);
  if (!data.labels) return regressionReport(actual, values);
  const k = data.labels.length;
  const predicted = argmaxRows(values, k);
  const positive = k === 2 ? Array.from(valRows, (_, i) => values[i * 2 + 1]) : undefined;
  return classificationReport(data.labels, actual, predicted, positive);
}

/** tfjs' classWeight (class index → weight) for the request's classWeight, counted on the training split. */
function classWeightMap(
  spec: NonNullable<TrainingSpec['hyperparameters']['classWeight']>,
  data: PreparedData,
  trainRows: Int32Array,
): Record<number, number> {
  const labels = data.labels!;
  const unknown = unknownClasses(spec, labels);
  if (unknown.length)
    throw new TrainingDataError(`classWeight names ${unknown.map((c) => `'${c}'`).join(', ')}, not classes of the target.`);
  const counts = new Array<number>(labels.length).fill(0);
  for (const r of trainRows) counts[data.y[r]]++;
  return Object.fromEntries(classWeights(spec, labels, counts).map((w, i) => [i, w]));
}

/** SGD is SGD with momentum 0.9 (a plain SGD step is seldom what anyone wants on tabular data). */
function optimizerOf(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'sgd':
      return tf.train.momentum(learningRate, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    case 'adam':
      return tf.train.adam(learningRate);
  }
}

/** Mean and std of the numeric block (the first columns of the input), on the given rows. */
function standardisation(data: PreparedData, rows: Int32Array): { mean: number[]; std: number[] } {
  const n = data.layout.numeric.width;
  const mean = new Array<number>(n).fill(0);
  const sq = new Array<number>(n).fill(0);
  for (const r of rows) for (let j = 0; j < n; j++) mean[j] += data.x[r * data.width + j];
  for (let j = 0; j < n; j++) mean[j] /= rows.length;
  for (const r of rows) {
    for (let j = 0; j < n; j++) sq[j] += (data.x[r * data.width + j] - mean[j]) ** 2;
  }
  // A constant feature has no spread: leave its scale alone rather than divide by zero.
  const std = sq.map((s) => Math.sqrt(s / rows.length)).map((s) => (s > 1e-12 ? s : 1));
  return { mean, std };
}

function buildModel(spec: TrainingSpec, data: PreparedData, stats: { mean: number[]; std: number[] }): tf.LayersModel {
  const { seed } = spec.hyperparameters;
  const { hiddenLayers, activation, dropout } = spec.architecture;
  const input = tf.input({ shape: [data.width], name: INPUT_NAME });
  const n = data.layout.numeric.width;
  const standardize = n > 0 ? tf.layers.dense({ units: n, name: 'standardize', trainable: false, kernelInitializer: 'zeros' }) : undefined;
  let h = encodedInput(input, data.layout, standardize, seed);
  hiddenLayers.forEach((units, i) => {
    h = tf.layers
      .dense({
        units,
        activation,
        name: `hidden_${i + 1}`,
        kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 4, i) }),
      })
      .apply(h) as tf.SymbolicTensor;
    if (dropout > 0)
      h = tf.layers.dropout({ rate: dropout, name: `dropout_${i + 1}`, seed: deriveSeed(seed, 5, i) }).apply(h) as tf.SymbolicTensor;
  });
  const classification = spec.task === 'classification';
  const output = tf.layers
    .dense({
      units: classification ? data.labels!.length : 1,
      activation: classification ? 'softmax' : 'linear',
      name: OUTPUT_NAME,
      kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, 4, hiddenLayers.length) }),
    })
    .apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: 'trained_model' });

  if (standardize) {
    const kernel = new Float32Array(n * n);
    for (let j = 0; j < n; j++) kernel[j * n + j] = 1 / stats.std[j];
    const bias = Float32Array.from(stats.mean, (m, j) => -m / stats.std[j]);
    const weights = [tf.tensor2d(kernel, [n, n]), tf.tensor1d(bias)];
    standardize.setWeights(weights);
    tf.dispose(weights);
  }
  return model;
}

/**
 * The input as the hidden layers see it. Numbers only: the standardised input (the layout of every
 * model trained before categories, unchanged). Otherwise each block is cut out of the input
 * (Reshape to [width, 1, 1], Cropping2D, Flatten: layers every tfjs runtime has), the numeric block
 * standardised, each embedded block projected, and the blocks concatenated.
 */
function encodedInput(input: tf.SymbolicTensor, layout: EncodingLayout, standardize: tf.layers.Layer | undefined, seed: number) {
  if (standardize && layout.numeric.width === layout.width) return standardize.apply(input) as tf.SymbolicTensor;
  const column = tf.layers.reshape({ targetShape: [layout.width, 1, 1], name: 'columns' }).apply(input) as tf.SymbolicTensor;
  const block = (start: number, width: number, name: string) => {
    const cropped = tf.layers
      .cropping2D({
        cropping: [
          [start, layout.width - start - width],
          [0, 0],
        ],
        name: `${name}_crop`,
      })
      .apply(column);
    return tf.layers.flatten({ name }).apply(cropped) as tf.SymbolicTensor;
  };
  const parts: tf.SymbolicTensor[] = [];
  if (standardize) parts.push(standardize.apply(block(0, layout.numeric.width, 'numeric')) as tf.SymbolicTensor);
  if (layout.passthrough.width > 0) parts.push(block(layout.passthrough.start, layout.passthrough.width, 'one_hot'));
  layout.embedded.forEach((e, k) => {
    const oneHot = block(e.start, e.width, `embedded_${k + 1}`);
    const embedding = tf.layers.dense({
      units: e.dim,
      useBias: false,
      name: `embedding_${k + 1}`,
      kernelInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: deriveSeed(seed, 6, k) }),
    });
    parts.push(embedding.apply(oneHot) as tf.SymbolicTensor);
  });
  return parts.length === 1 ? parts[0] : (tf.layers.concatenate({ name: 'encoded' }).apply(parts) as tf.SymbolicTensor);
}

function epochRecord(epoch: number, logs: tf.History, classification: boolean, durationMs: number): EpochRecord {
  const last = (key: string) => Number(logs.history[key]?.at(-1));
  const record: EpochRecord = { epoch, loss: last('loss'), valLoss: last('val_loss'), durationMs: Math.round(durationMs * 1000) / 1000 };
  if (classification) {
    record.accuracy = last('acc');
    record.valAccuracy = last('val_acc');
  } else {
    record.mae = last('mae');
    record.valMae = last('val_mae');
  }
  return record;
}

/** Loss and accuracy, or mse/mae/rmse/r2, measured on the given split; keys prefixed (trainLoss) unless the prefix is empty. */
function evaluate(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, classification: boolean, prefix: string): Record<string, number> {
  const key = (name: string) => (prefix ? `${prefix}${name[0].toUpperCase()}${name.slice(1)}` : name);
  const scalars = model.evaluate(x, y, { batchSize: 1024 }) as tf.Scalar[];
  const [loss, metric] = scalars.map((s) => s.dataSync()[0]);
  tf.dispose(scalars);
  if (classification) return { [key('loss')]: loss, [key('accuracy')]: metric };
  const r2 = tf.tidy(() => {
    const predicted = model.predict(x) as tf.Tensor;
    const residual = tf.sum(tf.square(tf.sub(y, predicted)));
    const total = tf.sum(tf.square(tf.sub(y, tf.mean(y))));
    return tf.sub(1, tf.div(residual, tf.maximum(total, 1e-12))).dataSync()[0];
  });
  return { [key('loss')]: loss, [key('mse')]: loss, [key('rmse')]: Math.sqrt(loss), [key('mae')]: metric, [key('r2')]: r2 };
}

/** The layout tfjs writes (model.json with its weights manifest + one weights file). */
async function saveModel(model: tf.LayersModel): Promise<[string, Uint8Array][]> {
  let files: [string, Uint8Array][] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatWeights(artifacts.weightData);
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
      };
      files = [
        ['model.json', new TextEncoder().encode(JSON.stringify(modelJson))],
        [WEIGHTS_FILE, weights],
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return files;
}

function concatWeights(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out;
}
