import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { selectTfBackend } from '@app/inference';
import { FeatureEncoder, layoutOf } from '@app/models';
import { ALREADY_CHECKED, readDataset, type DatasetContents } from '../../libs/training/src/datasets/dataset-reader';
import { TrainedModel, train } from '../../libs/training/src/trainer/trainer';
import type { TrainingSpec } from '../../libs/training/src/trainer/training-spec';
import { DEFAULT_FIXTURES_DIR, generateFixtures } from '../generate-fixtures';

/**
 * `npm run bench:training`: held-out quality of what ModelGate trains on a real table (the fixtures'
 * churn table: a known rule, text columns of 4 and 40 values, a boolean, ~10 % empty cells, ~1 %
 * rows without a target, one row in seven churned), beside
 *   - a plain TensorFlow.js script given the same encoded rows (same network, Adam, same epochs; no
 *     class weights, no early stopping): what the encoding alone buys;
 *   - scikit-learn's HistGradientBoostingClassifier on the same training rows (categories native,
 *     missing values native), when python3 with scikit-learn is installed (Debian: python3-sklearn).
 * All are scored on customers-holdout.csv (2,000 rows drawn by the same rule, never trained on):
 * accuracy, macro F1 and the churned class's F1; then the same table's numeric target `value`
 * (regression: MAE) against HistGradientBoostingRegressor. Every model runs with three seeds (a range).
 */

const FEATURES = ['tenure', 'monthly', 'plan', 'region', 'autopay'];
type Task = 'classification' | 'regression';
const CLASSES = ['churned', 'stayed'];
const SEEDS = [1, 2, 3];

interface Scores {
  accuracy: number;
  macroF1: number;
  churnedF1: number;
}

function scores(truth: string[], predicted: string[]): Scores {
  const f1 = (label: string) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truth.forEach((t, i) => {
      if (predicted[i] === label && t === label) tp++;
      else if (predicted[i] === label) fp++;
      else if (t === label) fn++;
    });
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
  };
  const accuracy = truth.filter((t, i) => t === predicted[i]).length / truth.length;
  return { accuracy, macroF1: (f1('churned') + f1('stayed')) / 2, churnedF1: f1('churned') };
}

const fmt = (s: Scores) => `accuracy ${s.accuracy.toFixed(3)}, macro F1 ${s.macroF1.toFixed(3)}, churned F1 ${s.churnedF1.toFixed(3)}`;

function rowsOf(dataset: DatasetContents, targetName = 'churn'): { features: Record<string, unknown>[]; truth: (string | null)[] } {
  const column = (name: string) => dataset.values![dataset.columns.findIndex((c) => c.name === name)];
  const columns = FEATURES.map(column);
  const target = column(targetName);
  return {
    features: Array.from({ length: dataset.rows }, (_, r) => Object.fromEntries(FEATURES.map((f, j) => [f, columns[j][r]]))),
    truth: Array.from({ length: dataset.rows }, (_, r) => target[r] as string | null),
  };
}

/** Mean absolute error of a regression version (ModelGate's trainer) on the held-out rows. */
async function modelGateRegression(training: DatasetContents, holdout: DatasetContents, seed: number) {
  const result = (await train(training, spec(seed, 'regression'))) as TrainedModel;
  const model = await loadTrained(result);
  const encoder = new FeatureEncoder(result.preprocessing.encoding!);
  const width = encoder.layout.width;
  const { features, truth } = rowsOf(holdout, 'value');
  const kept = features.filter((_, r) => truth[r] !== null);
  const x = new Float32Array(kept.length * width);
  kept.forEach((row, r) => encoder.encodeRow(row, x.subarray(r * width, (r + 1) * width), `row ${r}`, () => undefined));
  const predicted = tf.tidy(() => (model.predict(tf.tensor2d(x, [kept.length, width])) as tf.Tensor).dataSync());
  model.dispose();
  const actual = truth.filter((t) => t !== null) as unknown as number[];
  return { mae: actual.reduce((s, v, i) => s + Math.abs(v - predicted[i]), 0) / actual.length, result };
}

async function loadTrained(result: TrainedModel): Promise<tf.LayersModel> {
  const json = JSON.parse(new TextDecoder().decode(result.files[0][1]));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: result.files[1][1].slice().buffer,
    }),
  );
}

function spec(seed: number, task: Task = 'classification'): TrainingSpec {
  return {
    task,
    features: FEATURES,
    target: task === 'classification' ? 'churn' : 'value',
    architecture: { hiddenLayers: [32, 16], activation: 'relu', dropout: 0 },
    hyperparameters: {
      epochs: 60,
      batchSize: 64,
      learningRate: task === 'classification' ? 0.005 : 0.05,
      validationSplit: 0.2,
      seed,
      optimizer: 'adam',
      earlyStopping: { patience: 6, minDelta: 0 },
      missingIndicator: true,
      maxCategories: 100,
      embeddingAbove: 16,
    },
  };
}

async function modelGate(training: DatasetContents, holdout: DatasetContents, seed: number) {
  const started = performance.now();
  const result = (await train(training, spec(seed))) as TrainedModel;
  const seconds = (performance.now() - started) / 1000;
  const model = await loadTrained(result);
  const encoding = result.preprocessing.encoding!;
  const encoder = new FeatureEncoder(encoding);
  const width = layoutOf(encoding).width;
  const { features, truth } = rowsOf(holdout);
  const x = new Float32Array(features.length * width);
  features.forEach((row, r) => encoder.encodeRow(row, x.subarray(r * width, (r + 1) * width), `row ${r}`, () => undefined));
  const predicted = argmaxLabels(model, x, width, result.labels!);
  model.dispose();
  return { scores: scores(truth as string[], predicted), result, seconds, encoder, width };
}

function argmaxLabels(model: tf.LayersModel, x: Float32Array, width: number, labels: string[]): string[] {
  const out = tf.tidy(() => (model.predict(tf.tensor2d(x, [x.length / width, width])) as tf.Tensor).argMax(1).dataSync());
  return Array.from(out, (k) => labels[k]);
}

/** The same encoded rows (ModelGate's encoder), standardised by hand, into a plain Sequential model. */
async function plainTfjs(training: DatasetContents, holdout: DatasetContents, encoder: FeatureEncoder, width: number, epochs: number) {
  const encode = (rows: Record<string, unknown>[]) => {
    const x = new Float32Array(rows.length * width);
    rows.forEach((row, r) => encoder.encodeRow(row, x.subarray(r * width, (r + 1) * width), `row ${r}`, () => undefined));
    return x;
  };
  const train = rowsOf(training);
  const keep = train.truth.map((t, i) => (t === null ? -1 : i)).filter((i) => i >= 0);
  const x = encode(keep.map((i) => train.features[i]));
  const y = Int32Array.from(keep, (i) => CLASSES.indexOf(train.truth[i]!));
  const n = encoder.layout.numeric.width;
  const mean = new Float32Array(width);
  const std = new Float32Array(width).fill(1);
  for (let j = 0; j < n; j++) {
    let s = 0;
    let sq = 0;
    for (let r = 0; r < keep.length; r++) s += x[r * width + j];
    mean[j] = s / keep.length;
    for (let r = 0; r < keep.length; r++) sq += (x[r * width + j] - mean[j]) ** 2;
    std[j] = Math.sqrt(sq / keep.length) || 1;
  }
  const scale = (v: Float32Array) => v.map((value, i) => (value - mean[i % width]) / std[i % width]);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [width], units: 32, activation: 'relu' }),
      tf.layers.dense({ units: 16, activation: 'relu' }),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.005), loss: 'sparseCategoricalCrossentropy' });
  const xs = tf.tensor2d(scale(x), [keep.length, width]);
  const ys = tf.tensor1d(y, 'float32');
  await model.fit(xs, ys, { epochs, batchSize: 64, validationSplit: 0.2, verbose: 0 });
  tf.dispose([xs, ys]);
  const { features, truth } = rowsOf(holdout);
  const predicted = argmaxLabels(model, scale(encode(features)), width, CLASSES);
  model.dispose();
  return scores(truth as string[], predicted);
}

const SKLEARN = `
import sys, csv, math
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score
def load(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows
train, hold = load(sys.argv[1]), load(sys.argv[2])
train = [r for r in train if r['churn'] != '']
cats = {name: sorted({r[name] for r in train if r[name] != ''}) for name in ['plan', 'region', 'autopay']}
def encode(rows):
    X = np.full((len(rows), 5), np.nan)
    for i, r in enumerate(rows):
        for j, name in enumerate(['tenure', 'monthly']):
            if r[name] != '': X[i, j] = float(r[name])
        for j, name in enumerate(['plan', 'region', 'autopay']):
            v = r[name]
            if v != '' and v in cats[name]: X[i, 2 + j] = cats[name].index(v)
    return X
mask = [False, False, True, True, True]
scores = []
for seed in [1, 2, 3]:
    clf = HistGradientBoostingClassifier(categorical_features=mask, random_state=seed, early_stopping=True)
    clf.fit(encode(train), [r['churn'] for r in train])
    p = clf.predict(encode(hold))
    t = [r['churn'] for r in hold]
    scores.append((accuracy_score(t, p), f1_score(t, p, average='macro'), f1_score(t, p, pos_label='churned')))
for a, m, c in scores:
    print(f"{a:.3f} {m:.3f} {c:.3f}")
from sklearn.ensemble import HistGradientBoostingRegressor
train_v = [r for r in load(sys.argv[1]) if r['value'] != '']
hold_v = [r for r in hold if r['value'] != '']
for seed in [1, 2, 3]:
    reg = HistGradientBoostingRegressor(categorical_features=mask, random_state=seed, early_stopping=True)
    reg.fit(encode(train_v), [float(r['value']) for r in train_v])
    p = reg.predict(encode(hold_v))
    print(f"mae {np.mean(np.abs(p - np.array([float(r['value']) for r in hold_v]))):.2f}")
`;

/** The first python3 that has scikit-learn: the one on PATH (a virtualenv, pyenv), else Debian's. */
function python(): string {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    if (spawnSync(candidate, ['-c', 'import sklearn'], { encoding: 'utf8' }).status === 0) return candidate;
  }
  return 'python3';
}

function sklearn(trainingPath: string, holdoutPath: string): { scores: Scores[]; maes: number[] } | string {
  const run = spawnSync(python(), ['-c', SKLEARN, trainingPath, holdoutPath], { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    return /No module named 'sklearn'/.test(run.stderr ?? '')
      ? 'skipped: scikit-learn is not installed (Debian: apt-get install python3-sklearn)'
      : `skipped: python3 failed (${(run.stderr || String(run.error)).trim().split('\n').pop()})`;
  }
  const lines = run.stdout.trim().split('\n');
  return {
    scores: lines
      .filter((line) => !line.startsWith('mae '))
      .map((line) => {
        const [accuracy, macroF1, churnedF1] = line.split(' ').map(Number);
        return { accuracy, macroF1, churnedF1 };
      }),
    maes: lines.filter((line) => line.startsWith('mae ')).map((line) => Number(line.slice(4))),
  };
}

const range = (values: number[]) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
const rangeOf = (all: Scores[]) =>
  `accuracy ${range(all.map((s) => s.accuracy))}, macro F1 ${range(all.map((s) => s.macroF1))}, churned F1 ${range(all.map((s) => s.churnedF1))}`;

async function main(): Promise<void> {
  await generateFixtures();
  const { backend } = await selectTfBackend('auto');
  const trainingPath = join(DEFAULT_FIXTURES_DIR, 'datasets', 'customers.csv');
  const holdoutPath = join(DEFAULT_FIXTURES_DIR, 'datasets', 'customers-holdout.csv');
  const read = (path: string) => readDataset(readFileSync(path), { limits: ALREADY_CHECKED, collect: true });
  const [training, holdout] = await Promise.all([read(trainingPath), read(holdoutPath)]);
  console.log(`training on ${training.rows} rows (customers.csv), scoring ${holdout.rows} held-out rows; tfjs backend ${backend}`);

  const ours: Scores[] = [];
  const plain: Scores[] = [];
  for (const seed of SEEDS) {
    const run = await modelGate(training, holdout, seed);
    ours.push(run.scores);
    console.log(
      `  ModelGate seed ${seed}: ${fmt(run.scores)} (stopped at epoch ${run.result.stoppedEpoch}, ${run.result.stopReason}; ${run.seconds.toFixed(1)} s)`,
    );
    const baseline = await plainTfjs(training, holdout, run.encoder, run.width, run.result.stoppedEpoch);
    plain.push(baseline);
    console.log(`  plain tfjs (same encoded rows, ${run.result.stoppedEpoch} epochs): ${fmt(baseline)}`);
  }
  const maes: number[] = [];
  for (const seed of SEEDS) {
    const run = await modelGateRegression(training, holdout, seed);
    maes.push(run.mae);
    console.log(`  ModelGate regression (value) seed ${seed}: MAE ${run.mae.toFixed(2)} (stopped at epoch ${run.result.stoppedEpoch})`);
  }
  const reference = sklearn(trainingPath, holdoutPath);
  console.log('\nclassification (churn), held out:');
  console.log(`  ModelGate:                 ${rangeOf(ours)}`);
  console.log(`  plain TensorFlow.js:       ${rangeOf(plain)}`);
  if (typeof reference === 'string') console.log(`  HistGradientBoosting:      ${reference}`);
  else {
    console.log(`  HistGradientBoosting:      ${rangeOf(reference.scores)}`);
    const gap = Math.max(...reference.scores.map((s) => s.accuracy)) - Math.min(...ours.map((s) => s.accuracy));
    console.log(`  accuracy gap (best HistGradientBoosting − worst ModelGate): ${gap.toFixed(3)} (target ≤ 0.02)`);
  }
  console.log('regression (value; its noise alone gives MAE ≈ 12, the empty cells more), held out:');
  console.log(`  ModelGate:                 MAE ${Math.min(...maes).toFixed(2)}–${Math.max(...maes).toFixed(2)}`);
  if (typeof reference !== 'string') {
    console.log(`  HistGradientBoosting:      MAE ${Math.min(...reference.maes).toFixed(2)}–${Math.max(...reference.maes).toFixed(2)}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
