import { ValidationFailedError } from '@app/common';
import { ModelSignature } from '../artifact/artifact.types';
import { validateRows } from './validate-rows';

const iris: ModelSignature = {
  framework: 'tfjs-layers',
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
};
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

function failure(fn: () => unknown): ValidationFailedError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    return error as ValidationFailedError;
  }
  throw new Error('expected a validation failure');
}

describe('validateRows', () => {
  const opts = { maxRows: 5 };

  it('returns valid rows as numbers, unchanged', () => {
    expect(
      validateRows(
        iris,
        [
          [5.1, 3.5, 1.4, 0.2],
          [6, 3, 5, 2],
        ],
        opts,
      ),
    ).toEqual([
      [5.1, 3.5, 1.4, 0.2],
      [6, 3, 5, 2],
    ]);
  });

  it('is a 422 naming the input and expected shape', () => {
    const error = failure(() => validateRows(iris, [[1, 2, 3]], opts));
    expect(error.kind).toBe('unprocessable');
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain("input 'features' (FP32), expected shape [-1, 4]");
    expect(error.errors).toEqual([{ field: 'instances[0]', message: 'expected 4 values, got 3' }]);
  });

  it('rejects a body that is not a list of rows', () => {
    const error = failure(() => validateRows(iris, { a: 1 }, opts));
    expect(error.errors).toEqual([{ field: 'instances', message: 'must be an array of rows' }]);
    expect(error.message).toBe("'instances' is not a list of rows: input 'features' (FP32), expected shape [-1, 4].");
  });

  it('rejects an empty list', () => {
    const error = failure(() => validateRows(iris, [], opts));
    expect(error.errors).toEqual([{ field: 'instances', message: 'must contain at least one row' }]);
    expect(error.message).toMatch(/^There are no rows to predict: input 'features'/);
  });

  it('rejects more rows than allowed per request', () => {
    const rows = Array.from({ length: 6 }, () => [1, 2, 3, 4]);
    const error = failure(() => validateRows(iris, rows, opts));
    expect(error.errors).toEqual([{ field: 'instances', message: 'has 6 rows; at most 5 are allowed per request' }]);
    expect(error.message).toContain('Too many rows (6 > 5)');
  });

  it('names every bad row by index: wrong length, non-number, non-finite, null row', () => {
    const error = failure(() =>
      validateRows(iris, [[1, 2, 3, 4], [1, 2, 3, 4, 5], [1, '2', 3, 4], [1, 2, Infinity, 4], null, [1, 2, 3, null]], { maxRows: 10 }),
    );
    expect(error.errors).toEqual([
      { field: 'instances[1]', message: 'expected 4 values, got 5' },
      { field: 'instances[2][1]', message: 'must be a number, got string' },
      { field: 'instances[3][2]', message: 'must be a finite number' },
      { field: 'instances[4]', message: 'must be a list of 4 numbers' },
      { field: 'instances[5][3]', message: 'must be a number, got null' },
    ]);
    expect(error.message).toBe("5 values do not fit the model's input: input 'features' (FP32), expected shape [-1, 4].");
  });

  it('rejects numbers outside the FP32 range (they would become Infinity in the tensor)', () => {
    const error = failure(() => validateRows(iris, [[1, 2, 3, 1e39]], opts));
    expect(error.errors).toEqual([{ field: 'instances[0][3]', message: 'is out of the FP32 range' }]);
  });

  it('accepts objects keyed by feature name when the model names its features, in feature order', () => {
    const rows = validateRows(iris, [{ petal_width: 0.2, sepal_length: 5.1, petal_length: 1.4, sepal_width: 3.5 }], {
      ...opts,
      featureNames: FEATURES,
    });
    expect(rows).toEqual([[5.1, 3.5, 1.4, 0.2]]);
  });

  it('names missing, unknown and non-numeric features of object rows', () => {
    const error = failure(() =>
      validateRows(
        iris,
        [
          { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4 },
          { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2, colour: 1 },
          { sepal_length: 'big', sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
        ],
        { ...opts, featureNames: FEATURES },
      ),
    );
    expect(error.errors).toEqual([
      { field: 'instances[0].petal_width', message: 'is required' },
      { field: 'instances[1].colour', message: `is not a feature of this model (features: ${FEATURES.join(', ')})` },
      { field: 'instances[2].sepal_length', message: 'must be a number, got string' },
    ]);
  });

  it('rejects object rows when the model has no feature names', () => {
    const error = failure(() => validateRows(iris, [{ a: 1 }], opts));
    expect(error.errors).toEqual([
      { field: 'instances[0]', message: "must be a list of 4 numbers (input 'features' has no named features)" },
    ]);
  });

  it('checks integer and boolean inputs', () => {
    const ints: ModelSignature = { ...iris, inputs: [{ name: 'ids', datatype: 'INT32', shape: [-1, 2] }] };
    expect(validateRows(ints, [[1, 2]], opts)).toEqual([[1, 2]]);
    expect(failure(() => validateRows(ints, [[1, 2.5]], opts)).errors).toEqual([
      { field: 'instances[0][1]', message: 'must be an integer' },
    ]);
    expect(failure(() => validateRows(ints, [[1, 2 ** 40]], opts)).errors).toEqual([
      { field: 'instances[0][1]', message: 'is out of the INT32 range' },
    ]);
    const flags: ModelSignature = { ...iris, inputs: [{ name: 'flags', datatype: 'BOOL', shape: [-1, 2] }] };
    expect(validateRows(flags, [[true, 0]], opts)).toEqual([[1, 0]]);
    expect(failure(() => validateRows(flags, [[2, 0]], opts)).errors).toEqual([
      { field: 'instances[0][0]', message: 'must be true, false, 0 or 1' },
    ]);
  });

  it('accepts rows nested like a rank-3 input and flattens them; rejects a wrong nesting', () => {
    const image: ModelSignature = { ...iris, inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 2, 2] }] };
    expect(
      validateRows(
        image,
        [
          [
            [1, 2],
            [3, 4],
          ],
          [5, 6, 7, 8],
        ],
        opts,
      ),
    ).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    const error = failure(() => validateRows(image, [[[1, 2], [3]]], opts));
    expect(error.errors).toEqual([{ field: 'instances[0][1]', message: 'expected a list of 2 at depth 2 of shape [2, 2]' }]);
  });

  it('lets a free feature dimension vary per request but not within one', () => {
    const free: ModelSignature = { ...iris, inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }] };
    expect(validateRows(free, [[1, 2, 3]], opts)).toEqual([[1, 2, 3]]);
    expect(
      failure(() =>
        validateRows(
          free,
          [
            [1, 2, 3],
            [1, 2],
          ],
          opts,
        ),
      ).errors,
    ).toEqual([{ field: 'instances[1]', message: 'has 2 values but earlier rows have 3' }]);
  });

  it('bounds the error list for a large bad request', () => {
    const rows = Array.from({ length: 100 }, () => [1, 2, 3]);
    const error = failure(() => validateRows(iris, rows, { maxRows: 1000, field: 'inputs[0].data' }));
    expect(error.errors).toHaveLength(21);
    expect(error.errors![0].field).toBe('inputs[0].data[0]');
    expect(error.errors![20]).toEqual({ field: 'inputs[0].data', message: 'and 80 more errors' });
    expect(error.message).toContain('100 values do not fit');
  });
});
