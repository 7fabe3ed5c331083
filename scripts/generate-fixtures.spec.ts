import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { defaultTfBackendLoader } from '../libs/inference/src/backend/tf-backend';
import { FixtureTensorSpec, generateFixtures, NamedFixtureReference, STRING_GRAPH_BUCKETS } from './generate-fixtures';

/**
 * The named-tensor fixtures (several inputs, several outputs, a string input) are what the serving
 * code's multi-tensor paths are tested against: their files must load back in tfjs and reproduce the
 * reference the generator recorded, and index.json must describe them as model.json does.
 */

const TOLERANCE = 1e-5;
const NEW_FIXTURES = ['two-input', 'two-output', 'string-graph'] as const;

let dir: string;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'modelgate-fixtures-'));
  dir = join(root, 'generated');
  await generateFixtures(dir);
  await tf.setBackend('cpu');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

interface ModelJson {
  format: string;
  modelTopology: unknown;
  signature?: Record<'inputs' | 'outputs', Record<string, { name: string; dtype: string; tensorShape: { dim: { size: string }[] } }>>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

interface LayersTopology {
  config: {
    input_layers: [string, number, number][];
    output_layers: [string, number, number][];
    layers: { class_name: string; name: string; config: { dtype?: string; batch_input_shape?: (number | null)[] } }[];
  };
}

function readJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(dir, ...parts), 'utf8')) as T;
}

/** The model as a server would get it: model.json plus its shard files, read back from disk. */
function diskHandler(name: string): tf.io.IOHandler {
  const modelJson = readJson<ModelJson>(name, 'model.json');
  const shards = modelJson.weightsManifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, name, p))));
  const weights = Buffer.concat(shards);
  return {
    load: async () => ({
      format: modelJson.format,
      modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      signature: modelJson.signature,
      weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    }),
  };
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i].length);
    row.forEach((v, j) => (max = Math.max(max, Math.abs(v - b[i][j]))));
  });
  return max;
}

function indexEntry(name: string): {
  dir: string;
  framework: string;
  reference: string;
  inputs: FixtureTensorSpec[];
  outputs: FixtureTensorSpec[];
} {
  return readJson<Record<string, never>>('index.json')[name];
}

const LAYERS_CASES: [string, FixtureTensorSpec[], FixtureTensorSpec[]][] = [
  [
    'two-input',
    [
      { name: 'features', dtype: 'float32', shape: [-1, 3] },
      { name: 'tokens', dtype: 'int32', shape: [-1, 4] },
    ],
    [{ name: 'class_probs', dtype: 'float32', shape: [-1, 3] }],
  ],
  [
    'two-output',
    [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
    [
      { name: 'species', dtype: 'float32', shape: [-1, 3] },
      { name: 'size', dtype: 'float32', shape: [-1, 1] },
    ],
  ],
];

describe('named-tensor layers fixtures', () => {
  it.each(LAYERS_CASES)('%s: index.json and model.json declare the tensors', (name, inputs, outputs) => {
    expect(indexEntry(name)).toEqual({ dir: name, framework: 'tfjs-layers', reference: `reference/${name}.json`, inputs, outputs });
    const topology = readJson<ModelJson>(name, 'model.json').modelTopology as LayersTopology;
    expect(topology.config.input_layers.map(([layer]) => layer)).toEqual(inputs.map((t) => t.name));
    expect(topology.config.output_layers.map(([layer]) => layer)).toEqual(outputs.map((t) => t.name));
    for (const input of inputs) {
      const layer = topology.config.layers.find((l) => l.name === input.name);
      expect(layer).toMatchObject({ class_name: 'InputLayer', config: { dtype: input.dtype } });
      expect(layer?.config.batch_input_shape).toEqual([null, ...input.shape.slice(1)]);
    }
  });

  it.each(LAYERS_CASES)('%s: the saved files reproduce the reference outputs', async (name, inputs, outputs) => {
    const reference = readJson<NamedFixtureReference>('reference', `${name}.json`);
    expect(Object.keys(reference.inputs).sort()).toEqual(inputs.map((t) => t.name).sort());
    expect(Object.keys(reference.outputs)).toEqual(outputs.map((t) => t.name));
    const model = await tf.loadLayersModel(diskHandler(name));
    try {
      expect(model.inputNames).toEqual(inputs.map((t) => t.name));
      expect(model.outputNames).toEqual(outputs.map((t) => t.name));
      const feeds = inputs.map((t) => {
        const rows = reference.inputs[t.name] as number[][];
        expect(rows.length).toBeGreaterThanOrEqual(8);
        rows.forEach((row) => expect(row).toHaveLength(t.shape[1]));
        return tf.tensor2d(rows, undefined, t.dtype as 'float32' | 'int32');
      });
      const predicted = model.predict(feeds.length === 1 ? feeds[0] : feeds);
      const tensors = Array.isArray(predicted) ? predicted : [predicted];
      outputs.forEach((t, i) => {
        expect(tensors[i].shape).toEqual([feeds[0].shape[0], t.shape[1]]);
        expect(maxAbsDiff(tensors[i].arraySync() as number[][], reference.outputs[t.name])).toBeLessThan(TOLERANCE);
      });
      tf.dispose([...feeds, ...tensors]);
    } finally {
      model.dispose();
    }
  });

  it('two-input: token ids are integers covering both ends of the 20-word vocabulary', () => {
    const tokens = readJson<NamedFixtureReference>('reference', 'two-input.json').inputs.tokens.flat() as number[];
    expect(tokens.every((t) => Number.isInteger(t) && t >= 0 && t <= 19)).toBe(true);
    expect(tokens).toContain(0);
    expect(tokens).toContain(19);
  });
});

describe('string-graph fixture', () => {
  it('index.json and model.json declare a string input and a float32 output', () => {
    const entry = indexEntry('string-graph');
    expect(entry).toMatchObject({
      dir: 'string-graph',
      framework: 'tfjs-graph',
      reference: 'reference/string-graph.json',
      inputs: [{ name: 'text', dtype: 'string', shape: [-1] }],
      outputs: [{ name: 'embedding', dtype: 'float32', shape: [-1, 4] }],
      buckets: STRING_GRAPH_BUCKETS,
    });
    const modelJson = readJson<ModelJson>('string-graph', 'model.json');
    expect(modelJson.format).toBe('graph-model');
    expect(modelJson.signature?.inputs).toEqual({
      'text:0': { name: 'text:0', dtype: 'DT_STRING', tensorShape: { dim: [{ size: '-1' }] } },
    });
    expect(modelJson.signature?.outputs).toEqual({
      'embedding:0': { name: 'embedding:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '4' }] } },
    });
    const nodes = (modelJson.modelTopology as { node: { op: string }[] }).node.map((n) => n.op);
    expect(nodes).toEqual(expect.arrayContaining(['Placeholder', 'StringToHashBucketFast', 'GatherV2']));
  });

  // wasm is what production picks when tfjs-node is absent; it must run the string op too.
  it.each(['cpu', 'wasm'])('runs on the %s backend and reproduces the reference outputs', async (backend) => {
    const reference = readJson<NamedFixtureReference>('reference', 'string-graph.json');
    const text = reference.inputs.text;
    expect(text.length).toBeGreaterThanOrEqual(8);
    text.forEach((row) => expect(row).toEqual([expect.any(String)]));
    await defaultTfBackendLoader.register(backend as 'cpu' | 'wasm');
    expect(await tf.setBackend(backend)).toBe(true);
    expect(tf.getBackend()).toBe(backend);
    try {
      const model = await tf.loadGraphModel(diskHandler('string-graph'));
      try {
        expect(model.inputs).toEqual([expect.objectContaining({ name: 'text', dtype: 'string', shape: [-1] })]);
        expect(model.outputs.map((o) => o.name)).toEqual(['embedding']);
        const input = tf.tensor(text.flat() as string[], [text.length], 'string');
        const output = model.execute(input) as tf.Tensor;
        expect(output.dtype).toBe('float32');
        expect(output.shape).toEqual([text.length, 4]);
        expect(maxAbsDiff(output.arraySync() as number[][], reference.outputs.embedding)).toBeLessThan(TOLERANCE);
        tf.dispose([input, output]);
      } finally {
        model.dispose();
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('every output row is a row of the table, and the texts hash to several buckets', () => {
    const { embedding } = readJson<NamedFixtureReference>('reference', 'string-graph.json').outputs;
    const table = (indexEntry('string-graph') as unknown as { weights: { table: number[][] } }).weights.table;
    expect(table).toHaveLength(STRING_GRAPH_BUCKETS);
    const rowsUsed = embedding.map((row) => table.findIndex((t) => t.every((v, j) => Math.abs(v - row[j]) < TOLERANCE)));
    expect(rowsUsed).not.toContain(-1);
    expect(new Set(rowsUsed).size).toBeGreaterThan(4);
  });
});

describe('regeneration', () => {
  it('a stale marker makes the generator rewrite the new fixtures, byte for byte the same', async () => {
    const again = join(root, 'stale');
    mkdirSync(again);
    writeFileSync(join(again, '.complete'), 'a hash of some older generator');
    await generateFixtures(again);
    expect(readFileSync(join(again, '.complete'), 'utf8')).toBe(readFileSync(join(dir, '.complete'), 'utf8'));
    const files = ['index.json', ...NEW_FIXTURES.flatMap((n) => [`${n}/model.json`, `${n}/group1-shard1of1.bin`, `reference/${n}.json`])];
    for (const file of files) expect(readFileSync(join(again, file)).equals(readFileSync(join(dir, file)))).toBe(true);
  });
});
