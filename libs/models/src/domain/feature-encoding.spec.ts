import type { FieldError } from '@app/common';
import { encodingOf, FeatureEncoder, type FeatureEncoding, isPlainEncoding, layoutOf } from './feature-encoding';

const ENCODING: FeatureEncoding = {
  features: [
    { name: 'colour', type: 'string', vocabulary: ['red', 'blue'], encoding: 'one-hot' },
    { name: 'age', type: 'number', fill: 40, indicator: true },
    { name: 'city', type: 'string', vocabulary: ['a', 'b', 'c'], encoding: 'embedding', embeddingDim: 2 },
    { name: 'income', type: 'number', fill: 1000, indicator: false },
    { name: 'member', type: 'boolean', vocabulary: ['true', 'false'], encoding: 'one-hot' },
  ],
};

function encode(row: unknown): { out: number[]; errors: FieldError[]; ok: boolean } {
  const encoder = new FeatureEncoder(ENCODING);
  const out = new Array<number>(encoder.layout.width).fill(0);
  const errors: FieldError[] = [];
  const ok = encoder.encodeRow(row, out, 'instances[0]', (e) => errors.push(e));
  return { out, errors, ok };
}

describe('feature encoding', () => {
  it('lays the input out as numbers, indicators, one-hot blocks, then embedded blocks', () => {
    const layout = layoutOf(ENCODING);
    expect(layout.columns).toEqual([
      'age',
      'income',
      'age (missing)',
      'colour=red',
      'colour=blue',
      'colour=<missing>',
      'colour=<other>',
      'member=true',
      'member=false',
      'member=<missing>',
      'member=<other>',
      'city=a',
      'city=b',
      'city=c',
      'city=<missing>',
      'city=<other>',
    ]);
    expect(layout.numeric).toEqual({ start: 0, width: 2 });
    expect(layout.passthrough).toEqual({ start: 2, width: 9 });
    expect(layout.embedded).toEqual([{ name: 'city', start: 11, width: 5, dim: 2 }]);
  });

  it('encodes raw values: categories by vocabulary, unseen ones to <other>, booleans and numbers as their text', () => {
    const { out, ok } = encode({ colour: 'blue', age: 31, city: 'zz', income: 2500.5, member: false });
    expect(ok).toBe(true);
    expect(out).toEqual([31, 2500.5, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
    expect(encode(['red', 1, 'a', 2, 'true']).out).toEqual([1, 2, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('imputes missing values: null or left out → the median (and the indicator), the <missing> slot', () => {
    const expected = [40, 1000, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];
    expect(encode({}).out).toEqual(expected);
    expect(encode({ colour: null, age: null, city: null, income: null, member: null }).out).toEqual(expected);
    expect(encode([null, null, null, null, null]).out).toEqual(expected);
  });

  it('names every value that cannot be a feature, and unknown features', () => {
    const { ok, errors } = encode({ colour: { x: 1 }, age: '31', income: Number.NaN, member: [true], shade: 'dark' });
    expect(ok).toBe(false);
    expect(errors.map((e) => e.field).sort()).toEqual([
      'instances[0].age',
      'instances[0].colour',
      'instances[0].income',
      'instances[0].member',
      'instances[0].shade',
    ]);
    expect(encode([1, 2]).errors).toEqual([
      { field: 'instances[0]', message: expect.stringContaining('has 2 values; this model takes 5') },
    ]);
    expect(encode('red').errors[0].field).toBe('instances[0]');
  });

  it('reads the encoding from a version’s params only when it is one; plain numbers are told apart', () => {
    expect(encodingOf({ preprocessing: { encoding: ENCODING } })).toEqual(ENCODING);
    expect(encodingOf({ preprocessing: { standardize: { mean: [], std: [] } } })).toBeNull();
    const plain: FeatureEncoding = { features: [{ name: 'x', type: 'number', fill: 1, indicator: false }] };
    expect(encodingOf({ preprocessing: { encoding: plain } })).toEqual(plain);
    expect(new FeatureEncoder(plain).plain).toBe(true);
    expect(new FeatureEncoder(ENCODING).plain).toBe(false);
    expect(encodingOf({ preprocessing: { encoding: { features: [{ name: 'x', type: 'string', vocabulary: [1] }] } } })).toBeNull();
    expect(encodingOf(null)).toBeNull();
    expect(isPlainEncoding({ features: [{ name: 'x', type: 'number', fill: 0, indicator: false }] })).toBe(true);
    expect(isPlainEncoding(ENCODING)).toBe(false);
  });
});
