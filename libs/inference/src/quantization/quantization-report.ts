import { ArtifactFiles, ModelSignature } from '../artifact/artifact.types';
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
      const rows = options.rows ?? sampleRows(before.signature, options.sampleSize ?? 64, options.seed ?? 42);
      const diff = outputDifference(await before.predict(rows), await after.predict(rows));
      return {
        dtype,
        files,
        sizeBytesBefore: totalBytes(source),
        sizeBytesAfter: totalBytes(files),
        weightBytesBefore: before.weightBytes,
        weightBytesAfter: after.weightBytes,
        ...diff,
        sampleRows: rows.length,
      };
    } finally {
      after.dispose();
    }
  } finally {
    before.dispose();
  }
}

/** Seeded standard-normal rows that fit the model's single input (unknown dimensions taken as 1). */
export function sampleRows(signature: ModelSignature, count: number, seed = 42): number[][] {
  const width = signature.inputs[0].shape.slice(1).reduce((n, d) => n * (d > 0 ? d : 1), 1);
  const rand = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return Array.from({ length: count }, () => Array.from({ length: width }, normal));
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
