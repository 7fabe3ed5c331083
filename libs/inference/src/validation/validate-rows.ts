import { FieldError, ValidationFailedError } from '@app/common';
import { ModelSignature, TensorSpec } from '../artifact/artifact.types';

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
 * Checks request rows against the model's (single) input before any tensor exists, and returns them
 * as flat numeric rows in the input's column order. Rows may be flat arrays, arrays nested like
 * the input's dimensions, or (with feature names) objects keyed by feature name. Every failure is
 * a 422 whose message names the input and its expected shape and whose errors name the rows.
 */
export function validateRows(signature: ModelSignature, rows: unknown, options: ValidateRowsOptions): number[][] {
  const input = signature.inputs[0];
  const field = options.field ?? 'instances';
  const expected = `input '${input.name}' (${input.datatype}), expected shape ${formatShape(input.shape)}`;
  const fail = (errors: FieldError[], summary: string): never => {
    throw new ValidationFailedError(errors, `${summary}: ${expected}.`, 'unprocessable');
  };

  if (!Array.isArray(rows)) {
    return fail([{ field, message: 'must be an array of rows' }], `'${field}' is not a list of rows`);
  }
  if (rows.length === 0) {
    return fail([{ field, message: 'must contain at least one row' }], 'There are no rows to predict');
  }
  if (rows.length > options.maxRows) {
    return fail(
      [{ field, message: `has ${rows.length} rows; at most ${options.maxRows} are allowed per request` }],
      `Too many rows (${rows.length} > ${options.maxRows})`,
    );
  }

  const dims = input.shape.slice(1);
  const featureNames = options.featureNames && options.featureNames.length > 0 ? options.featureNames : undefined;
  const errors: FieldError[] = [];
  let total = 0;
  const report = (error: FieldError) => {
    total++;
    if (errors.length < MAX_ERRORS) errors.push(error);
  };
  let width: number | undefined;
  const out: number[][] = new Array(rows.length);

  rows.forEach((row, r) => {
    const at = `${field}[${r}]`;
    let flat: unknown[] | undefined;
    let fieldOf = (i: number) => `${at}[${i}]`;
    if (Array.isArray(row)) {
      flat = flatten(row, dims, at, report);
    } else if (row !== null && typeof row === 'object') {
      flat = byFeatureName(row as Record<string, unknown>, featureNames, at, report, input, dims);
      fieldOf = (i) => `${at}.${featureNames?.[i]}`;
    } else {
      report({
        field: at,
        message: `must be a list of ${describeWidth(dims)} numbers${featureNames ? ' or an object keyed by feature name' : ''}`,
      });
    }
    if (!flat) return;
    // Inputs with a free (-1) feature dimension still need rows of one width to form one tensor.
    if (width !== undefined && flat.length !== width) {
      report({ field: at, message: `has ${flat.length} values but earlier rows have ${width}` });
      return;
    }
    width ??= flat.length;
    const values = toNumbers(flat, input, fieldOf, report);
    if (values) out[r] = values;
  });

  if (total > 0) {
    if (total > errors.length) errors.push({ field, message: `and ${total - errors.length} more errors` });
    fail(errors, `${total} ${total === 1 ? 'value does' : 'values do'} not fit the model's input`);
  }
  return out;
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

function toNumbers(
  values: unknown[],
  input: TensorSpec,
  fieldOf: (index: number) => string,
  report: (e: FieldError) => void,
): number[] | undefined {
  const out: number[] = new Array(values.length);
  let ok = true;
  values.forEach((v, i) => {
    const field = fieldOf(i);
    if (input.datatype === 'BOOL' && typeof v === 'boolean') {
      out[i] = v ? 1 : 0;
      return;
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
  });
  return ok ? out : undefined;
}
