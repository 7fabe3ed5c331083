import * as tf from '@tensorflow/tfjs';
import {
  ensureFixtures,
  FixtureModel,
  fixturePath,
  readFixtureArtifact,
  readFixtureCsv,
  readFixtureReference,
} from '../../../../test/support/fixtures';
import { readFileSync } from 'node:fs';
import { ArtifactFiles } from '../artifact/artifact.types';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { InferenceRuntime } from './inference-runtime';

const TOLERANCE = 1e-5;

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.map((r) => r.length)).toEqual(b.map((r) => r.length));
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

function withFile(files: ArtifactFiles, path: string, data: Buffer | undefined): ArtifactFiles {
  const copy = new Map(files);
  if (data === undefined) copy.delete(path);
  else copy.set(path, data);
  return copy;
}

/** model.json as JSON.parse types it: the edits below reach deep into arbitrary model JSON. */
type ModelJson = ReturnType<typeof JSON.parse>;

function editModelJson(files: ArtifactFiles, edit: (json: ModelJson) => void): ArtifactFiles {
  const json: ModelJson = JSON.parse(files.get('model.json')!.toString('utf8'));
  edit(json);
  return withFile(files, 'model.json', Buffer.from(JSON.stringify(json)));
}

async function invalid(runtime: InferenceRuntime, files: ArtifactFiles): Promise<InvalidArtifactError> {
  const error = await runtime.inspect(files).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArtifactError);
  const artifactError = error as InvalidArtifactError;
  expect(artifactError.kind).toBe('unprocessable');
  expect(artifactError.code).toBe('INVALID_MODEL_ARTIFACT');
  return artifactError;
}

beforeAll(() => ensureFixtures(), 120_000);

describe.each(['wasm', 'cpu'] as const)('InferenceRuntime on the %s backend', (backend) => {
  let runtime: InferenceRuntime;

  beforeAll(async () => {
    runtime = await InferenceRuntime.create(backend);
    expect(runtime.backend).toBe(backend);
  });

  const FIXTURES: [FixtureModel, string, number[], number[]][] = [
    ['classifier', 'tfjs-layers', [-1, 4], [-1, 3]],
    ['multi-shard', 'tfjs-layers', [-1, 4], [-1, 3]],
    ['mlp-bench', 'tfjs-layers', [-1, 32], [-1, 3]],
    ['regressor', 'tfjs-layers', [-1, 3], [-1, 1]],
    ['graph', 'tfjs-graph', [-1, 4], [-1, 3]],
  ];

  it.each(FIXTURES)('%s: signature derived and predictions equal tfjs’ own output', async (name, framework, inShape, outShape) => {
    const model = await runtime.load(readFixtureArtifact(name));
    try {
      expect(model.signature.framework).toBe(framework);
      expect(model.signature.inputs).toEqual([expect.objectContaining({ datatype: 'FP32', shape: inShape })]);
      expect(model.signature.outputs).toEqual([expect.objectContaining({ datatype: 'FP32', shape: outShape })]);
      const reference = readFixtureReference(name);
      const outputs = await model.predict(reference.inputs);
      expect(maxAbsDiff(outputs, reference.outputs)).toBeLessThan(TOLERANCE);
      // Rows are independent of how they are batched.
      const single = await model.predict([reference.inputs[3]]);
      expect(maxAbsDiff(single, [reference.outputs[3]])).toBeLessThan(TOLERANCE);
    } finally {
      model.dispose();
    }
  });

  it('names the tensors of a functional layers model and of a graph model', async () => {
    const classifier = await runtime.inspect(readFixtureArtifact('classifier'));
    expect(classifier.inputs[0].name).toBe('features');
    expect(classifier.outputs[0].name).toBe('probabilities');
    const graph = await runtime.inspect(readFixtureArtifact('graph'));
    expect(graph.inputs[0].name).toBe('x');
    expect(graph.outputs[0].name).toBe('Identity');
  });

  it('inspect reports parameter count and stored weight bytes', async () => {
    const inspection = await runtime.inspect(readFixtureArtifact('mlp-bench'));
    // 32·64+64 + 64·64+64 + 64·3+3
    expect(inspection.parameterCount).toBe(6467);
    expect(inspection.weightBytes).toBe(6467 * 4);
  });

  it('the graph model computes x·W + b', async () => {
    const { W, b } = JSON.parse(readFileSync(fixturePath('index.json'), 'utf8')).graph.weights as { W: number[][]; b: number[] };
    const x = [[0.5, -1, 2, 0.25]];
    const expected = [b.map((bj, j) => bj + x[0].reduce((s, xi, i) => s + xi * W[i][j], 0))];
    const model = await runtime.load(readFixtureArtifact('graph'));
    expect(maxAbsDiff(await model.predict(x), expected)).toBeLessThan(TOLERANCE);
    model.dispose();
  });

  it('the weights split over three shards load to the same model as the single shard', async () => {
    const one = await runtime.load(readFixtureArtifact('classifier'));
    const three = await runtime.load(readFixtureArtifact('multi-shard'));
    const rows = readFixtureReference('classifier').inputs;
    expect(await three.predict(rows)).toEqual(await one.predict(rows));
    one.dispose();
    three.dispose();
  });

  it('the fixture classifier is accurate on its dataset', async () => {
    const { rows } = readFixtureCsv('blobs');
    const labels = JSON.parse(readFixtureArtifact('classifier').get('labels.json')!.toString()) as string[];
    const model = await runtime.load(readFixtureArtifact('classifier'));
    const outputs = await model.predict(rows.map((r) => r.slice(0, 4).map(Number)));
    model.dispose();
    const correct = outputs.filter((p, i) => labels[p.indexOf(Math.max(...p))] === rows[i][4]).length;
    expect(correct / rows.length).toBeGreaterThan(0.95);
  });

  it('keeps tfjs memory flat: no tensor survives a predict, and dispose frees the weights', async () => {
    const before = tf.memory().numTensors;
    const model = await runtime.load(readFixtureArtifact('mlp-bench'));
    const loaded = tf.memory().numTensors;
    expect(loaded).toBeGreaterThan(before);
    const rows = readFixtureReference('mlp-bench').inputs;
    for (let i = 0; i < 300; i++) await model.predict(rows.slice(0, 1 + (i % rows.length)));
    expect(tf.memory().numTensors).toBe(loaded);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const graph = await runtime.load(readFixtureArtifact('graph'));
    const graphLoaded = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await graph.predict([[i, 1, 2, 3]]);
    expect(tf.memory().numTensors).toBe(graphLoaded);
    graph.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('inspect leaves no tensor or variable behind, also when tfjs fails half-way through a load', async () => {
    const variables = () => Object.keys(tf.engine().registeredVariables).length;
    const before = { tensors: tf.memory().numTensors, variables: variables() };
    await runtime.inspect(readFixtureArtifact('classifier'));
    await runtime.inspect(readFixtureArtifact('regressor'));
    await runtime.inspect(readFixtureArtifact('graph'));
    const classifier = () => readFixtureArtifact('classifier');
    const broken = [
      editModelJson(classifier(), (json) => (json.weightsManifest[0].weights[0].name = 'not-a-layer/kernel')),
      editModelJson(classifier(), (json) => (json.weightsManifest[0].weights[0].shape = [16, 4])),
      editModelJson(classifier(), (json) => (json.modelTopology.config.layers[2].class_name = 'NoSuchLayer')),
      editModelJson(readFixtureArtifact('regressor'), (json) => (json.modelTopology.config.layers[0].config.units = 2)),
      editModelJson(readFixtureArtifact('graph'), (json) => delete json.modelTopology.versions),
      editModelJson(readFixtureArtifact('graph'), (json) => (json.modelTopology.node[3].input = ['x', 'Missing'])),
    ];
    for (const files of broken)
      expect((await invalid(runtime, files)).reason).toMatch(/load-failed|run-failed|weight-size-mismatch|parameter-mismatch/);
    expect({ tensors: tf.memory().numTensors, variables: variables() }).toEqual(before);
  });

  describe('rejects invalid artifacts with a reason', () => {
    const classifier = () => readFixtureArtifact('classifier');

    it('missing model.json', async () => {
      const error = await invalid(runtime, withFile(classifier(), 'model.json', undefined));
      expect(error.reason).toBe('missing-model-json');
      expect(error.message).toContain('model.json');
    });

    it('model.json that is not JSON', async () => {
      const error = await invalid(runtime, withFile(classifier(), 'model.json', Buffer.from('{"modelTopology": ')));
      expect(error.reason).toBe('not-json');
      expect(error.message).toMatch(/^model.json is not JSON/);
    });

    it('model.json without topology or manifest', async () => {
      expect((await invalid(runtime, withFile(classifier(), 'model.json', Buffer.from('[1,2]')))).reason).toBe('invalid-model-json');
      const noManifest = editModelJson(classifier(), (json) => delete json.weightsManifest);
      expect((await invalid(runtime, noManifest)).message).toBe('model.json has no weightsManifest array.');
    });

    it('an unsupported format', async () => {
      const error = await invalid(
        runtime,
        editModelJson(classifier(), (json) => (json.format = 'onnx')),
      );
      expect(error.reason).toBe('unsupported-format');
      expect(error.message).toContain("Unsupported model format 'onnx'");
    });

    it('truncated weights', async () => {
      const files = classifier();
      const shard = files.get('group1-shard1of1.bin')!;
      const error = await invalid(runtime, withFile(files, 'group1-shard1of1.bin', shard.subarray(0, shard.length - 10)));
      expect(error.reason).toBe('weight-size-mismatch');
      expect(error.message).toBe(
        'Weights byte length does not match the manifest: weight group 1 (group1-shard1of1.bin) holds 514 bytes but its manifest implies 524.',
      );
    });

    it('a manifest that does not match the weights (wrong shape)', async () => {
      const error = await invalid(
        runtime,
        editModelJson(classifier(), (json) => (json.weightsManifest[0].weights[0].shape = [4, 17])),
      );
      expect(error.reason).toBe('weight-size-mismatch');
    });

    it('a manifest whose byte count matches but whose weights do not fit the layers', async () => {
      const swapped = editModelJson(classifier(), (json) => {
        const w = json.weightsManifest[0].weights;
        w[0].shape = [16, 4]; // same 64 values, wrong shape for the layer
      });
      const error = await invalid(runtime, swapped);
      expect(error.reason).toBe('load-failed');
      expect(error.message).toMatch(/^The model fails to load with TensorFlow.js: /);
    });

    it('a malformed manifest entry', async () => {
      const error = await invalid(
        runtime,
        editModelJson(classifier(), (json) => (json.weightsManifest[0].weights[1].dtype = 'float64')),
      );
      expect(error.reason).toBe('invalid-manifest');
      expect(error.message).toContain("unsupported dtype 'float64'");
    });

    it('a missing shard', async () => {
      const files = readFixtureArtifact('multi-shard');
      const error = await invalid(runtime, withFile(files, 'group1-shard2of3.bin', undefined));
      expect(error.reason).toBe('missing-weight-file');
      expect(error.message).toBe("Weight file 'group1-shard2of3.bin' listed in the weights manifest is missing from the upload.");
    });

    it('a weight path escaping the artifact', async () => {
      const error = await invalid(
        runtime,
        editModelJson(classifier(), (json) => (json.weightsManifest[0].paths = ['../../etc/passwd'])),
      );
      expect(error.reason).toBe('unsafe-path');
    });

    it('a layers topology tfjs cannot build', async () => {
      const error = await invalid(
        runtime,
        editModelJson(classifier(), (json) => (json.modelTopology.config.layers[1].class_name = 'NoSuchLayer')),
      );
      expect(error.reason).toBe('load-failed');
      expect(error.message).toContain('NoSuchLayer');
    });

    it('a model whose output has no batch dimension (it could not answer row by row)', async () => {
      const graph = editModelJson(readFixtureArtifact('graph'), (json) => {
        json.modelTopology.node.find((n: { name: string }) => n.name === 'Identity').input = ['b'];
        delete json.signature.outputs['Identity:0'].tensorShape;
      });
      const error = await invalid(runtime, graph);
      expect(error.reason).toBe('run-failed');
      expect(error.message).toBe(
        "The model loads but fails to run: output 'Identity' has shape [3] for 2 input rows; outputs must have the batch dimension first",
      );
    });

    it('a graph that loads but cannot run', async () => {
      const graph = editModelJson(readFixtureArtifact('graph'), (json) => {
        json.modelTopology.node.find((n: { name: string }) => n.name === 'MatMul').op = 'NoSuchOp';
      });
      const error = await invalid(runtime, graph);
      expect(['load-failed', 'run-failed']).toContain(error.reason);
      expect(error.message).toContain('NoSuchOp');
    });
  });
});
