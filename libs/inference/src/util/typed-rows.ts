/**
 * Rows of `width` numbers out of a flat typed array, as plain arrays (what callers and JSON get).
 * A loop, not `Array.from(subarray)`: that walks the iterator protocol, ~13× slower per row.
 */
export function copyRows(data: ArrayLike<number>, rows: number, width: number): number[][] {
  const out: number[][] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const row: number[] = new Array(width);
    const offset = r * width;
    for (let i = 0; i < width; i++) row[i] = data[offset + i];
    out[r] = row;
  }
  return out;
}
