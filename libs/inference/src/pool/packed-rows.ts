import type { InputColumns } from '../artifact/artifact.types';
import type { PackedColumn } from './pool.protocol';

/**
 * A packed column as rows for the model, on the pool thread: numbers stay in the transferred
 * buffer, one subarray view per row. `toInputTensor` copies each row into the input tensor with
 * `TypedArray.set`, which converts a Float64Array natively (the same ToNumber/ToInt32 conversion
 * as from a plain array). Copying into JS arrays first cost ~6 µs a row of 256 numbers on the
 * thread every batch waits for (`Array.from` of a subarray walks the iterator protocol).
 */
export function rowViews(column: PackedColumn): InputColumns[number] {
  if (column.kind === 'values') return column.rows;
  const { width, data } = column;
  const rows = new Array<Float64Array>(column.rows);
  for (let r = 0; r < column.rows; r++) rows[r] = data.subarray(r * width, (r + 1) * width);
  // Views, not number[]: only the model's input path reads them (length, index, TypedArray.set).
  return rows as unknown as InputColumns[number];
}
