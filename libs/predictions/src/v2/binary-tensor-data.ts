import { FieldError, ValidationFailedError } from '@app/common';
import { float16Bits, fromFloat16 } from '@app/inference';
import type { V2InferRequest, V2InferResponse, V2OutputTensor } from './inference-protocol';

/*
 * Triton's binary tensor data extension (docs/protocol/extension_binary_data.md in
 * triton-inference-server/server): a body of JSON followed by raw tensor bytes, the JSON's byte
 * length in `Inference-Header-Content-Length`. Each binary tensor says its byte length in
 * `parameters.binary_data_size` and has no `data`; the blobs follow the JSON in tensor order.
 * Tensor bytes are little-endian and row-major; BOOL is one byte; each BYTES element is a 4-byte
 * little-endian length followed by its bytes.
 */

/** The header naming the byte length of the JSON part (as Node lower-cases it). */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

interface FixedType {
  bytes: number;
  read(view: DataView, at: number): number | boolean;
  write(view: DataView, at: number, value: number | boolean): void;
}

/** 64-bit integers travel as JS numbers; one that is not a safe integer is refused downstream by its range check. */
const toBigInt = (value: number | boolean, signed: boolean): bigint => {
  const n = Number(value);
  // An output is written whatever the model produced: wrapped as a C cast would, never a thrown RangeError.
  const int = Number.isFinite(n) ? BigInt(Math.trunc(n)) : 0n;
  return signed ? BigInt.asIntN(64, int) : BigInt.asUintN(64, int);
};

const FIXED: Record<string, FixedType> = {
  BOOL: {
    bytes: 1,
    read: (v, at) => v.getUint8(at) !== 0,
    write: (v, at, x) => v.setUint8(at, x ? 1 : 0),
  },
  INT8: { bytes: 1, read: (v, at) => v.getInt8(at), write: (v, at, x) => v.setInt8(at, Number(x)) },
  UINT8: { bytes: 1, read: (v, at) => v.getUint8(at), write: (v, at, x) => v.setUint8(at, Number(x)) },
  INT16: { bytes: 2, read: (v, at) => v.getInt16(at, true), write: (v, at, x) => v.setInt16(at, Number(x), true) },
  UINT16: { bytes: 2, read: (v, at) => v.getUint16(at, true), write: (v, at, x) => v.setUint16(at, Number(x), true) },
  INT32: { bytes: 4, read: (v, at) => v.getInt32(at, true), write: (v, at, x) => v.setInt32(at, Number(x), true) },
  UINT32: { bytes: 4, read: (v, at) => v.getUint32(at, true), write: (v, at, x) => v.setUint32(at, Number(x), true) },
  INT64: {
    bytes: 8,
    read: (v, at) => Number(v.getBigInt64(at, true)),
    write: (v, at, x) => v.setBigInt64(at, toBigInt(x, true), true),
  },
  UINT64: {
    bytes: 8,
    read: (v, at) => Number(v.getBigUint64(at, true)),
    write: (v, at, x) => v.setBigUint64(at, toBigInt(x, false), true),
  },
  FP16: {
    bytes: 2,
    read: (v, at) => fromFloat16(v.getUint16(at, true)),
    write: (v, at, x) => v.setUint16(at, float16Bits(Number(x)), true),
  },
  FP32: { bytes: 4, read: (v, at) => v.getFloat32(at, true), write: (v, at, x) => v.setFloat32(at, Number(x), true) },
  FP64: { bytes: 8, read: (v, at) => v.getFloat64(at, true), write: (v, at, x) => v.setFloat64(at, Number(x), true) },
};

/** The datatypes that can travel as binary data. */
export const BINARY_DATATYPES: readonly string[] = [...Object.keys(FIXED), 'BYTES'];

const BYTES_LENGTH_PREFIX = 4;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Header values are digits only: no sign, no exponent, no whitespace; 15 digits is past any body limit. */
const HEADER_LENGTH = /^\d{1,15}$/;

function refuse(errors: FieldError[]): never {
  throw new ValidationFailedError(errors, errors[0].message);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Elements of a shape, or undefined when it is not a list of non-negative integers with a safe product. */
function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) return undefined;
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  return Number.isSafeInteger(count) ? count : undefined;
}

function formatShape(shape: number[]): string {
  return shape.length <= 16 ? `[${shape.join(', ')}]` : `[${shape.slice(0, 16).join(', ')}, … (${shape.length} dimensions)]`;
}

/** Reads the JSON part's length from the header: a non-negative integer no larger than the body. */
function jsonLength(header: string | string[] | undefined, bodyLength: number): number {
  const field = 'Inference-Header-Content-Length';
  if (header === undefined) {
    refuse([
      {
        field,
        message: `An application/octet-stream inference request needs the ${field} header: the byte length of the JSON that starts the body (binary tensor data extension).`,
      },
    ]);
  }
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!HEADER_LENGTH.test(value)) {
    refuse([{ field, message: `${field} must be a non-negative integer (the byte length of the JSON part), got "${value.slice(0, 40)}"` }]);
  }
  const length = Number(value);
  if (length > bodyLength) {
    refuse([{ field, message: `${field} is ${length} but the body has only ${bodyLength} bytes` }]);
  }
  return length;
}

function parseJson(json: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(json));
  } catch {
    refuse([
      {
        field: 'body',
        message: `The first ${json.length} bytes of the body (Inference-Header-Content-Length) are not a valid JSON inference request`,
      },
    ]);
  }
  if (!isObject(parsed)) refuse([{ field: 'body', message: 'The JSON part of the body must be a JSON object' }]);
  return parsed;
}

/** Splits BYTES elements (each a 4-byte little-endian length, then that many bytes) into strings. */
function readBytesElements(blob: Buffer, count: number, field: string): string[] {
  const out: string[] = [];
  let at = 0;
  // Bounded by the blob: every element consumes at least its 4-byte prefix.
  while (at < blob.length) {
    if (out.length === count) break;
    if (at + BYTES_LENGTH_PREFIX > blob.length) {
      refuse([{ field, message: `${field} ends inside the 4-byte length of element ${out.length}` }]);
    }
    const length = blob.readUInt32LE(at);
    at += BYTES_LENGTH_PREFIX;
    if (at + length > blob.length) {
      refuse([{ field, message: `element ${out.length} of ${field} claims ${length} bytes but only ${blob.length - at} remain` }]);
    }
    try {
      out.push(utf8.decode(blob.subarray(at, at + length)));
    } catch {
      refuse([{ field, message: `element ${out.length} of ${field} is not valid UTF-8 (BYTES values are strings here)` }]);
    }
    at += length;
  }
  if (out.length !== count || at !== blob.length) {
    refuse([
      {
        field,
        message:
          out.length !== count
            ? `${field} holds ${out.length} BYTES elements but the shape needs ${count}`
            : `${field} has ${blob.length - at} bytes left after the ${count} BYTES elements the shape needs`,
      },
    ]);
  }
  return out;
}

/** The values of one binary input, checked against its datatype and shape. */
function decodeTensor(tensor: Record<string, unknown>, blob: Buffer, index: number): unknown[] {
  const datatype = tensor.datatype;
  const field = `inputs[${index}]`;
  const sizeField = `${field}.parameters.binary_data_size`;
  if (typeof datatype !== 'string' || !BINARY_DATATYPES.includes(datatype)) {
    refuse([
      {
        field: `${field}.datatype`,
        message: `datatype ${String(datatype).slice(0, 40)} cannot carry binary data (use one of ${BINARY_DATATYPES.join(', ')})`,
      },
    ]);
  }
  const count = elementCount(tensor.shape);
  if (count === undefined) refuse([{ field: `${field}.shape`, message: `${field}.shape must be an array of non-negative integers` }]);
  const shape = formatShape(tensor.shape as number[]);
  if (datatype === 'BYTES') return readBytesElements(blob, count, sizeField);
  const type = FIXED[datatype];
  if (blob.length !== count * type.bytes) {
    refuse([
      {
        field: sizeField,
        message: `${sizeField} is ${blob.length} but shape ${shape} of ${datatype} needs ${count * type.bytes} bytes (${type.bytes} per element)`,
      },
    ]);
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const values = new Array<number | boolean>(count);
  for (let i = 0; i < count; i++) values[i] = type.read(view, i * type.bytes);
  return values;
}

/**
 * Turns an `application/octet-stream` inference request into the JSON request it stands for: each
 * input with `parameters.binary_data_size` gets its `data` (a flat row-major list of numbers,
 * booleans or strings) from the bytes after the JSON, and loses `binary_data_size`, so the usual
 * validation sees an ordinary request. Nothing is allocated beyond what the body holds: sizes are
 * checked against the bytes present before any value is read.
 */
export function decodeBinaryInferRequest(body: Buffer, headerLength: string | string[] | undefined): V2InferRequest {
  const length = jsonLength(headerLength, body.length);
  const request = parseJson(body.subarray(0, length));
  const inputs = Array.isArray(request.inputs) ? (request.inputs as unknown[]) : [];

  // Framing first: where each input's bytes are, and that they account for the body exactly.
  const errors: FieldError[] = [];
  const slices: { index: number; start: number; end: number }[] = [];
  let offset = length;
  inputs.forEach((input, index) => {
    if (!isObject(input) || !isObject(input.parameters) || !('binary_data_size' in input.parameters)) return;
    const size = input.parameters.binary_data_size;
    if (!Number.isSafeInteger(size) || (size as number) < 0) {
      errors.push({
        field: `inputs[${index}].parameters.binary_data_size`,
        message: `inputs[${index}].parameters.binary_data_size must be a non-negative integer (bytes)`,
      });
      return;
    }
    if (input.data !== undefined) {
      errors.push({
        field: `inputs[${index}].data`,
        message: `inputs[${index}] has binary_data_size: its values come from the binary part, so it must not have data`,
      });
    }
    slices.push({ index, start: offset, end: offset + (size as number) });
    offset += size as number;
  });
  if (errors.length) refuse(errors);
  const binaryBytes = body.length - length;
  if (offset - length !== binaryBytes) {
    refuse([
      {
        field: 'body',
        message: `${binaryBytes} bytes follow the JSON part but the inputs' binary_data_size add up to ${offset - length}`,
      },
    ]);
  }

  const decoded = inputs.slice();
  for (const { index, start, end } of slices) {
    const tensor = inputs[index] as Record<string, unknown>;
    const { binary_data_size: _size, ...parameters } = tensor.parameters as Record<string, unknown>;
    const { parameters: _parameters, ...rest } = tensor;
    decoded[index] = {
      ...rest,
      ...(Object.keys(parameters).length ? { parameters } : {}),
      data: decodeTensor(tensor, body.subarray(start, end), index),
    };
  }
  return (Array.isArray(request.inputs) ? { ...request, inputs: decoded } : request) as unknown as V2InferRequest;
}

/** Which outputs to answer binary, by name; checks the parameters that ask for it (400 when malformed). */
function binaryOutputChoice(request: V2InferRequest): { all: boolean; byName: Map<string, boolean> } {
  const errors: FieldError[] = [];
  const parameters = (request as { parameters?: unknown }).parameters;
  let all = false;
  if (parameters !== undefined) {
    if (!isObject(parameters)) {
      errors.push({ field: 'parameters', message: 'parameters must be an object' });
    } else if (parameters.binary_data_output !== undefined) {
      if (typeof parameters.binary_data_output !== 'boolean') {
        errors.push({ field: 'parameters.binary_data_output', message: 'parameters.binary_data_output must be true or false' });
      } else {
        all = parameters.binary_data_output;
      }
    }
  }
  const byName = new Map<string, boolean>();
  const outputs = (request as { outputs?: unknown }).outputs;
  if (Array.isArray(outputs)) {
    outputs.forEach((output, i) => {
      if (!isObject(output) || !isObject(output.parameters) || output.parameters.binary_data === undefined) return;
      const binary = output.parameters.binary_data;
      if (typeof binary !== 'boolean') {
        errors.push({
          field: `outputs[${i}].parameters.binary_data`,
          message: `outputs[${i}].parameters.binary_data must be true or false`,
        });
      } else if (typeof output.name === 'string' && !byName.has(output.name)) {
        byName.set(output.name, binary);
      }
    });
  }
  if (errors.length) refuse(errors);
  return { all, byName };
}

/**
 * Whether the request asks for any output as binary data (`parameters.binary_data_output`, or
 * `binary_data` on a requested output). Throws the 400 for malformed flags: call it before
 * running the model, so a bad flag never costs an inference.
 */
export function binaryOutputRequested(request: V2InferRequest): boolean {
  const { all, byName } = binaryOutputChoice(request);
  return all || [...byName.values()].some(Boolean);
}

function encodeTensor(tensor: V2OutputTensor): Buffer {
  const data = tensor.data as unknown[];
  if (tensor.datatype === 'BYTES') {
    const parts: Buffer[] = [];
    for (const value of data) {
      const bytes = Buffer.from(String(value), 'utf8');
      const prefix = Buffer.alloc(BYTES_LENGTH_PREFIX);
      prefix.writeUInt32LE(bytes.length);
      parts.push(prefix, bytes);
    }
    return Buffer.concat(parts);
  }
  const type = FIXED[tensor.datatype];
  const blob = Buffer.alloc(data.length * type.bytes);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  data.forEach((value, i) => type.write(view, i * type.bytes, value as number | boolean));
  return blob;
}

/** A response output as it travels in the JSON part: binary ones carry their size instead of data. */
type EncodedOutput = Omit<V2OutputTensor, 'data'> & { data?: V2OutputTensor['data']; parameters?: Record<string, unknown> };

/**
 * The response as binary tensor data when the request asked for it: the JSON (binary outputs with
 * `parameters.binary_data_size` and no `data`) followed by their bytes in output order, and the
 * JSON's byte length for `Inference-Header-Content-Length`. Undefined when no output is asked binary.
 */
export function encodeBinaryInferResponse(
  response: V2InferResponse,
  request: V2InferRequest,
): { body: Buffer; headerLength: number } | undefined {
  const { all, byName } = binaryOutputChoice(request);
  const blobs: Buffer[] = [];
  let any = false;
  const outputs = response.outputs.map((output): EncodedOutput => {
    const binary = byName.get(output.name) ?? all;
    if (!binary || !(output.datatype === 'BYTES' || output.datatype in FIXED)) return output;
    any = true;
    const blob = encodeTensor(output);
    blobs.push(blob);
    const { data: _data, ...rest } = output;
    return { ...rest, parameters: { ...(output as EncodedOutput).parameters, binary_data_size: blob.length } };
  });
  if (!any) return undefined;
  const json = Buffer.from(JSON.stringify({ ...response, outputs }), 'utf8');
  return { body: Buffer.concat([json, ...blobs]), headerLength: json.length };
}
