import { FieldError, ValidationFailedError } from '@app/common';
import { assertRowList, rowErrors, type InputColumns } from '@app/inference';
import type { FeatureEncoder } from '@app/models';

/**
 * Request rows of raw feature values (objects keyed by feature name, or lists in feature order) as
 * the model input of a version trained on a table: categories looked up, missing values imputed.
 * Everything wrong is one 422 naming each row and feature (a bounded list, as validateInputs keeps).
 */
export function encodeRows(encoder: FeatureEncoder, rows: unknown, options: { maxRows: number; field?: string }): InputColumns {
  const field = options.field ?? 'instances';
  const features = encoder.encoding.features.map((f) => `${f.name} (${f.type === 'number' ? 'number' : f.type})`).join(', ');
  const fail = (errors: FieldError[], summary: string): never => {
    throw new ValidationFailedError(
      errors,
      `${summary}: this model takes rows of the features ${features}; any may be null or left out.`,
      'unprocessable',
    );
  };
  assertRowList(rows, field, options.maxRows, fail);
  const { report, finish } = rowErrors(field, fail);
  const width = encoder.layout.width;
  const encoded = rows.map((row, r) => {
    const out = new Array<number>(width).fill(0);
    encoder.encodeRow(row, out, `${field}[${r}]`, report);
    return out;
  });
  finish("the model's features");
  return [encoded];
}

/** v2 tensors decoded per raw feature (`columns[i][row]` = [value]) as named rows; BOOL arrives as 1/0. */
export function rowsOfFeatures(names: readonly string[], booleans: readonly boolean[], columns: unknown[][][]): Record<string, unknown>[] {
  const count = columns[0]?.length ?? 0;
  return Array.from({ length: count }, (_, r) =>
    Object.fromEntries(names.map((name, i) => [name, booleans[i] ? columns[i][r][0] === 1 : columns[i][r][0]])),
  );
}
