import * as tf from '@tensorflow/tfjs';
import { ensureFixtures, readFixtureArtifact, readFixtureReference } from '../../../../test/support/fixtures';
import { asArtifactFiles, repeatVectorModel, tiledGraphModel } from '../testing/hostile-models';
import { InvalidArtifactError } from '../artifact/invalid-artifact.error';
import { DEFAULT_MODEL_LIMITS } from '../limits/model-limits';
import { InferenceRuntime } from '../runtime/inference-runtime';
import { ArtifactInspector, InspectionOptions } from './artifact-inspector';

const OPTIONS: InspectionOptions = { timeoutMs: 60_000, maxMemoryMb: 256, concurrency: 1, maxWaiting: 4 };

function inspector(options: Partial<InspectionOptions> = {}, limits = DEFAULT_MODEL_LIMITS): ArtifactInspector {
  return new ArtifactInspector({ backend: 'wasm', skipped: [] }, limits, { ...OPTIONS, ...options });
}

async function refusal(promise: Promise<unknown>): Promise<InvalidArtifactError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidArtifactError);
  return error as InvalidArtifactError;
}

beforeAll(() => ensureFixtures(), 120_000);

describe('ArtifactInspector: uploads are loaded and test-run in a thread of their own', () => {
  const inspectors: ArtifactInspector[] = [];
  const make = (...args: Parameters<typeof inspector>) => {
    const made = inspector(...args);
    inspectors.push(made);
    return made;
  };
  afterAll(() => Promise.all(inspectors.map((i) => i.onApplicationShutdown())));

  it('derives the signature, parameters and bytes per row, and leaves nothing in this thread’s engine', async () => {
    const before = tf.memory().numBytes;
    const inspection = await make().inspect(readFixtureArtifact('classifier'));
    expect(inspection).toMatchObject({
      framework: 'tfjs-layers',
      inputs: [expect.objectContaining({ shape: [-1, 4] })],
      outputs: [expect.objectContaining({ shape: [-1, 3] })],
      parameterCount: 4 * 16 + 16 + 16 * 3 + 3,
    });
    expect(inspection.bytesPerRow).toBeGreaterThan(0);
    expect(tf.memory().numBytes).toBe(before);
  });

  it('a graph whose test run exhausts the thread’s memory is a 422 with a reason; the API’s engine keeps serving', async () => {
    const isolated = make({ maxMemoryMb: 256 });
    // 4 × 50M floats per row: 1.6 GB for the two rows of the test run, far past the 256 MiB ceiling.
    const error = await refusal(isolated.inspect(asArtifactFiles(tiledGraphModel(50_000_000))));
    expect(error.kind).toBe('unprocessable');
    expect(['inspection-crashed', 'inspection-out-of-memory', 'run-failed']).toContain(error.reason);
    expect(error.message).not.toMatch(/\bat \S+:\d+|\.ts:|\.js:/);
    // This thread's engine never saw the model.
    const runtime = await InferenceRuntime.create('wasm');
    const model = await runtime.load(readFixtureArtifact('classifier'));
    try {
      const reference = readFixtureReference('classifier');
      (await model.predict(reference.inputs)).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(reference.outputs[i][j], 5)));
    } finally {
      model.dispose();
    }
    // The inspector replaced its thread: the next upload is inspected normally.
    await expect(isolated.inspect(readFixtureArtifact('classifier'))).resolves.toMatchObject({ framework: 'tfjs-layers' });
  });

  it('the critical upload (Dense(3) + RepeatVector(1.8e8)) is refused in the thread before its test run', async () => {
    const error = await refusal(make().inspect(asArtifactFiles(repeatVectorModel(1.8e8))));
    expect(error.reason).toBe('too-much-memory');
  });

  it('an inspection that takes longer than INSPECTION_TIMEOUT_MS ends its thread and is a 422', async () => {
    // A fresh thread (the start of tfjs included) cannot answer within a millisecond-scale budget.
    const hurried = inspector({ timeoutMs: 1 });
    const error = await refusal(hurried.inspect(readFixtureArtifact('classifier')));
    expect(error.reason).toBe('inspection-timeout');
    expect(error.message).toContain('INSPECTION_TIMEOUT_MS');
    // The same artifact inspects normally under the default budget (no wall-clock assertion here:
    // how long a thread takes to start depends on the machine's load).
    await expect(make().inspect(readFixtureArtifact('classifier'))).resolves.toBeDefined();
  });

  it('uploads beyond the concurrency and the waiting room are refused with 503 INSPECTION_BUSY', async () => {
    const busy = make({ concurrency: 1, maxWaiting: 1 });
    const files = readFixtureArtifact('classifier');
    const results = await Promise.allSettled([busy.inspect(files), busy.inspect(files), busy.inspect(files)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ kind: 'unavailable', code: 'INSPECTION_BUSY' });
  });
});
