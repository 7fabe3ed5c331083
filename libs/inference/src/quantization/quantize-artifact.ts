import { ArtifactFiles, MODEL_JSON } from '../artifact/artifact.types';
import { elementCount, normaliseArtifactPath, parseArtifact, WeightSpec } from '../artifact/model-artifact';

export type QuantizationTarget = 'float16' | 'uint16' | 'uint8';

/** tensorflowjs_converter's default shard size. */
const SHARD_BYTES = 4 * 1024 * 1024;

/**
 * Rewrites an artifact with quantized weights in TensorFlow.js' own manifest format, so the
 * result loads with stock tfjs (which dequantizes to float32 at load time):
 * - uint8 / uint16: affine `value ≈ q·scale + min` per weight, with the range nudged so that 0.0
 *   is exactly representable (as tensorflowjs_converter does: ReLU zeros and padding stay exact);
 * - float16: IEEE half precision, round-to-nearest-even.
 * Only float32 weights are quantized; int32, bool and string weights, and weights holding
 * non-finite values, are copied unchanged. Already-quantized weights are dequantized first.
 * Files beside the model (labels.json…) are kept; the weights are rewritten as one group of
 * `group1-shardNofM.bin` files.
 */
export function quantizeArtifact(files: ArtifactFiles, dtype: QuantizationTarget): ArtifactFiles {
  const parsed = parseArtifact(files);
  const source = Buffer.from(parsed.weightData);
  const specs: WeightSpec[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const spec of parsed.weightSpecs) {
    const { values, byteLength } = readWeight(spec, source, offset);
    offset += byteLength;
    if (values && values.every(Number.isFinite)) {
      const { data, quantization } = dtype === 'float16' ? toFloat16(values) : toAffine(values, dtype);
      specs.push({ ...spec, dtype: 'float32', quantization });
      chunks.push(data);
    } else {
      // Not a float32 weight (or not quantizable): stored exactly as it was.
      specs.push(spec);
      chunks.push(source.subarray(offset - byteLength, offset));
    }
  }

  const weights = Buffer.concat(chunks);
  const shardCount = Math.max(1, Math.ceil(weights.length / SHARD_BYTES));
  const paths = Array.from({ length: shardCount }, (_, i) => `group1-shard${i + 1}of${shardCount}.bin`);

  const out: ArtifactFiles = new Map();
  const modelJson = { ...parsed.modelJson, weightsManifest: [{ paths, weights: specs }] };
  out.set(MODEL_JSON, Buffer.from(JSON.stringify(modelJson)));
  paths.forEach((p, i) => out.set(p, weights.subarray(i * SHARD_BYTES, (i + 1) * SHARD_BYTES)));
  const replaced = new Set([MODEL_JSON, ...parsed.groups.flatMap((g) => g.paths), ...paths]);
  for (const [path, data] of files) {
    if (!replaced.has(safeNormalise(path))) out.set(path, data);
  }
  return out;
}

/** A float32 weight's values (dequantized if stored quantized); undefined for other dtypes. */
function readWeight(spec: WeightSpec, data: Buffer, offset: number): { values?: Float32Array; byteLength: number } {
  const count = elementCount(spec.shape);
  if (spec.dtype === 'string') {
    let end = offset;
    for (let i = 0; i < count; i++) end += 4 + data.readUInt32LE(end);
    return { byteLength: end - offset };
  }
  const q = spec.quantization;
  if (!q) {
    const byteLength = count * (spec.dtype === 'bool' ? 1 : spec.dtype === 'complex64' ? 8 : 4);
    if (spec.dtype !== 'float32') return { byteLength };
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = data.readFloatLE(offset + i * 4);
    return { values, byteLength };
  }
  const width = q.dtype === 'uint8' ? 1 : 2;
  if (spec.dtype !== 'float32') return { byteLength: count * width };
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const at = offset + i * width;
    values[i] =
      q.dtype === 'float16'
        ? fromFloat16(data.readUInt16LE(at))
        : (q.dtype === 'uint8' ? data.readUInt8(at) : data.readUInt16LE(at)) * q.scale! + q.min!;
  }
  return { values, byteLength: count * width };
}

function toAffine(values: Float32Array, dtype: 'uint8' | 'uint16') {
  const qMax = dtype === 'uint8' ? 255 : 65535;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let scale: number;
  if (values.length === 0 || min === max) {
    // One distinct value is stored exactly: q = 0 decodes to `min`.
    scale = 1;
    min = values.length === 0 ? 0 : min;
  } else {
    // Widen the range to contain 0, then move it so that 0 falls exactly on a quantization step.
    min = Math.min(min, 0);
    max = Math.max(max, 0);
    scale = (max - min) / qMax;
    const zeroPoint = Math.min(qMax, Math.max(0, Math.round(-min / scale)));
    min = -zeroPoint * scale;
  }
  const data = Buffer.alloc(values.length * (dtype === 'uint8' ? 1 : 2));
  values.forEach((v, i) => {
    const q = Math.min(qMax, Math.max(0, Math.round((v - min) / scale)));
    if (dtype === 'uint8') data.writeUInt8(q, i);
    else data.writeUInt16LE(q, i * 2);
  });
  return { data, quantization: { dtype, scale, min } };
}

function toFloat16(values: Float32Array) {
  const data = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => data.writeUInt16LE(float16Bits(v), i * 2));
  return { data, quantization: { dtype: 'float16' as const } };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a float32, rounding to nearest even (subnormals, ±Inf, NaN handled). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function fromFloat16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

function safeNormalise(path: string): string {
  try {
    return normaliseArtifactPath(path);
  } catch {
    return path;
  }
}
