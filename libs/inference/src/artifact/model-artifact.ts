import { posix } from 'node:path';
import { ArtifactFiles, MODEL_JSON, ModelFramework } from './artifact.types';
import { InvalidArtifactError } from './invalid-artifact.error';

/**
 * model.json + weight shards, checked before tfjs sees them: tfjs' own loader trusts the manifest
 * and fails late (or reads past the end of a buffer) on a truncated or mislabelled upload, so the
 * byte arithmetic is done here and every failure gets a reason a user can act on.
 */

export type WeightDtype = 'float32' | 'int32' | 'bool' | 'string' | 'complex64';
export type QuantizationDtype = 'uint8' | 'uint16' | 'float16';

export interface WeightQuantization {
  dtype: QuantizationDtype;
  scale?: number;
  min?: number;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  quantization?: WeightQuantization;
  group?: string;
}

export interface WeightGroup {
  /** Shard paths, normalised to keys of the artifact's file map. */
  paths: string[];
  weights: WeightSpec[];
}

export interface ParsedArtifact {
  framework: ModelFramework;
  /** model.json as parsed (tfjs' own JSON → ModelArtifacts mapping consumes it). */
  modelJson: Record<string, unknown>;
  groups: WeightGroup[];
  /** Every weight, in manifest order (the order of `weightData`). */
  weightSpecs: WeightSpec[];
  /** All shards concatenated in manifest order, the layout tfjs decodes. */
  weightData: ArrayBuffer;
  /** Bytes of weight shards as stored (quantized weights count at their stored width). */
  weightBytes: number;
  /** Number of scalar values across all weights. */
  parameterCount: number;
  /** Bytes the weights occupy once loaded (quantized weights are expanded to their dtype). */
  loadedBytes: number;
}

const VALUE_BYTES: Record<WeightDtype | QuantizationDtype, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  string: 0, // length-prefixed, computed from the data
  uint8: 1,
  uint16: 2,
  float16: 2,
};

const WEIGHT_DTYPES = new Set<string>(['float32', 'int32', 'bool', 'string', 'complex64']);
const QUANTIZATION_DTYPES = new Set<string>(['uint8', 'uint16', 'float16']);

/** The manifest's weight specs, read from model.json alone (no weight bytes are touched or copied). */
export function manifestWeightSpecs(files: ArtifactFiles): WeightSpec[] {
  return readManifest(readModelJson(normalisedFileMap(files)).weightsManifest).flatMap((g) => g.weights);
}

export function parseArtifact(files: ArtifactFiles): ParsedArtifact {
  const byPath = normalisedFileMap(files);
  const modelJson = readModelJson(byPath);
  const framework = detectFramework(modelJson);
  const groups = readManifest(modelJson.weightsManifest);

  const chunks: Buffer[] = [];
  let weightBytes = 0;
  let parameterCount = 0;
  let loadedBytes = 0;
  groups.forEach((group, index) => {
    const shards = group.paths.map((path) => {
      const data = byPath.get(path);
      if (!data) {
        throw new InvalidArtifactError(
          'missing-weight-file',
          `Weight file '${path}' listed in the weights manifest is missing from the upload.`,
        );
      }
      return data;
    });
    const data = shards.length === 1 ? shards[0] : Buffer.concat(shards);
    const expected = groupByteLength(group, data);
    if (expected !== data.length) {
      const implied = Number.isFinite(expected) ? `${expected}` : 'more (its string weights run past the end)';
      throw new InvalidArtifactError(
        'weight-size-mismatch',
        `Weights byte length does not match the manifest: weight group ${index + 1} ` +
          `(${group.paths.join(', ')}) holds ${data.length} bytes but its manifest implies ${implied}.`,
      );
    }
    chunks.push(data);
    weightBytes += data.length;
    for (const w of group.weights) {
      const size = elementCount(w.shape);
      parameterCount += size;
      loadedBytes += size * (w.dtype === 'string' ? 1 : VALUE_BYTES[w.dtype]);
    }
  });

  const all = Buffer.concat(chunks);
  // tfjs wants an ArrayBuffer of exactly the weights; a small Buffer is a view into Node's shared
  // pool and must be copied out, a large one already owns its ArrayBuffer (no second copy).
  const weightData = (
    all.byteOffset === 0 && all.buffer.byteLength === all.length
      ? all.buffer
      : all.buffer.slice(all.byteOffset, all.byteOffset + all.length)
  ) as ArrayBuffer;
  return {
    framework,
    modelJson,
    groups,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData,
    weightBytes,
    parameterCount,
    loadedBytes,
  };
}

/** Bytes one weight occupies in its shard, as stored. */
export function storedValueBytes(spec: WeightSpec): number {
  return VALUE_BYTES[spec.quantization?.dtype ?? spec.dtype];
}

export function elementCount(shape: number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** A weight path as a key of the file map: POSIX, no `./`, never escaping the artifact. */
export function normaliseArtifactPath(path: string): string {
  const normal = posix.normalize(path.replace(/\\/g, '/'));
  if (normal.startsWith('/') || normal === '..' || normal.startsWith('../') || /^[a-zA-Z]:/.test(normal)) {
    throw new InvalidArtifactError('unsafe-path', `Weight path '${path}' points outside the artifact.`);
  }
  return normal;
}

function normalisedFileMap(files: ArtifactFiles): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [path, data] of files) {
    try {
      out.set(normaliseArtifactPath(path), data);
    } catch {
      // Files that could never be referenced safely are simply not reachable by the manifest.
    }
  }
  return out;
}

function readModelJson(files: Map<string, Buffer>): Record<string, unknown> {
  const raw = files.get(MODEL_JSON);
  if (!raw) {
    throw new InvalidArtifactError('missing-model-json', 'The artifact has no model.json at its root.');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new InvalidArtifactError('not-json', `model.json is not JSON: ${(error as Error).message}.`);
  }
  if (!isObject(parsed)) {
    throw new InvalidArtifactError('invalid-model-json', 'model.json must be a JSON object.');
  }
  if (!isObject(parsed.modelTopology)) {
    throw new InvalidArtifactError('invalid-model-json', 'model.json has no modelTopology object.');
  }
  if (!Array.isArray(parsed.weightsManifest)) {
    throw new InvalidArtifactError('invalid-model-json', 'model.json has no weightsManifest array.');
  }
  return parsed;
}

function detectFramework(modelJson: Record<string, unknown>): ModelFramework {
  const format = modelJson.format;
  const topology = modelJson.modelTopology as Record<string, unknown>;
  if (format === 'graph-model') return 'tfjs-graph';
  if (format === 'layers-model') return 'tfjs-layers';
  if (format === undefined) {
    if (Array.isArray(topology.node)) return 'tfjs-graph';
    if (isObject(topology.model_config) || typeof topology.class_name === 'string') return 'tfjs-layers';
  }
  throw new InvalidArtifactError(
    'unsupported-format',
    `Unsupported model format${typeof format === 'string' ? ` '${format}'` : ''}: ` +
      'expected a TensorFlow.js layers-model or graph-model (model.json from tfjs or tensorflowjs_converter).',
  );
}

function readManifest(manifest: unknown): WeightGroup[] {
  return (manifest as unknown[]).map((group, g) => {
    const where = `weightsManifest[${g}]`;
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw invalidManifest(`${where} must be an object with 'paths' and 'weights' arrays`);
    }
    const paths = group.paths.map((p, i) => {
      if (typeof p !== 'string' || p === '') throw invalidManifest(`${where}.paths[${i}] must be a file name`);
      return normaliseArtifactPath(p);
    });
    const weights = group.weights.map((w, i) => readWeightSpec(w, `${where}.weights[${i}]`));
    return { paths, weights };
  });
}

function readWeightSpec(value: unknown, where: string): WeightSpec {
  if (!isObject(value) || typeof value.name !== 'string') throw invalidManifest(`${where} must have a name`);
  const { name, shape, dtype, quantization } = value;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw invalidManifest(`weight '${name}' must have a shape of non-negative integers`);
  }
  if (typeof dtype !== 'string' || !WEIGHT_DTYPES.has(dtype)) {
    throw invalidManifest(`weight '${name}' has unsupported dtype '${String(dtype)}'`);
  }
  const spec: WeightSpec = { name, shape: shape as number[], dtype: dtype as WeightDtype };
  if (typeof value.group === 'string') spec.group = value.group;
  if (quantization !== undefined) {
    if (!isObject(quantization) || typeof quantization.dtype !== 'string' || !QUANTIZATION_DTYPES.has(quantization.dtype)) {
      throw invalidManifest(`weight '${name}' has an unsupported quantization (uint8, uint16 or float16 expected)`);
    }
    const q: WeightQuantization = { dtype: quantization.dtype as QuantizationDtype };
    if (q.dtype === 'float16') {
      if (dtype !== 'float32') throw invalidManifest(`weight '${name}': float16 quantization needs a float32 weight`);
    } else {
      if (!Number.isFinite(quantization.scale) || !Number.isFinite(quantization.min)) {
        throw invalidManifest(`weight '${name}': ${q.dtype} quantization needs numeric 'scale' and 'min'`);
      }
      if (dtype !== 'float32' && dtype !== 'int32') {
        throw invalidManifest(`weight '${name}': ${q.dtype} quantization needs a float32 or int32 weight`);
      }
      q.scale = quantization.scale as number;
      q.min = quantization.min as number;
    }
    spec.quantization = q;
  }
  return spec;
}

/** Bytes a group's weights need; string weights are length-prefixed, so their size is read from the data. */
function groupByteLength(group: WeightGroup, data: Buffer): number {
  let offset = 0;
  for (const w of group.weights) {
    if (w.dtype === 'string' && !w.quantization) {
      for (let i = elementCount(w.shape); i > 0; i--) {
        if (offset + 4 > data.length) return Number.POSITIVE_INFINITY;
        offset += 4 + data.readUInt32LE(offset);
      }
    } else {
      offset += elementCount(w.shape) * storedValueBytes(w);
    }
  }
  return offset;
}

function invalidManifest(detail: string): InvalidArtifactError {
  return new InvalidArtifactError('invalid-manifest', `The weights manifest in model.json is not valid: ${detail}.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
