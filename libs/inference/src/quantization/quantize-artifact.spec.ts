import * as tf from '@tensorflow/tfjs';
import { ensureFixtures, FixtureModel, readFixtureArtifact, readFixtureReference } from '../../../../test/support/fixtures';
import { ArtifactFiles } from '../artifact/artifact.types';
import { parseArtifact } from '../artifact/model-artifact';
import { InferenceRuntime } from '../runtime/inference-runtime';
import { outputDifference, quantizeAndCompare, sampleRows } from './quantization-report';
import { float16Bits, fromFloat16, QuantizationTarget, quantizeArtifact } from './quantize-artifact';

function manifest(files: ArtifactFiles) {
  return JSON.parse(files.get('model.json')!.toString('utf8')).weightsManifest as {
    paths: string[];
    weights: { name: string; dtype: string; quantization?: { dtype: string; scale?: number; min?: number } }[];
  }[];
}

describe('float16 conversion', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest half
    [1e6, 0x7c00], // overflows to +Inf
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -26, 0x0000], // underflows to 0
    [1 + 2 ** -11, 0x3c00], // halfway: rounds to even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // halfway: rounds to even (up)
    [0, 0],
    [-0, 0x8000],
  ])('float16Bits(%p) = %p', (value, bits) => {
    expect(float16Bits(value)).toBe(bits);
  });

  it('round-trips every finite half value exactly', () => {
    const mismatches: number[] = [];
    for (let bits = 0; bits < 0x7c00; bits++) {
      if (float16Bits(fromFloat16(bits)) !== bits) mismatches.push(bits);
      if (float16Bits(fromFloat16(bits | 0x8000)) !== (bits | 0x8000)) mismatches.push(bits | 0x8000);
    }
    expect(mismatches).toEqual([]);
  });
});

describe('quantizeArtifact', () => {
  let runtime: InferenceRuntime;

  beforeAll(async () => {
    await ensureFixtures();
    runtime = await InferenceRuntime.create('wasm');
  }, 120_000);

  const CASES: [QuantizationTarget, number, number][] = [
    // dtype, stored bytes per float weight, tolerance on softmax outputs
    ['float16', 2, 2e-3],
    ['uint16', 2, 2e-3],
    ['uint8', 1, 5e-2],
  ];

  it.each(CASES)('%s: loads with tfjs, is smaller, and predicts close to the float32 source', async (dtype, bytesPerValue, tolerance) => {
    for (const name of ['mlp-bench', 'classifier', 'graph'] as FixtureModel[]) {
      const source = readFixtureArtifact(name);
      const quantized = quantizeArtifact(source, dtype);

      const groups = manifest(quantized);
      expect(groups).toHaveLength(1);
      expect(groups[0].weights.every((w) => w.dtype === 'float32' && w.quantization?.dtype === dtype)).toBe(true);
      const before = parseArtifact(source);
      const after = parseArtifact(quantized);
      expect(after.weightBytes).toBe(before.parameterCount * bytesPerValue);
      expect(after.weightBytes).toBeLessThan(before.weightBytes);

      const reference = readFixtureReference(name);
      const model = await runtime.load(quantized);
      const diff = outputDifference(await model.predict(reference.inputs), reference.outputs);
      model.dispose();
      expect(diff.maxAbsDiff).toBeLessThan(tolerance);
      expect(diff.maxAbsDiff).toBeGreaterThan(0); // the weights really changed
    }
  });

  it.each(['uint8', 'uint16', 'float16'] as const)(
    'stock tfjs dequantizes %s weights to the originals within half a quantization step',
    (dtype) => {
      const source = readFixtureArtifact('mlp-bench');
      const original = parseArtifact(source);
      const originalWeights = tf.io.decodeWeights(original.weightData, original.weightSpecs as tf.io.WeightsManifestEntry[]);
      const quantized = parseArtifact(quantizeArtifact(source, dtype));
      const restored = tf.io.decodeWeights(quantized.weightData, quantized.weightSpecs as tf.io.WeightsManifestEntry[]);
      const tooFar: string[] = [];
      for (const spec of quantized.weightSpecs) {
        const a = originalWeights[spec.name].dataSync();
        const b = restored[spec.name].dataSync();
        for (let i = 0; i < a.length; i++) {
          // Affine: half of `scale`; float16: half an ulp of an 11-bit significand (relative 2^-11).
          const bound = dtype === 'float16' ? Math.abs(a[i]) * 2 ** -11 + 2 ** -25 : spec.quantization!.scale! / 2 + 1e-7;
          if (Math.abs(a[i] - b[i]) > bound) tooFar.push(`${spec.name}[${i}]: ${a[i]} → ${b[i]}`);
        }
      }
      tf.dispose([...Object.values(originalWeights), ...Object.values(restored)]);
      expect(tooFar).toEqual([]);
    },
  );

  it('keeps zero exact under affine quantization and stores a constant weight exactly', () => {
    const modelJson = {
      format: 'graph-model',
      modelTopology: { node: [] },
      weightsManifest: [
        {
          paths: ['w.bin'],
          weights: [
            { name: 'mixed', shape: [4], dtype: 'float32' },
            { name: 'constant', shape: [3], dtype: 'float32' },
            { name: 'ids', shape: [2], dtype: 'int32' },
          ],
        },
      ],
    };
    const data = Buffer.concat([
      Buffer.from(new Float32Array([-0.37, 0, 0.81, 0.2]).buffer),
      Buffer.from(new Float32Array([0.3, 0.3, 0.3]).buffer),
      Buffer.from(new Int32Array([7, -9]).buffer),
    ]);
    const files: ArtifactFiles = new Map([
      ['model.json', Buffer.from(JSON.stringify(modelJson))],
      ['w.bin', data],
    ]);
    const quantized = parseArtifact(quantizeArtifact(files, 'uint8'));
    const weights = tf.io.decodeWeights(quantized.weightData, quantized.weightSpecs as tf.io.WeightsManifestEntry[]);
    expect(weights.mixed.dataSync()[1]).toBe(0);
    expect(Array.from(weights.constant.dataSync())).toEqual(Array.from(new Float32Array([0.3, 0.3, 0.3])));
    // Integer weights are copied as they were.
    expect(quantized.weightSpecs.find((w) => w.name === 'ids')!.quantization).toBeUndefined();
    expect(Array.from(weights.ids.dataSync())).toEqual([7, -9]);
    tf.dispose(Object.values(weights));
  });

  it('keeps the files beside the model, replaces the old shards, and can requantize a quantized artifact', async () => {
    const source = readFixtureArtifact('multi-shard');
    const quantized = quantizeArtifact(source, 'float16');
    expect([...quantized.keys()].sort()).toEqual(['group1-shard1of1.bin', 'labels.json', 'model.json']);
    expect(quantized.get('labels.json')).toEqual(source.get('labels.json'));

    const twice = quantizeArtifact(quantized, 'uint8');
    const model = await runtime.load(twice);
    const reference = readFixtureReference('multi-shard');
    expect(outputDifference(await model.predict(reference.inputs), reference.outputs).maxAbsDiff).toBeLessThan(5e-2);
    model.dispose();
  });

  it('quantizeAndCompare reports sizes and the output difference on a deterministic sample', async () => {
    const source = readFixtureArtifact('mlp-bench');
    const report = await quantizeAndCompare(runtime, source, 'uint8');
    expect(report.sampleRows).toBe(64);
    expect(report.weightBytesBefore).toBe(6467 * 4);
    expect(report.weightBytesAfter).toBe(6467);
    expect(report.sizeBytesAfter).toBeLessThan(report.sizeBytesBefore);
    expect(report.maxAbsDiff).toBeGreaterThan(0);
    expect(report.meanAbsDiff).toBeLessThanOrEqual(report.maxAbsDiff);
    // Same inputs, same answer: the sample is seeded.
    const again = await quantizeAndCompare(runtime, source, 'uint8');
    expect(again.maxAbsDiff).toBe(report.maxAbsDiff);
    expect(sampleRows({ framework: 'tfjs-layers', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], outputs: [] }, 2)).toEqual(
      sampleRows({ framework: 'tfjs-layers', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }], outputs: [] }, 2),
    );
  });
});
