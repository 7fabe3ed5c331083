/** Rows of numbers equal to TensorFlow.js' own (a fixture's reference) within `tolerance`, entry by entry. */
export function expectClose(actual: unknown, expected: number[][], tolerance = 1e-5): void {
  const rows = actual as number[][];
  expect(rows).toHaveLength(expected.length);
  rows.forEach((row, r) => {
    expect(row).toHaveLength(expected[r].length);
    row.forEach((v, c) => expect(Math.abs(v - expected[r][c])).toBeLessThanOrEqual(tolerance));
  });
}
