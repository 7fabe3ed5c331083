import { readFixtureCsv } from './fixtures';
import { BLOBS_FEATURES } from './training';
import { mulberry32 } from '@app/inference';

/** Rows for drift suites: the blobs dataset's feature rows, drawn the same way on every run. */

/** The blobs CSV (header and raw rows) and its feature columns as numbers, in BLOBS_FEATURES order. */
export function blobsTable(): { header: string[]; rows: string[][]; table: number[][] } {
  const { header, rows } = readFixtureCsv('blobs');
  return { header, rows, table: rows.map((r) => BLOBS_FEATURES.map((f) => Number(r[header.indexOf(f)]))) };
}

/** `count` rows drawn (with replacement) from `table`, the feature `shifted` moved by `shift` × `std`. */
export function drawRows(table: number[][], count: number, seed: number, shifted: string, shift = 0, std = 0): number[][] {
  const next = mulberry32(seed);
  const j = BLOBS_FEATURES.indexOf(shifted);
  return Array.from({ length: count }, () => {
    const row = [...table[Math.floor(next() * table.length)]];
    row[j] += shift * std;
    return row;
  });
}
