import { ArtifactFiles, InputColumns, ModelSignature, TensorValue } from '../artifact/artifact.types';
import { mulberry32 } from '../util/prng';
import type { InferenceRuntime } from '../runtime/inference-runtime';
import { QuantizationTarget, quantizeArtifact } from './quantize-artifact';

export interface QuantizationReport {
  dtype: QuantizationTarget;
  /** The quantized artifact (same non-weight files, rewritten model.json and shards). */
  files: ArtifactFiles;
  /** Total bytes of all files in the artifact, before and after. */
  sizeBytesBefore: number;
  sizeBytesAfter: number;
  /** Bytes of weight shards only, before and after. */
  weightBytesBefore: number;
  weightBytesAfter: number;
  maxAbsDiff: number;
  meanAbsDiff: number;
  sampleRows: number;
}

/**
 * Quantizes an artifact and measures what it costs in accuracy: both models predict the same
 * deterministic sample (seeded N(0,1) rows unless rows are given) and their outputs are compared.
 * Throws InvalidArtifactError if either model does not load.
 */
export async function quantizeAndCompare(
  runtime: InferenceRuntime,
  source: ArtifactFiles,
  dtype: QuantizationTarget,
  options: { rows?: number[][]; sampleSize?: number; seed?: number } = {},
): Promise<QuantizationReport> {
  const files = quantizeArtifact(source, dtype);
  const before = await runtime.load(source);
  try {
    const after = await runtime.load(files);
    try {
      const inputs = options.rows ? [options.rows] : sampleInputs(before.signature, options.sampleSize ?? 64, options.seed ?? 42);
      const [a, b] = [await before.predictOutputs(inputs), await after.predictOutputs(inputs)];
      // Every numeric output counts; string outputs have no distance.
      const numeric = before.signature.outputs.flatMap((spec, i) => (spec.datatype === 'BYTES' ? [] : [i]));
      const diff = outputDifference(
        numeric.flatMap((i) => a[i] as number[][]),
        numeric.flatMap((i) => b[i] as number[][]),
      );
      return {
        dtype,
        files,
        sizeBytesBefore: totalBytes(source),
        sizeBytesAfter: totalBytes(files),
        weightBytesBefore: before.weightBytes,
        weightBytesAfter: after.weightBytes,
        ...diff,
        sampleRows: inputs[0].length,
      };
    } finally {
      after.dispose();
    }
  } finally {
    before.dispose();
  }
}

/** Seeded standard-normal rows that fit the model's first input (unknown dimensions taken as 1). */
export function sampleRows(signature: ModelSignature, count: number, seed = 42): number[][] {
  return sampleInputs(signature, count, seed)[0] as number[][];
}

/**
 * A seeded sample for every input: N(0,1) for floats; 0/1 for integers and booleans (integer inputs
 * are often ids into an embedding, where only small ones are surely in range); short words for strings.
 */
export function sampleInputs(signature: ModelSignature, count: number, seed = 42): InputColumns {
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return signature.inputs.map((input) => {
    const width = input.shape.slice(1).reduce((n, d) => n * (d > 0 ? d : 1), 1);
    const value: () => TensorValue =
      input.datatype === 'BYTES'
        ? () => `w${Math.floor(rand() * 100)}`
        : input.datatype === 'FP32' || input.datatype === 'FP64'
          ? normal
          : () => (rand() < 0.5 ? 0 : 1);
    return Array.from({ length: count }, () => Array.from({ length: width }, value));
  });
}

export function outputDifference(a: number[][], b: number[][]): { maxAbsDiff: number; meanAbsDiff: number } {
  let max = 0;
  let sum = 0;
  let n = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      const d = Math.abs(v - b[i][j]);
      max = Math.max(max, d);
      sum += d;
      n++;
    }),
  );
  return { maxAbsDiff: max, meanAbsDiff: n === 0 ? 0 : sum / n };
}

function totalBytes(files: ArtifactFiles): number {
  let n = 0;
  for (const data of files.values()) n += data.length;
  return n;
}
