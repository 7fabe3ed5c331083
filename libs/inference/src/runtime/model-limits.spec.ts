import * as tf from '@tensorflow/tfjs';
import { readFixtureArtifact, readFixtureReference, ensureFixtures } from '../../../../test/support/fixtures';
import { asArtifactFiles, hugeFirstLayerModel, modByInputGraphModel, repeatVectorModel, tiledGraphModel } from '../testing/hostile-models';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { EngineFailedError, InferenceEngineHealth } from '../engine/engine-health';
import { DEFAULT_MODEL_LIMITS } from '../limits/model-limits';
import { InferenceRuntime } from './inference-runtime';
import { TfjsLoadedModel } from './loaded-model';

async function refusal(runtime: InferenceRuntime, files: Map<string, Buffer>): Promise<InvalidArtifactError> {
  const error = await runtime.load(files).then(
    (m) => (m.dispose(), undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArtifactError);
  return error as InvalidArtifactError;
}

beforeAll(() => ensureFixtures(), 120_000);

describe('model limits, checked before tfjs allocates or runs (wasm)', () => {
  let runtime: InferenceRuntime;
  const variables = () => Object.keys(tf.engine().registeredVariables).length;

  beforeAll(async () => {
    runtime = await InferenceRuntime.create('wasm');
  });

  it.each([20_000, 50_000])(
    'a %i-unit first layer with an empty weights manifest is refused at its first weight, nothing left allocated',
    async (units) => {
      const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, variables: variables() };
      const error = await refusal(runtime, asArtifactFiles(hugeFirstLayerModel(units)));
      expect(error.reason).toBe('parameter-mismatch');
      expect(error.message).toContain(`[4, ${units}]`);
      expect({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, variables: variables() }).toEqual(before);
    },
  );

  it('a topology that defines fewer parameters than the manifest holds is refused by count, not by a list of names', async () => {
    const files = asArtifactFiles(repeatVectorModel(2));
    const json = JSON.parse(files.get('model.json')!.toString());
    json.modelTopology.config.layers[0].config.use_bias = false;
    files.set('model.json', Buffer.from(JSON.stringify(json)));
    const error = await refusal(runtime, files);
    expect(error.reason).toBe('parameter-mismatch');
    expect(error.message).toBe('The topology defines 12 parameters but the weights manifest holds 15.');
  });

  it('more parameters than MAX_MODEL_PARAMETERS are refused before anything is built', async () => {
    const small = new InferenceRuntime({ backend: 'wasm', skipped: [] }, { ...DEFAULT_MODEL_LIMITS, maxParameters: 10 });
    const error = await refusal(small, asArtifactFiles(repeatVectorModel(2)));
    expect(error.reason).toBe('too-many-parameters');
    expect(error.message).toContain('15 parameters; at most 10');
  });

  it.each([1.8e8, 1.5e8, 9e7, 3e8])(
    'RepeatVector(%d): the memory of one row is estimated from the topology and refused before any run; the engine stays sound',
    async (n) => {
      const error = await refusal(runtime, asArtifactFiles(repeatVectorModel(n)));
      expect(error.reason).toBe('too-much-memory');
      expect(error.message).toMatch(/One row needs about \d+ MiB .* at most 256 MiB/);
      // Serving on the same engine is unaffected.
      const model = await runtime.load(readFixtureArtifact('classifier'));
      try {
        const reference = readFixtureReference('classifier');
        const outputs = await model.predict(reference.inputs);
        outputs.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(reference.outputs[i][j], 5)));
      } finally {
        model.dispose();
      }
    },
  );

  it('a model whose one row outputs more than MAX_OUTPUT_VALUES_PER_REQUEST values is refused', async () => {
    const error = await refusal(runtime, asArtifactFiles(repeatVectorModel(1e6)));
    expect(error.reason).toBe('output-too-large');
    expect(error.message).toContain('One row produces 3000000 output values; at most 1000000');
  });

  it('a graph whose output size only a run reveals: measured on the test run and refused', async () => {
    const error = await refusal(runtime, asArtifactFiles(tiledGraphModel(500_000)));
    expect(error.reason).toBe('output-too-large');
    expect(error.message).toContain('One row produces 2000000 output values');
  });

  it('a batch whose intermediates exceed INFERENCE_MAX_RUN_BYTES runs in slices, with the same answers', async () => {
    const sliced = new InferenceRuntime({ backend: 'wasm', skipped: [] }, { ...DEFAULT_MODEL_LIMITS, maxRunBytes: 64 * 1024 });
    const whole = await runtime.load(asArtifactFiles(repeatVectorModel(1000)));
    const model = await sliced.load(asArtifactFiles(repeatVectorModel(1000)));
    try {
      // Dense(3) + RepeatVector(1000): at least (4 + 3 + 3000) values per row from the topology; the
      // test run measured the real peak (RepeatVector tiles through an intermediate).
      expect(model.bytesPerRow).toBeGreaterThanOrEqual((4 + 3 + 3000) * 4);
      expect((model as TfjsLoadedModel).rowsPerRun).toBe(Math.floor((64 * 1024) / model.bytesPerRow));
      expect((model as TfjsLoadedModel).rowsPerRun).toBeLessThan(12);
      const rows = Array.from({ length: 12 }, (_, i) => [i, -i, i / 2, 1]);
      expect(await model.predict(rows)).toEqual(await whole.predict(rows));
    } finally {
      model.dispose();
      whole.dispose();
    }
  });
});

describe('a fatal engine error (a WebAssembly trap) marks the engine failed', () => {
  it('answers 503 INFERENCE_ENGINE_FAILED from then on, and tells its listeners once', async () => {
    const failures: string[] = [];
    const health = new InferenceEngineHealth();
    health.onFailure((f) => failures.push(f.reason));
    const runtime = await InferenceRuntime.create('wasm', { health });
    const model = await runtime.load(asArtifactFiles(modByInputGraphModel()));
    expect(await model.predict([[1, 2]])).toEqual([[5 % 2, 7 % 3]]);
    await expect(model.predict([[-1, -1]])).rejects.toBeInstanceOf(EngineFailedError);
    expect(health.healthy).toBe(false);
    expect(failures).toEqual([expect.stringMatching(/^RuntimeError: remainder by zero/)]);
    // Nothing runs on the engine any more, not even a valid row, and nothing new loads.
    await expect(model.predict([[1, 2]])).rejects.toMatchObject({ code: 'INFERENCE_ENGINE_FAILED', kind: 'unavailable' });
    await expect(runtime.load(readFixtureArtifact('classifier'))).rejects.toMatchObject({ code: 'INFERENCE_ENGINE_FAILED' });
    expect(failures).toHaveLength(1);
  });
});

describe('what a refused upload says is bounded and free of library internals', () => {
  let runtime: InferenceRuntime;
  beforeAll(async () => {
    runtime = await InferenceRuntime.create('cpu');
  });

  it('a graph without versions: no "reading \'producer\'" TypeError, a plain sentence', async () => {
    const files = readFixtureArtifact('graph');
    const json = JSON.parse(files.get('model.json')!.toString());
    delete json.modelTopology.versions;
    files.set('model.json', Buffer.from(JSON.stringify(json)));
    const error = await refusal(runtime, files);
    expect(error.message).not.toMatch(/reading|Cannot|undefined|TypeError/);
    expect(error.message).toMatch(/^The model (fails to load|loads but fails to run)/);
  });

  it('weights whose names match no layer: one bounded line, not every name', async () => {
    // 1,500 one-unit layers, every weight misnamed: tfjs' own message lists all 3,000 names.
    const layers = Array.from({ length: 1500 }, (_, i) => ({
      class_name: 'Dense',
      config: { name: `d${i}`, units: 1, use_bias: true, activation: 'linear', ...(i === 0 ? { batch_input_shape: [null, 1] } : {}) },
    }));
    const weights = layers.flatMap((_, i) => [
      { name: `wrong${i}/kernel`, shape: [1, 1], dtype: 'float32' },
      { name: `wrong${i}/bias`, shape: [1], dtype: 'float32' },
    ]);
    const files = new Map([
      [
        'model.json',
        Buffer.from(
          JSON.stringify({
            format: 'layers-model',
            modelTopology: { class_name: 'Sequential', config: { name: 's', layers } },
            weightsManifest: [{ paths: ['w.bin'], weights }],
          }),
        ),
      ],
      ['w.bin', Buffer.alloc(3000 * 4)],
    ]);
    const error = await refusal(runtime, files);
    expect(error.reason).toBe('load-failed');
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).not.toContain('wrong1499');
  }, 60_000);
});
