import { copyRows } from './typed-rows';

describe('copyRows', () => {
  it('splits a flat typed array into plain rows of the given width, in order', () => {
    const rows = copyRows(new Float32Array([1, 2, 3, 4, 5, 6]), 2, 3);
    expect(rows).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.isArray(rows[0])).toBe(true);
  });

  it('keeps float32 values exactly as the typed array holds them', () => {
    const data = new Float32Array([0.1, -2.5e-8]);
    expect(copyRows(data, 1, 2)[0]).toEqual([data[0], data[1]]);
  });

  it('gives empty rows for a zero-width output', () => {
    expect(copyRows(new Int32Array(0), 2, 0)).toEqual([[], []]);
  });
});
