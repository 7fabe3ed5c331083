import { DomainError, FieldError, ValidationFailedError } from '@app/common';
import type { Datatype, OutputColumns, TensorSpec } from '@app/inference';

/** Open Inference Protocol (KServe v2 / Triton) tensors, as they travel in JSON. */
export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown;
  parameters?: Record<string, unknown>;
}

export interface V2InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2Tensor[];
  outputs?: { name: string; parameters?: object }[];
}

export interface V2OutputTensor {
  name: string;
  shape: number[];
  datatype: Datatype | 'BYTES';
  data: number[] | boolean[] | string[];
}

export interface V2InferResponse {
  model_name: string;
  model_version: string;
  id: string;
  outputs: V2OutputTensor[];
}

/** The Open Inference Protocol extensions this server implements (listed by `GET /v2`). */
export const V2_EXTENSIONS: readonly string[] = ['classification', 'statistics', 'binary_tensor_data'];

/** Errors that mean "this input does not fit the model": 422 on v1, 400 on v2 (as KServe and Triton answer). */
const INVALID_INPUT_CODES: ReadonlySet<string> = new Set([
  'VALIDATION_FAILED',
  'EMPTY_INSTANCES',
  'INPUT_SHAPE_MISMATCH',
  'OUTPUT_TOO_LARGE',
]);

/** The v2 form of an error: invalid inference input is a 400 (same code, text and members); anything else as it is. */
export function asProtocolError(error: unknown): unknown {
  if (!(error instanceof DomainError) || error.kind !== 'unprocessable' || !INVALID_INPUT_CODES.has(error.code)) return error;
  return new DomainError('bad-request', error.code, error.message, {
    errors: error.errors,
    extensions: error.extensions,
    headers: error.headers,
    cause: error,
  });
}

const SUPPORTED: readonly string[] = [
  'FP32',
  'FP64',
  'FP16',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'BOOL',
  'BYTES',
];
const INTEGER_RANGES: Record<string, [number, number]> = {
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

/** Largest finite half-precision value: FP16 data beyond it cannot be what the caller meant. */
const FP16_MAX = 65_504;
const FP32_MAX = 3.4028234663852886e38;
/** Dimensions shown when a shape is echoed in an error: the rank of any real tensor, not a 200,000-entry list. */
const SHAPE_ECHO_DIMS = 16;

/** `[1, 4]`, or `[1, 1, 1, … (200000 dimensions)]` for a shape nobody should read in full. */
function formatShape(shape: readonly unknown[]): string {
  if (shape.length <= SHAPE_ECHO_DIMS) return `[${shape.map(String).join(', ')}]`;
  return `[${shape.slice(0, SHAPE_ECHO_DIMS).map(String).join(', ')}, … (${shape.length} dimensions)]`;
}

function invalid(field: string, message: string): never {
  throw new ValidationFailedError([{ field, message }], message, 'unprocessable');
}

/** Flattens nested `data` row-major, checking the nesting matches `shape` when it is nested. */
function flatten(data: unknown, shape: number[], field: string): unknown[] {
  if (!Array.isArray(data)) invalid(field, `${field} must be an array`);
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (value: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      if (Array.isArray(value)) invalid(path, `${path} is nested deeper than shape ${formatShape(shape)}`);
      out.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      invalid(path, `${path} must have ${shape[depth]} elements to match shape ${formatShape(shape)}`);
    }
    value.forEach((v, i) => walk(v, depth + 1, `${path}[${i}]`));
  };
  walk(data, 0, field);
  return out;
}

function toValue(value: unknown, datatype: string, field: string): number | string {
  if (datatype === 'BYTES') {
    if (typeof value !== 'string') invalid(field, `${field} must be a string (datatype BYTES)`);
    return value;
  }
  if (datatype === 'BOOL') {
    if (typeof value !== 'boolean') invalid(field, `${field} must be true or false (datatype BOOL)`);
    return value ? 1 : 0;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(field, `${field} must be a finite number (datatype ${datatype})`);
  const range = INTEGER_RANGES[datatype];
  if (range && (!Number.isInteger(value) || value < range[0] || value > range[1])) {
    invalid(field, `${field} must be an integer in [${range[0]}, ${range[1]}] (datatype ${datatype})`);
  }
  const max = datatype === 'FP16' ? FP16_MAX : datatype === 'FP32' ? FP32_MAX : undefined;
  if (max !== undefined && Math.abs(value) > max) {
    invalid(field, `${field} is out of the ${datatype} range [-${max}, ${max}] (datatype ${datatype})`);
  }
  return value;
}

/**
 * Turns a v2 request into rows per model input (signature order), checking names, datatypes,
 * shapes and the batch size against the model's inputs before any tensor exists. Values are then
 * checked per input like v1's rows.
 */
export function decodeInferRequest(request: V2InferRequest, inputs: readonly TensorSpec[]): unknown[][][] {
  if (!Array.isArray(request.inputs) || request.inputs.length === 0) invalid('inputs', 'inputs must name at least one tensor');
  const expected = inputs.map((i) => `"${i.name}" (${i.datatype}, shape ${formatShape(i.shape)})`).join(', ');
  const takes = inputs.length === 1 ? `this model takes exactly one input named ${expected}` : `this model takes the inputs ${expected}`;
  const names = request.inputs.map((t) => (t as { name?: unknown } | null)?.name);
  const unknown = names.filter((name) => !inputs.some((i) => i.name === name));
  const missing = inputs.filter((i) => !names.includes(i.name));
  const repeated = names.filter((name, k) => names.indexOf(name) !== k);
  if (unknown.length || missing.length || repeated.length) {
    const errors: FieldError[] = [
      ...(unknown.length ? [{ field: 'inputs', message: `unknown input ${listNames(unknown)}; ${takes}` }] : []),
      ...missing.map((i) => ({ field: 'inputs', message: `input "${i.name}" is missing; ${takes}` })),
      ...(repeated.length ? [{ field: 'inputs', message: `input ${listNames(repeated)} is given more than once` }] : []),
    ];
    throw new ValidationFailedError(errors, errors[0].message, 'unprocessable');
  }
  let batch: number | undefined;
  return inputs.map((input) => {
    const k = request.inputs.findIndex((t) => t.name === input.name);
    const tensor = request.inputs[k];
    const field = `inputs[${k}]`;
    if (!SUPPORTED.includes(tensor.datatype)) {
      invalid(
        `${field}.datatype`,
        `datatype ${String(tensor.datatype).slice(0, 20)} is not supported (use one of ${SUPPORTED.join(', ')})`,
      );
    }
    if ((tensor.datatype === 'BYTES') !== (input.datatype === 'BYTES')) {
      invalid(`${field}.datatype`, `input "${input.name}" is ${input.datatype}; ${tensor.datatype} data cannot feed it`);
    }
    const shape = tensor.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      invalid(`${field}.shape`, `${field}.shape must be an array of non-negative integers`);
    }
    const spec = input.shape;
    const mismatch = shape.length !== spec.length || shape.some((d, i) => spec[i] !== -1 && spec[i] !== d);
    if (mismatch) {
      invalid(`${field}.shape`, `input "${input.name}" expects shape ${formatShape(spec)}, got ${formatShape(shape)}`);
    }
    const rows = shape.length === 0 ? 1 : shape[0];
    if (batch !== undefined && rows !== batch) {
      invalid(
        `${field}.shape`,
        `input "${input.name}" has ${rows} rows but the inputs before it have ${batch}: every input needs one entry per row`,
      );
    }
    batch ??= rows;
    const flat = flatten(tensor.data, shape, `${field}.data`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (flat.length !== size) {
      invalid(`${field}.data`, `${field}.data has ${flat.length} values but shape ${formatShape(shape)} needs ${size}`);
    }
    const values = flat.map((v, i) => toValue(v, tensor.datatype, `${field}.data[${i}]`));
    const width = size / Math.max(rows, 1);
    return Array.from({ length: rows }, (_, r) => values.slice(r * width, (r + 1) * width));
  });
}

/** An output to answer: the tensor, or (classification extension) its top `classification` classes. */
export interface OutputPlan {
  spec: TensorSpec;
  /** The output's position in the model's signature (and in the run's outputs). */
  index: number;
  classification?: number;
}

function listNames(names: unknown[]): string {
  const named = names
    .slice(0, 5)
    .map((n) => `"${String(n).slice(0, 100)}"`)
    .join(', ');
  return `${named}${names.length > 5 ? ` and ${names.length - 5} more` : ''}`;
}

/** Values per row of an output, when its shape fixes it (undefined with an unknown dimension). */
function rowWidth(spec: TensorSpec): number | undefined {
  const dims = spec.shape.slice(1);
  return dims.some((d) => d < 0) ? undefined : dims.reduce((a, b) => a * b, 1);
}

/**
 * Checks the requested outputs (names, the classification parameter) against the model's before
 * anything runs. Without `outputs`, every output as a tensor.
 */
export function planOutputs(outputs: TensorSpec[], requested: unknown): OutputPlan[] {
  if (requested === undefined || (Array.isArray(requested) && requested.length === 0))
    return outputs.map((spec, index) => ({ spec, index }));
  if (!Array.isArray(requested)) invalid('outputs', 'outputs must be a list of {name, parameters?}');
  const names = outputs.map((o) => `"${o.name}"`).join(', ');
  const unknown = requested.filter((o) => !outputs.some((spec) => spec.name === (o as { name?: unknown } | null)?.name));
  if (unknown.length) {
    invalid('outputs', `unknown output ${listNames(unknown.map((o) => (o as { name?: unknown } | null)?.name))}; this model has ${names}`);
  }
  return (requested as { name: string; parameters?: unknown }[]).map((o, i) => {
    const index = outputs.findIndex((s) => s.name === o.name);
    const spec = outputs[index];
    const parameters = o.parameters;
    if (parameters === undefined) return { spec, index };
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      invalid(`outputs[${i}].parameters`, `outputs[${i}].parameters must be an object`);
    }
    const k = (parameters as { classification?: unknown }).classification;
    if (k === undefined) return { spec, index };
    const width = rowWidth(spec);
    if (spec.datatype === 'BYTES') invalid(`outputs[${i}].parameters.classification`, `output "${spec.name}" holds strings, not scores`);
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || (width !== undefined && k > width)) {
      invalid(
        `outputs[${i}].parameters.classification`,
        `classification must be an integer from 1 to ${width ?? 'the number of classes'} (output "${spec.name}" has ${width ?? 'an unknown number of'} classes)`,
      );
    }
    return { spec, index, classification: k };
  });
}

/** Triton's classification entry: "<score>:<index>" or "<score>:<index>:<label>", best first. */
function classify(predictions: number[][], k: number, labels: readonly string[] | undefined, field: string): string[] {
  const data: string[] = [];
  for (const row of predictions) {
    if (k > row.length) invalid(field, `classification must be an integer from 1 to ${row.length} (the output has ${row.length} classes)`);
    const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
    for (let j = 0; j < k; j++) {
      const index = order[j];
      const label = labels && labels.length === row.length ? `:${labels[index]}` : '';
      data.push(`${row[index].toPrecision(6)}:${index}${label}`);
    }
  }
  return data;
}

/** Shapes predictions as v2 output tensors (row-major flat data), honouring a requested subset and classification. */
export function encodeInferResponse(
  args: {
    modelName: string;
    version: number;
    id: string;
    outputs: TensorSpec[];
    requested?: unknown;
    /** The outputs as {@link planOutputs} checked them (else planned here from `requested`). */
    plans?: OutputPlan[];
    /** The version's class labels: classification entries name them. */
    labels?: readonly string[] | null;
  },
  /** Per output of the model (signature order), its rows. */
  outputs: OutputColumns,
): V2InferResponse {
  const plans = args.plans ?? planOutputs(args.outputs, args.requested);
  return {
    model_name: args.modelName,
    model_version: String(args.version),
    id: args.id,
    outputs: plans.map(({ spec, index, classification }, i) => {
      const rows = outputs[index];
      if (classification === undefined) {
        const dims = spec.shape.slice(1);
        const width = rows[0]?.length ?? 0;
        // The declared dimensions when they account for the row (nested outputs keep their rank), else [rows, width].
        const known = dims.length > 0 && dims.every((d) => d > 0) && dims.reduce((a, b) => a * b, 1) === width;
        return {
          name: spec.name,
          shape: [rows.length, ...(known ? dims : [width])],
          datatype: spec.datatype,
          data: rows.flat() as V2OutputTensor['data'],
        };
      }
      return {
        name: spec.name,
        shape: [rows.length, classification],
        datatype: 'BYTES',
        data: classify(rows as number[][], classification, args.labels ?? undefined, `outputs[${i}].parameters.classification`),
      };
    }),
  };
}
