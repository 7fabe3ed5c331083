import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type * as Tf from '@tensorflow/tfjs';
import * as tar from 'tar';
import { ZipFile } from 'yazl';
import { mulberry32 } from '../libs/inference/src/util/prng';

/**
 * Makes the small models and datasets the tests, the bench and the docs use, from seeds, in this
 * process: nothing is downloaded. Output (default test/fixtures/generated, git-ignored):
 *
 *   classifier/     4 → 16 relu → 3 softmax, trained on datasets/blobs.csv, + labels.json
 *   multi-shard/    the same trained classifier, weights split over 3 shard files
 *   mlp-bench/      32 → 64 → 64 → 3 softmax, seeded random weights (serving benchmark)
 *   mlp-large/      256 → 1024 → 1024 → 10 softmax (1.3 M parameters), seeded random weights (serving benchmark)
 *   regressor/      3 → 1 linear, trained on datasets/regression.csv
 *   graph/          a hand-written tfjs graph model (GraphDef JSON): y = x·W + b, 4 → 3
 *   two-input/      functional, inputs `features` float32 [-1,3] and `tokens` int32 [-1,4] (ids 0..19):
 *                   Dense(features) ‖ Flatten(Embedding 20×4 (tokens)) → `class_probs` Dense 3 softmax
 *   two-output/     functional, input `x` float32 [-1,4] → shared Dense 8 relu → `species` Dense 3
 *                   softmax and `size` Dense 1 linear
 *   string-graph/   a hand-written graph model: `text` DT_STRING [-1] → StringToHashBucketFast(16) →
 *                   GatherV2 over a [16, 4] table → `embedding` float32 [-1, 4] (runs on cpu and wasm)
 *   reference/<name>.json   tfjs' own outputs on the in-memory model it saved: {inputs, outputs} as
 *                   rows for the single-tensor models (FixtureReference); for two-input, two-output and
 *                   string-graph {inputs: {name: rows}, outputs: {name: rows}}, every row flat
 *                   (NamedFixtureReference; a `text` row is [string])
 *   datasets/blobs.csv, datasets/regression.csv
 *   datasets/customers.csv, datasets/customers-holdout.csv   a churn table with a known rule (see
 *                   makeCustomers): numeric, text (4 and 40 values) and boolean columns, ~10 % empty
 *                   feature cells, ~1 % empty targets, ~1 in 4 rows `churned`
 *   classifier.zip, classifier.tar.gz   upload archives of classifier/
 *   index.json      what is where (shapes, labels, metrics)
 *
 * Deterministic: seeded data, seeded initialisers, unshuffled training on the pure-JS cpu backend.
 * A `.complete` marker holds a hash of this generator; it regenerates only when that changes.
 */

export const LABELS = ['setosa', 'versicolor', 'virginica'];
export const BLOBS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
export const REGRESSION_FEATURES = ['x1', 'x2', 'x3'];
/** regression.csv: y = x·REGRESSION_WEIGHTS + REGRESSION_BIAS + N(0, 0.05²). */
export const REGRESSION_WEIGHTS = [2, -3, 0.5];
export const REGRESSION_BIAS = 1;

/**
 * tfjs is loaded only when something must be generated: Jest's globalSetup calls this in its own
 * process on every run, and globals tfjs leaves there would leak into the test sandboxes.
 */
let tf: typeof Tf;

const REPO_ROOT = findRepoRoot(__dirname);
export const DEFAULT_FIXTURES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'generated');
const MARKER = '.complete';

export interface FixtureReference {
  inputs: number[][];
  outputs: number[][];
}

/** For models with several, or non-numeric, tensors: rows per tensor name, each row flattened row-major. */
export interface NamedFixtureReference {
  inputs: Record<string, (number | string)[][]>;
  outputs: Record<string, number[][]>;
}

/** How index.json describes one tensor of the named-tensor fixtures (tfjs dtype names, -1 = any batch). */
export interface FixtureTensorSpec {
  name: string;
  dtype: 'float32' | 'int32' | 'string';
  shape: number[];
}

export const TWO_INPUT_TOKEN_VOCABULARY = 20;
export const STRING_GRAPH_BUCKETS = 16;

export async function generateFixtures(outDir: string = DEFAULT_FIXTURES_DIR): Promise<void> {
  const fingerprint = generatorFingerprint();
  if (isCurrent(outDir, fingerprint)) return;
  const release = await acquireLock(`${outDir}.lock`);
  try {
    // Another process (a parallel Jest worker) may have finished while this one waited.
    if (isCurrent(outDir, fingerprint)) return;
    const staging = `${outDir}.tmp-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    tf = await import('@tensorflow/tfjs');
    await withCpuBackend(() => writeAll(staging));
    writeFileSync(join(staging, MARKER), fingerprint);
    rmSync(outDir, { recursive: true, force: true });
    renameSync(staging, outDir);
  } finally {
    release();
  }
}

async function writeAll(dir: string): Promise<void> {
  const index: Record<string, unknown> = {};

  // --- datasets
  const blobs = makeBlobs(600, 7);
  writeCsv(
    join(dir, 'datasets', 'blobs.csv'),
    [...BLOBS_FEATURES, 'species'],
    blobs.map((r) => [...r.x, LABELS[r.y]]),
  );
  const regression = makeRegression(400, 11);
  writeCsv(
    join(dir, 'datasets', 'regression.csv'),
    [...REGRESSION_FEATURES, 'y'],
    regression.map((r) => [...r.x, r.y]),
  );
  const customers = makeCustomers(4000, 21);
  writeCsv(join(dir, 'datasets', 'customers.csv'), CUSTOMER_COLUMNS, customers);
  writeCsv(join(dir, 'datasets', 'customers-holdout.csv'), CUSTOMER_COLUMNS, makeCustomers(2000, 22, false));
  index.datasets = {
    customers: {
      file: 'datasets/customers.csv',
      holdout: 'datasets/customers-holdout.csv',
      rows: customers.length,
      features: CUSTOMER_FEATURES,
      target: 'churn',
    },
    blobs: { file: 'datasets/blobs.csv', rows: blobs.length, features: BLOBS_FEATURES, target: 'species', classes: LABELS },
    regression: { file: 'datasets/regression.csv', rows: regression.length, features: REGRESSION_FEATURES, target: 'y' },
  };

  // --- classifier (+ the same weights in three shards)
  // Functional models with named tensors (what the v2 protocol shows); the regressor below is a
  // Sequential model so that both topologies are covered.
  const classifier = denseModel(4, [16], 3, 'softmax', 1);
  classifier.compile({ optimizer: tf.train.adam(0.03), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const bx = tf.tensor2d(blobs.map((r) => r.x));
  const by = tf.tensor1d(
    blobs.map((r) => r.y),
    'float32',
  );
  await classifier.fit(bx, by, { epochs: 60, batchSize: 32, shuffle: false, verbose: 0 });
  const predicted = tf.tidy(() => (classifier.predict(bx) as Tf.Tensor).argMax(-1).dataSync());
  const accuracy = blobs.filter((r, i) => predicted[i] === r.y).length / blobs.length;
  tf.dispose([bx, by]);
  await saveModel(classifier, join(dir, 'classifier'), 1);
  await saveModel(classifier, join(dir, 'multi-shard'), 3);
  writeJson(join(dir, 'classifier', 'labels.json'), LABELS);
  writeJson(join(dir, 'multi-shard', 'labels.json'), LABELS);
  const classifierReference = reference(
    classifier,
    blobs.slice(0, 24).map((r) => r.x),
  );
  writeJson(join(dir, 'reference', 'classifier.json'), classifierReference);
  writeJson(join(dir, 'reference', 'multi-shard.json'), classifierReference);
  classifier.dispose();
  index.classifier = { dir: 'classifier', framework: 'tfjs-layers', inputShape: [-1, 4], outputShape: [-1, 3], labels: LABELS, accuracy };
  index['multi-shard'] = {
    dir: 'multi-shard',
    framework: 'tfjs-layers',
    inputShape: [-1, 4],
    outputShape: [-1, 3],
    labels: LABELS,
    shards: 3,
  };

  // --- bench MLP
  const mlp = denseModel(32, [64, 64], 3, 'softmax', 3);
  await saveModel(mlp, join(dir, 'mlp-bench'), 1);
  writeJson(join(dir, 'reference', 'mlp-bench.json'), reference(mlp, gaussianRows(16, 32, 13)));
  mlp.dispose();
  index['mlp-bench'] = { dir: 'mlp-bench', framework: 'tfjs-layers', inputShape: [-1, 32], outputShape: [-1, 3] };
  // Where the math, not the HTTP, dominates: what an inference thread pool is for.
  const large = denseModel(256, [1024, 1024], 10, 'softmax', 5);
  await saveModel(large, join(dir, 'mlp-large'), 2);
  writeJson(join(dir, 'reference', 'mlp-large.json'), reference(large, gaussianRows(4, 256, 17)));
  large.dispose();
  index['mlp-large'] = { dir: 'mlp-large', framework: 'tfjs-layers', inputShape: [-1, 256], outputShape: [-1, 10] };

  // --- regressor
  const regressor = tf.sequential({
    layers: [
      tf.layers.dense({ name: 'prediction', inputShape: [3], units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 8 }) }),
    ],
  });
  regressor.compile({ optimizer: tf.train.adam(0.1), loss: 'meanSquaredError' });
  const rx = tf.tensor2d(regression.map((r) => r.x));
  const ry = tf.tensor2d(regression.map((r) => [r.y]));
  const history = await regressor.fit(rx, ry, { epochs: 80, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([rx, ry]);
  await saveModel(regressor, join(dir, 'regressor'), 1);
  writeJson(
    join(dir, 'reference', 'regressor.json'),
    reference(
      regressor,
      regression.slice(0, 16).map((r) => r.x),
    ),
  );
  regressor.dispose();
  const mse = history.history.loss.at(-1) as number;
  index.regressor = { dir: 'regressor', framework: 'tfjs-layers', inputShape: [-1, 3], outputShape: [-1, 1], mse };

  // --- graph model
  const graph = graphModelFiles(17);
  writeFiles(join(dir, 'graph'), graph.files);
  const graphModel = await tf.loadGraphModel(tf.io.fromMemory(graph.artifacts));
  const graphInputs = gaussianRows(16, 4, 19);
  const graphOutputs = tf.tidy(() => (graphModel.execute(tf.tensor2d(graphInputs)) as Tf.Tensor).arraySync() as number[][]);
  graphModel.dispose();
  writeJson(join(dir, 'reference', 'graph.json'), { inputs: graphInputs, outputs: graphOutputs });
  index.graph = { dir: 'graph', framework: 'tfjs-graph', inputShape: [-1, 4], outputShape: [-1, 3], weights: { W: graph.W, b: graph.b } };

  // --- named-tensor models: several inputs, several outputs, a string input
  index['two-input'] = await writeLayersFixture(dir, 'two-input', twoInputModel(23), {
    features: gaussianRows(12, 3, 29),
    tokens: tokenRows(12, 4, 31),
  });
  index['two-output'] = await writeLayersFixture(dir, 'two-output', twoOutputModel(37), { x: gaussianRows(12, 4, 41) });
  index['string-graph'] = await writeStringGraphFixture(dir, 43);

  // --- upload archives
  await writeArchives(dir, 'classifier');
  index.archives = { zip: 'classifier.zip', tarGz: 'classifier.tar.gz', of: 'classifier' };

  writeJson(join(dir, 'index.json'), index);
}

// ---------------------------------------------------------------- models

/** features → hidden relu layers → output, every initialiser seeded (random, non-zero biases). */
function denseModel(inputs: number, hidden: number[], outputs: number, activation: 'softmax' | 'linear', seed: number): Tf.LayersModel {
  const input = tf.input({ shape: [inputs], name: 'features' });
  let x: Tf.SymbolicTensor = input;
  [...hidden, outputs].forEach((units, i) => {
    const last = i === hidden.length;
    x = tf.layers
      .dense({
        name: last ? (activation === 'softmax' ? 'probabilities' : 'prediction') : `hidden_${i + 1}`,
        units,
        activation: last ? activation : 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + i }),
        biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed * 100 + 50 + i }),
      })
      .apply(x) as Tf.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs: x });
}

/** Two named inputs of different dtypes meeting in one output: tokens are embedded, features go through a Dense. */
function twoInputModel(seed: number): Tf.LayersModel {
  const features = tf.input({ shape: [3], name: 'features', dtype: 'float32' });
  const tokens = tf.input({ shape: [4], name: 'tokens', dtype: 'int32' });
  const dense = tf.layers
    .dense({
      name: 'features_dense',
      units: 4,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed * 100 + 50 }),
    })
    .apply(features) as Tf.SymbolicTensor;
  const embedded = tf.layers
    .embedding({
      name: 'token_embedding',
      inputDim: TWO_INPUT_TOKEN_VOCABULARY,
      outputDim: 4,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -1, maxval: 1, seed: seed * 100 + 1 }),
    })
    .apply(tokens) as Tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'token_flatten' }).apply(embedded) as Tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([dense, flat]) as Tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      name: 'class_probs',
      units: 3,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 2 }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed * 100 + 52 }),
    })
    .apply(joined) as Tf.SymbolicTensor;
  return tf.model({ name: 'two_input', inputs: [features, tokens], outputs: output });
}

/** One input, a shared trunk, two heads of different widths and activations. */
function twoOutputModel(seed: number): Tf.LayersModel {
  const x = tf.input({ shape: [4], name: 'x', dtype: 'float32' });
  const head = (name: string, units: number, activation: 'relu' | 'softmax' | 'linear', i: number) =>
    tf.layers.dense({
      name,
      units,
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + i }),
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: seed * 100 + 50 + i }),
    });
  const trunk = head('trunk', 8, 'relu', 0).apply(x) as Tf.SymbolicTensor;
  const species = head('species', 3, 'softmax', 1).apply(trunk) as Tf.SymbolicTensor;
  const size = head('size', 1, 'linear', 2).apply(trunk) as Tf.SymbolicTensor;
  return tf.model({ name: 'two_output', inputs: x, outputs: [species, size] });
}

/**
 * Saves a functional model, records tfjs' outputs per tensor name on `inputs` (rows keyed by input
 * name, in any order) and returns its index.json entry.
 */
async function writeLayersFixture(
  dir: string,
  name: string,
  model: Tf.LayersModel,
  inputs: Record<string, number[][]>,
): Promise<Record<string, unknown>> {
  await saveModel(model, join(dir, name), 1);
  const outputs = tf.tidy(() => {
    const feeds = model.inputs.map((input, i) => tf.tensor2d(inputs[model.inputNames[i]], undefined, input.dtype));
    const predicted = model.predict(feeds.length === 1 ? feeds[0] : feeds);
    const tensors = Array.isArray(predicted) ? predicted : [predicted];
    return Object.fromEntries(model.outputNames.map((n, i) => [n, tensors[i].arraySync() as number[][]]));
  });
  const reference: NamedFixtureReference = { inputs, outputs };
  writeJson(join(dir, 'reference', `${name}.json`), reference);
  const spec = (t: Tf.SymbolicTensor, n: string): FixtureTensorSpec => ({
    name: n,
    dtype: t.dtype as FixtureTensorSpec['dtype'],
    shape: t.shape.map((d) => d ?? -1),
  });
  const entry = {
    dir: name,
    framework: 'tfjs-layers',
    reference: `reference/${name}.json`,
    inputs: model.inputs.map((t, i) => spec(t, model.inputNames[i])),
    outputs: model.outputs.map((t, i) => spec(t, model.outputNames[i])),
  };
  model.dispose();
  return entry;
}

async function writeStringGraphFixture(dir: string, seed: number): Promise<Record<string, unknown>> {
  const graph = stringGraphModelFiles(seed);
  writeFiles(join(dir, 'string-graph'), graph.files);
  const model = await tf.loadGraphModel(tf.io.fromMemory(graph.artifacts));
  const text = stringRows(12, seed + 1);
  const embedding = tf.tidy(() => (model.execute(tf.tensor(text.flat(), [text.length], 'string')) as Tf.Tensor).arraySync() as number[][]);
  model.dispose();
  const reference: NamedFixtureReference = { inputs: { text }, outputs: { embedding } };
  writeJson(join(dir, 'reference', 'string-graph.json'), reference);
  return {
    dir: 'string-graph',
    framework: 'tfjs-graph',
    reference: 'reference/string-graph.json',
    inputs: [{ name: 'text', dtype: 'string', shape: [-1] }] satisfies FixtureTensorSpec[],
    outputs: [{ name: 'embedding', dtype: 'float32', shape: [-1, 4] }] satisfies FixtureTensorSpec[],
    buckets: STRING_GRAPH_BUCKETS,
    weights: { table: graph.table },
  };
}

// ---------------------------------------------------------------- saving

/**
 * tfjs' own `model.save` with an IOHandler that writes tfjs' file layout: model.json with the
 * weights manifest + `groupN-shardKofM.bin`. Shards are cut at byte counts, not weight
 * boundaries, exactly as tensorflowjs_converter does, so a weight may span two files.
 */
async function saveModel(model: Tf.LayersModel, dir: string, shards: number): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = toBuffer(artifacts.weightData);
      const shardSize = Math.ceil(weights.length / shards);
      const paths = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
      const files = new Map<string, Buffer>(paths.map((p, i) => [p, weights.subarray(i * shardSize, (i + 1) * shardSize)]));
      const modelJson = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      files.set('model.json', Buffer.from(JSON.stringify(modelJson)));
      writeFiles(dir, files);
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
}

function toBuffer(data: Tf.io.WeightData | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  return Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
}

function reference(model: Tf.LayersModel, inputs: number[][]): FixtureReference {
  const outputs = tf.tidy(() => (model.predict(tf.tensor2d(inputs)) as Tf.Tensor).arraySync() as number[][]);
  return { inputs, outputs };
}

/**
 * A graph model as tensorflowjs_converter would write it for `y = x @ W + b` (a Keras-free TF
 * function): Placeholder → MatMul(Const W) → BiasAdd(Const b) → Identity, with a serving signature.
 */
function graphModelFiles(seed: number): { files: Map<string, Buffer>; artifacts: Tf.io.ModelArtifacts; W: number[][]; b: number[] } {
  const rand = mulberry32(seed);
  const W = Array.from({ length: 4 }, () => Array.from({ length: 3 }, () => round(rand() * 2 - 1, 4)));
  const b = Array.from({ length: 3 }, () => round(rand() * 0.2 - 0.1, 4));
  const float = { type: 'DT_FLOAT' };
  const shape = (...dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });
  const modelTopology = {
    node: [
      { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: shape(-1, 4) } } },
      { name: 'W', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shape(4, 3) } } } },
      { name: 'b', op: 'Const', attr: { dtype: float, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: shape(3) } } } },
      { name: 'MatMul', op: 'MatMul', input: ['x', 'W'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
      {
        name: 'BiasAdd',
        op: 'BiasAdd',
        input: ['MatMul', 'b'],
        attr: { T: float, data_format: { s: Buffer.from('NHWC').toString('base64') } },
      },
      { name: 'Identity', op: 'Identity', input: ['BiasAdd'], attr: { T: float } },
    ],
    library: {},
    versions: { producer: 1482 },
  };
  const signature = {
    inputs: { 'x:0': { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 4) } },
    outputs: { 'Identity:0': { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 3) } },
  };
  const weightSpecs: Tf.io.WeightsManifestEntry[] = [
    { name: 'W', shape: [4, 3], dtype: 'float32' },
    { name: 'b', shape: [3], dtype: 'float32' },
  ];
  const weights = Buffer.from(new Float32Array([...W.flat(), ...b]).buffer);
  return { ...graphArtifact(modelTopology, signature, weightSpecs, weights), W, b };
}

/**
 * A text model as tensorflowjs_converter would write it for `tf.gather(table,
 * tf.strings.to_hash_bucket_fast(text, 16))`: Placeholder(string) → StringToHashBucketFast (int64
 * in TF, int32 in tfjs; GatherV2 takes either, so no Cast) → GatherV2(Const table, axis Const 0) → Identity.
 * Both backends tfjs serves with implement every op (wasm registers StringToHashBucketFast itself).
 */
function stringGraphModelFiles(seed: number): { files: Map<string, Buffer>; artifacts: Tf.io.ModelArtifacts; table: number[][] } {
  const rand = mulberry32(seed);
  const table = Array.from({ length: STRING_GRAPH_BUCKETS }, () => Array.from({ length: 4 }, () => round(rand() * 2 - 1, 4)));
  const type = (t: string) => ({ type: t });
  const shape = (...dims: number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });
  const constant = (name: string, dtype: string, dims: number[]) => ({
    name,
    op: 'Const',
    attr: { dtype: type(dtype), value: { tensor: { dtype, tensorShape: dims.length ? shape(...dims) : {} } } },
  });
  const modelTopology = {
    node: [
      { name: 'text', op: 'Placeholder', attr: { dtype: type('DT_STRING'), shape: { shape: shape(-1) } } },
      constant('table', 'DT_FLOAT', [STRING_GRAPH_BUCKETS, 4]),
      constant('axis', 'DT_INT32', []),
      { name: 'buckets', op: 'StringToHashBucketFast', input: ['text'], attr: { num_buckets: { i: String(STRING_GRAPH_BUCKETS) } } },
      {
        name: 'lookup',
        op: 'GatherV2',
        input: ['table', 'buckets', 'axis'],
        attr: { Tparams: type('DT_FLOAT'), Tindices: type('DT_INT64'), Taxis: type('DT_INT32'), batch_dims: { i: '0' } },
      },
      { name: 'embedding', op: 'Identity', input: ['lookup'], attr: { T: type('DT_FLOAT') } },
    ],
    library: {},
    versions: { producer: 1482 },
  };
  const signature = {
    inputs: { 'text:0': { name: 'text:0', dtype: 'DT_STRING', tensorShape: shape(-1) } },
    outputs: { 'embedding:0': { name: 'embedding:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 4) } },
  };
  const weightSpecs: Tf.io.WeightsManifestEntry[] = [
    { name: 'table', shape: [STRING_GRAPH_BUCKETS, 4], dtype: 'float32' },
    { name: 'axis', shape: [], dtype: 'int32' },
  ];
  const weights = Buffer.concat([Buffer.from(new Float32Array(table.flat()).buffer), Buffer.from(new Int32Array([0]).buffer)]);
  return { ...graphArtifact(modelTopology, signature, weightSpecs, weights), table };
}

/** A hand-written GraphDef as tensorflowjs_converter lays it out: model.json + one shard, and the same as in-memory artifacts. */
function graphArtifact(
  modelTopology: object,
  signature: object,
  weightSpecs: Tf.io.WeightsManifestEntry[],
  weights: Buffer,
): { files: Map<string, Buffer>; artifacts: Tf.io.ModelArtifacts } {
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'modelgate generate-fixtures',
    convertedBy: 'hand-written GraphDef (scripts/generate-fixtures.ts)',
    modelTopology,
    signature,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: weightSpecs }],
  };
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return {
    files: new Map([
      ['model.json', Buffer.from(JSON.stringify(modelJson))],
      ['group1-shard1of1.bin', weights],
    ]),
    artifacts: { modelTopology, format: 'graph-model', signature, weightSpecs, weightData },
  };
}

async function writeArchives(dir: string, name: string): Promise<void> {
  const root = join(dir, name);
  const entries = ['model.json', 'group1-shard1of1.bin', 'labels.json'];
  // Fixed timestamps and modes so the archives' bytes (and sha256) are reproducible.
  await tar.c({ gzip: true, cwd: root, file: join(dir, `${name}.tar.gz`), portable: true, mtime: new Date(0) }, entries);
  const zip = new ZipFile();
  for (const entry of entries) zip.addBuffer(readFileSync(join(root, entry)), entry, { mtime: new Date(0), mode: 0o100644 });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(join(dir, `${name}.zip`)));
}

// ---------------------------------------------------------------- data

function makeBlobs(n: number, seed: number): { x: number[]; y: number }[] {
  const centres = [
    [5.0, 3.4, 1.5, 0.3],
    [5.9, 2.8, 4.3, 1.3],
    [6.8, 3.1, 5.8, 2.2],
  ];
  const spread = [0.35, 0.3, 0.35, 0.2];
  const normal = gaussian(seed);
  const rows = Array.from({ length: n }, (_, i) => {
    const y = i % 3;
    return { x: centres[y].map((c, j) => round(c + normal() * spread[j], 2)), y };
  });
  return shuffle(rows, mulberry32(seed + 1));
}

export const CUSTOMER_FEATURES = ['tenure', 'monthly', 'plan', 'region', 'autopay'];
const CUSTOMER_COLUMNS = [...CUSTOMER_FEATURES, 'churn', 'value'];
const PLANS: [string, number, number, number][] = [
  // name, share of customers, effect on the churn score, on the value
  ['basic', 0.45, 0.8, 0],
  ['standard', 0.3, 0, 40],
  ['premium', 0.2, -0.8, 90],
  ['enterprise', 0.05, -1.6, 200],
];

/**
 * A churn table with a known rule: score = −0.05·tenure + 0.03·(monthly − 70) + plan effect +
 * region effect (40 regions, effects in [−1, 1]) + (autopay ? −1 : 0.5) + N(0, 0.5²); churned when the
 * score is above 0 (about one row in four). Then ~10 % of the feature cells are emptied (the rule saw
 * the full row) and, with `dropTargets`, ~1 % of the targets. A second target, `value` (regression):
 * 30·√tenure + 2·monthly + plan value + 40·region effect + (autopay ? 25 : 0) + N(0, 15²).
 */
function makeCustomers(n: number, seed: number, dropTargets = true): (string | number)[][] {
  const rand = mulberry32(seed);
  const effects = mulberry32(5);
  const regions = Array.from({ length: 40 }, (_, i) => ({ name: `r${String(i + 1).padStart(2, '0')}`, effect: effects() * 2 - 1 }));
  const normal = gaussian(seed + 1);
  return Array.from({ length: n }, () => {
    const tenure = Math.floor(rand() * 73);
    const monthly = round(70 + normal() * 25, 2);
    let pick = rand();
    const plan = PLANS.find(([, share]) => (pick -= share) < 0) ?? PLANS[0];
    // Regions are skewed: low numbers are more common (a long tail, as real categories have).
    const region = regions[Math.floor(regions.length * rand() ** 2)];
    const autopay = rand() < 0.6;
    const score = -0.05 * tenure + 0.03 * (monthly - 70) + plan[2] + region.effect + (autopay ? -1 : 0.5) + normal() * 0.5;
    const row: (string | number)[] = [tenure, monthly, plan[0], region.name, String(autopay)];
    for (let j = 0; j < row.length; j++) if (rand() < 0.1) row[j] = '';
    row.push(dropTargets && rand() < 0.01 ? '' : score > 0 ? 'churned' : 'stayed');
    const value = 30 * Math.sqrt(tenure) + 2 * monthly + plan[3] + 40 * region.effect + (autopay ? 25 : 0) + normal() * 15;
    row.push(dropTargets && rand() < 0.01 ? '' : round(value, 2));
    return row;
  });
}

function makeRegression(n: number, seed: number): { x: number[]; y: number }[] {
  const rand = mulberry32(seed);
  const normal = gaussian(seed + 1);
  return Array.from({ length: n }, () => {
    const x = REGRESSION_FEATURES.map(() => round(rand() * 4 - 2, 4));
    const y = x.reduce((s, v, j) => s + v * REGRESSION_WEIGHTS[j], REGRESSION_BIAS) + normal() * 0.05;
    return { x, y: round(y, 4) };
  });
}

function gaussianRows(rows: number, width: number, seed: number): number[][] {
  const normal = gaussian(seed);
  return Array.from({ length: rows }, () => Array.from({ length: width }, () => round(normal(), 4)));
}

/** Seeded token ids in [0, vocabulary); the first two rows pin both ends of the range. */
function tokenRows(rows: number, width: number, seed: number): number[][] {
  const rand = mulberry32(seed);
  const out = Array.from({ length: rows }, () => Array.from({ length: width }, () => Math.floor(rand() * TWO_INPUT_TOKEN_VOCABULARY)));
  const last = TWO_INPUT_TOKEN_VOCABULARY - 1;
  out[0] = Array.from({ length: width }, (_, i) => (i % 2 === 0 ? 0 : last));
  out[1] = Array.from({ length: width }, (_, i) => (i % 2 === 0 ? last : 0));
  return out;
}

/** One string per row: fixed cases (non-ASCII, spaces, case) then seeded words. */
function stringRows(rows: number, seed: number): string[][] {
  const fixed = ['a', 'hello', 'Hello', 'héllo wörld', '模型', 'ModelGate serves models'];
  const rand = mulberry32(seed);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const word = () => Array.from({ length: 3 + Math.floor(rand() * 6) }, () => letters[Math.floor(rand() * letters.length)]).join('');
  return Array.from({ length: rows }, (_, i) => [fixed[i] ?? word()]);
}

export { mulberry32 };

function gaussian(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => {
    const u = 1 - rand();
    const v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

function shuffle<T>(items: T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function round(v: number, digits: number): number {
  return Number(v.toFixed(digits));
}

// ---------------------------------------------------------------- files, marker, lock

function writeFiles(dir: string, files: Map<string, Buffer>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of files) writeFileSync(join(dir, name), data);
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function writeCsv(path: string, header: string[], rows: (string | number)[][]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
}

/** The generator's own source (the .ts, also when running compiled from dist) and the tfjs version. */
function generatorFingerprint(): string {
  const source = join(REPO_ROOT, 'scripts', 'generate-fixtures.ts');
  return createHash('sha256')
    .update(readFileSync(existsSync(source) ? source : __filename))
    .update(tfjsVersion())
    .digest('hex');
}

function tfjsVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('@tensorflow/tfjs/package.json'), 'utf8')) as { version: string }).version;
}

function isCurrent(dir: string, fingerprint: string): boolean {
  const marker = join(dir, MARKER);
  return existsSync(marker) && readFileSync(marker, 'utf8') === fingerprint;
}

/** A cross-process lock (mkdir is atomic); a lock older than 10 minutes is a crashed run's. */
async function acquireLock(path: string): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    try {
      mkdirSync(path);
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(path).mtimeMs > 10 * 60_000) rmSync(path, { recursive: true, force: true });
      } catch {
        // released between the two calls
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Training is reproducible on the pure-JS backend; whatever backend the caller used is restored. */
async function withCpuBackend(fn: () => Promise<void>): Promise<void> {
  const previous = tf.engine().backendName;
  tf.enableProdMode(); // no debug checks, no console nagging about tfjs-node
  await tf.setBackend('cpu');
  try {
    await fn();
  } finally {
    if (previous && previous !== 'cpu') await tf.setBackend(previous);
  }
}

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'modelgate') return dir;
    if (dirname(dir) === dir) throw new Error(`generate-fixtures: no modelgate package.json above ${from}`);
  }
}

if (require.main === module) {
  const started = Date.now();
  generateFixtures(process.argv[2])
    .then(() => console.log(`fixtures ready in ${process.argv[2] ?? DEFAULT_FIXTURES_DIR} (${Date.now() - started} ms)`))
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
