import * as tf from '@tensorflow/tfjs';
import { toInputTensor } from '../runtime/loaded-model';
import { rowViews } from './packed-rows';

describe('rowViews (a packed column as the pool thread hands it to the model)', () => {
  // tfjs' one-time "install tfjs-node" hint on the CPU backend: noise in a test's output.
  beforeAll(() => tf.env().set('IS_TEST', true));

  const packed = { kind: 'numbers' as const, rows: 2, width: 3, data: new Float64Array([1.5, -2, 3.25, 4, 5.75, 1e-3]) };

  it('gives one view per row over the transferred buffer, no copy', () => {
    const rows = rowViews(packed) as unknown as Float64Array[];
    expect(rows).toHaveLength(2);
    expect(rows[1].buffer).toBe(packed.data.buffer);
    expect(Array.from(rows[1])).toEqual([4, 5.75, 1e-3]);
  });

  it.each([
    ['FP32', [1.5, -2, 3.25, 4, 5.75, 1e-3].map(Math.fround)],
    // Truncated towards zero, as TypedArray.set does from a plain array.
    ['INT32', [1, -2, 3, 4, 5, 0]],
  ] as const)('builds the same %s input tensor as plain rows would', (datatype, expected) => {
    const spec = { name: 'x', datatype, shape: [-1, 3] };
    const fromViews = toInputTensor(spec, rowViews(packed));
    const fromArrays = toInputTensor(spec, [
      [1.5, -2, 3.25],
      [4, 5.75, 1e-3],
    ]);
    try {
      expect(fromViews.shape).toEqual([2, 3]);
      expect(Array.from(fromViews.dataSync())).toEqual(expected);
      expect(Array.from(fromViews.dataSync())).toEqual(Array.from(fromArrays.dataSync()));
    } finally {
      tf.dispose([fromViews, fromArrays]);
    }
  });

  it('passes string columns through as they are', () => {
    const rows = [['a', 'b']];
    expect(rowViews({ kind: 'values', rows })).toBe(rows);
  });
});
