import { FieldError, ValidationFailedError } from '@app/common';
import { InputColumns, ModelSignature, TensorSpec, TensorValue } from '../artifact/artifact.types';

export interface ValidateRowsOptions {
  /** Upper bound on rows per request (MAX_ROWS_PER_REQUEST). */
  maxRows: number;
  /** Names of the input's features in column order: rows may then be objects keyed by name. */
  featureNames?: readonly string[];
  /** How the rows are called in the request, for error fields (default `instances`). */
  field?: string;
}

/** Error entries kept per response: enough to fix a request, bounded for a 1,000-row mistake. */
const MAX_ERRORS = 20;
const FP32_MAX = 3.4028234663852886e38;

/**
 * Checks request rows against a single-input model before any tensor exists, and returns them as
 * flat numeric rows in the input's column order (see {@link validateInputs}).
 */
export function validateRows(signature: ModelSignature, rows: unknown, options: ValidateRowsOptions): number[][] {
  return validateInputs(signature, rows, options)[0] as number[][];
}

/**
 * Checks request rows against the model's inputs before any tensor exists, and returns, per input,
 * the rows' values flat in the input's order. For a single input, a row is a flat array, an array
 * nested like the input's dimensions, an object keyed by feature name (with feature names), or an
 * object holding the input under its name (TF Serving's row form). With several inputs, a row is an
 * object keyed by input name; an input of one value per row takes `41` or `[41]`. BYTES inputs take
 * strings or `{"b64": "<base64>"}`. Every failure is a 422 whose message names each input with its
 * datatype and shape, and whose errors name the rows and inputs.
 */
export function validateInputs(signature: ModelSignature, rows: unknown, options: ValidateRowsOptions): InputColumns {
  const inputs = signature.inputs;
  const field = options.field ?? 'instances';
  const expected =
    inputs.length === 1
      ? `input '${inputs[0].name}' (${inputs[0].datatype}), expected shape ${formatShape(inputs[0].shape)}`
      : `inputs ${inputs.map(describeInput).join(', ')}`;
  const fail = (errors: FieldError[], summary: string): never => {
    throw new ValidationFailedError(errors, `${summary}: ${expected}.`, 'unprocessable');
  };

  assertRowList(rows, field, options.maxRows, fail);
  const { report, finish } = rowErrors(field, fail);
  const columns: InputColumns = inputs.map(() => new Array(rows.length));
  const widths: (number | undefined)[] = inputs.map(() => undefined);
  const accept = (i: number, r: number, flat: unknown[], at: string, fieldOf: (index: number) => string) => {
    // Inputs with a free (-1) feature dimension still need rows of one width to form one tensor.
    const width = widths[i];
    if (width !== undefined && flat.length !== width) {
      report({ field: at, message: `has ${flat.length} values but earlier rows have ${width}` });
      return;
    }
    widths[i] ??= flat.length;
    const values = toValues(flat, inputs[i], fieldOf, report);
    if (values) columns[i][r] = values;
  };

  if (inputs.length === 1) {
    const input = inputs[0];
    const dims = input.shape.slice(1);
    const featureNames = options.featureNames && options.featureNames.length > 0 ? options.featureNames : undefined;
    rows.forEach((row, r) => {
      const at = `${field}[${r}]`;
      if (Array.isArray(row)) {
        const flat = flatten(row, dims, at, report);
        if (flat) accept(0, r, flat, at, (i) => `${at}[${i}]`);
      } else if (isObject(row) && Object.keys(row).length === 1 && input.name in row && !featureNames?.includes(input.name)) {
        const flat = valueOf(row[input.name], dims, `${at}.${input.name}`, input, report);
        if (flat) accept(0, r, flat, `${at}.${input.name}`, (i) => `${at}.${input.name}[${i}]`);
      } else if (isObject(row)) {
        const flat = byFeatureName(row, featureNames, at, report, input, dims);
        if (flat) accept(0, r, flat, at, (i) => `${at}.${featureNames?.[i]}`);
      } else if (row !== null && row !== undefined && dims.every((d) => d === 1)) {
        // One value per row (a string, a `{"b64"}`, a number): TF Serving's `"instances": ["a", "b"]`.
        accept(0, r, [row], at, () => at);
      } else {
        report({
          field: at,
          message: `must be a list of ${describeWidth(dims)} ${input.datatype === 'BYTES' ? 'strings' : 'numbers'}${featureNames ? ' or an object keyed by feature name' : ''}`,
        });
      }
    });
  } else {
    const names = inputs.map((input) => input.name);
    rows.forEach((row, r) => {
      const at = `${field}[${r}]`;
      if (!isObject(row)) {
        report({ field: at, message: `must be an object keyed by input name (${names.join(', ')})` });
        return;
      }
      for (const key of Object.keys(row)) {
        if (!names.includes(key)) report({ field: `${at}.${key}`, message: `is not an input of this model (inputs: ${names.join(', ')})` });
      }
      inputs.forEach((input, i) => {
        const path = `${at}.${input.name}`;
        if (!(input.name in row)) {
          report({ field: path, message: `is required: input ${describeInput(input)}` });
          return;
        }
        const flat = valueOf(row[input.name], input.shape.slice(1), path, input, report);
        if (flat) accept(i, r, flat, path, (index) => `${path}[${index}]`);
      });
    });
  }

  finish(`the model's input${inputs.length === 1 ? '' : 's'}`);
  return columns;
}

type Fail = (errors: FieldError[], summary: string) => never;

/** Request rows must be a list of 1 to `maxRows` rows (422 through `fail` otherwise). */
export function assertRowList(rows: unknown, field: string, maxRows: number, fail: Fail): asserts rows is unknown[] {
  if (!Array.isArray(rows)) fail([{ field, message: 'must be an array of rows' }], `'${field}' is not a list of rows`);
  if (rows.length === 0) fail([{ field, message: 'must contain at least one row' }], 'There are no rows to predict');
  if (rows.length > maxRows) {
    fail(
      [{ field, message: `has ${rows.length} rows; at most ${maxRows} are allowed per request` }],
      `Too many rows (${rows.length} > ${maxRows})`,
    );
  }
}

/**
 * Collects what is wrong with a request's values, keeping MAX_ERRORS entries (enough to fix a
 * request, bounded for a 1,000-row mistake); `finish` fails with all of them, if any.
 */
export function rowErrors(field: string, fail: Fail): { report: (error: FieldError) => void; finish: (what: string) => void } {
  const errors: FieldError[] = [];
  let total = 0;
  return {
    report: (error) => {
      total++;
      if (errors.length < MAX_ERRORS) errors.push(error);
    },
    finish: (what) => {
      if (total === 0) return;
      if (total > errors.length) errors.push({ field, message: `and ${total - errors.length} more errors` });
      fail(errors, `${total} ${total === 1 ? 'value does' : 'values do'} not fit ${what}`);
    },
  };
}

function describeInput(input: TensorSpec): string {
  return `'${input.name}' (${input.datatype}, shape ${formatShape(input.shape)})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !isB64(value);
}

function isB64(value: unknown): value is { b64: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'b64' in value;
}

/** One input's value in a row: a list (flat or nested), or a bare value where the row holds one. */
function valueOf(value: unknown, dims: number[], at: string, input: TensorSpec, report: (e: FieldError) => void): unknown[] | undefined {
  if (Array.isArray(value)) return flatten(value, dims, at, report);
  if (dims.every((d) => d === 1 || d === -1)) return [value];
  report({ field: at, message: `must be a list of ${describeWidth(dims)} values for input ${describeInput(input)}` });
  return undefined;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function describeWidth(dims: number[]): string {
  return dims.some((d) => d < 0) ? 'a fixed number of' : String(dims.reduce((n, d) => n * d, 1));
}

/** A row as flat values: either already flat (width = product of dims) or nested like the dims. */
function flatten(row: unknown[], dims: number[], at: string, report: (e: FieldError) => void): unknown[] | undefined {
  const known = dims.every((d) => d >= 0);
  const width = dims.reduce((n, d) => n * d, 1);
  if (dims.length <= 1 || !row.some(Array.isArray)) {
    if (known && row.length !== width) {
      report({ field: at, message: `expected ${width} values, got ${row.length}` });
      return undefined;
    }
    return row;
  }
  // Nested rows must match every dimension exactly.
  const out: unknown[] = [];
  const walk = (value: unknown, depth: number, path: string): boolean => {
    if (depth === dims.length) {
      out.push(value);
      return true;
    }
    if (!Array.isArray(value) || (dims[depth] >= 0 && value.length !== dims[depth])) {
      report({
        field: path,
        message: `expected a list of ${dims[depth] >= 0 ? dims[depth] : 'n'} at depth ${depth + 1} of shape ${formatShape(dims)}`,
      });
      return false;
    }
    return value.every((v, i) => walk(v, depth + 1, `${path}[${i}]`));
  };
  return walk(row, 0, at) ? out : undefined;
}

function byFeatureName(
  row: Record<string, unknown>,
  featureNames: readonly string[] | undefined,
  at: string,
  report: (e: FieldError) => void,
  input: TensorSpec,
  dims: number[],
): unknown[] | undefined {
  if (!featureNames) {
    report({ field: at, message: `must be a list of ${describeWidth(dims)} numbers (input '${input.name}' has no named features)` });
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(row)) {
    if (!featureNames.includes(key)) {
      report({ field: `${at}.${key}`, message: `is not a feature of this model (features: ${featureNames.join(', ')})` });
      ok = false;
    }
  }
  const values = featureNames.map((name) => {
    if (!(name in row)) {
      report({ field: `${at}.${name}`, message: 'is required' });
      ok = false;
    }
    return row[name];
  });
  return ok ? values : undefined;
}

/** Base64 as JSON carries it (standard or URL-safe alphabet, padding optional). */
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function toValues(
  values: unknown[],
  input: TensorSpec,
  fieldOf: (index: number) => string,
  report: (e: FieldError) => void,
): TensorValue[] | undefined {
  const out: TensorValue[] = new Array(values.length);
  let ok = true;
  const numeric = input.datatype === 'FP32' || input.datatype === 'FP64';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // The common case first, with no allocation: a finite FP32 value (a row has thousands).
    if (numeric && typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= FP32_MAX) {
      out[i] = v;
      continue;
    }
    // Named only on failure: building every value's field name cost more than checking the value.
    const field = fieldOf(i);
    if (input.datatype === 'BYTES') {
      if (typeof v === 'string') {
        out[i] = v;
      } else if (isB64(v) && typeof v.b64 === 'string' && BASE64.test(v.b64)) {
        out[i] = Buffer.from(v.b64, 'base64');
      } else {
        report({ field, message: isB64(v) ? 'b64 must be a base64 string' : 'must be a string or {"b64": "<base64>"}' });
        ok = false;
      }
      continue;
    }
    if (isB64(v)) {
      report({ field, message: `{"b64"} values are for BYTES inputs; input '${input.name}' is ${input.datatype}` });
      ok = false;
      continue;
    }
    if (input.datatype === 'BOOL' && typeof v === 'boolean') {
      out[i] = v ? 1 : 0;
      continue;
    }
    const problem =
      typeof v !== 'number'
        ? `must be a number, got ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}`
        : !Number.isFinite(v)
          ? 'must be a finite number'
          : input.datatype === 'BOOL' && v !== 0 && v !== 1
            ? 'must be true, false, 0 or 1'
            : (input.datatype === 'INT32' || input.datatype === 'INT64') && !Number.isInteger(v)
              ? 'must be an integer'
              : input.datatype === 'INT32' && (v < -2147483648 || v > 2147483647)
                ? 'is out of the INT32 range'
                : Math.abs(v) > FP32_MAX
                  ? 'is out of the FP32 range'
                  : undefined;
    if (problem) {
      report({ field, message: problem });
      ok = false;
    } else {
      out[i] = v as number;
    }
  }
  return ok ? out : undefined;
}
