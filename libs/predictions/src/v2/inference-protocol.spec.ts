import { ValidationFailedError } from '@app/common';
import type { TensorSpec } from '@app/inference';
import { decodeInferRequest, encodeInferResponse } from './inference-protocol';

const input: TensorSpec = { name: 'features', datatype: 'FP32', shape: [-1, 3] };

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationFailedError);
    expect((e as ValidationFailedError).kind).toBe('unprocessable');
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('Open Inference Protocol codec', () => {
  it('decodes flat row-major data into rows', () => {
    const rows = decodeInferRequest({ inputs: [{ name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] }, input);
    expect(rows).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('decodes nested data and every numeric datatype, BOOL as 0/1', () => {
    expect(decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP64', data: [[0.5, 1.5, 2.5]] }] }, input)).toEqual(
      [[0.5, 1.5, 2.5]],
    );
    expect(decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'INT64', data: [[1, -2, 3]] }] }, input)).toEqual([
      [1, -2, 3],
    ]);
    expect(decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'INT32', data: [7, 8, 9] }] }, input)).toEqual([
      [7, 8, 9],
    ]);
    expect(
      decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'BOOL', data: [true, false, true] }] }, input),
    ).toEqual([[1, 0, 1]]);
  });

  it('names what is wrong', () => {
    expect(reason(() => decodeInferRequest({ inputs: [] }, input))).toMatch(/at least one/);
    expect(reason(() => decodeInferRequest({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, input))).toMatch(
      /named "features" with shape \[-1, 3\]/,
    );
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }, input)),
    ).toMatch(/expects shape \[-1, 3\], got \[1, 4\]/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3] }] }, input)),
    ).toMatch(/has 3 values but shape \[2, 3\] needs 6/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'BYTES', data: ['a', 'b', 'c'] }] }, input)),
    ).toMatch(/BYTES is not supported/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'INT32', data: [1.5, 2, 3] }] }, input)),
    ).toMatch(/data\[0\] must be an integer/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 'x', 3] }] }, input)),
    ).toMatch(/data\[1\] must be a finite number/);
    expect(
      reason(() =>
        decodeInferRequest(
          {
            inputs: [
              {
                name: 'features',
                shape: [2, 3],
                datatype: 'FP32',
                data: [
                  [1, 2, 3],
                  [4, 5],
                ],
              },
            ],
          },
          input,
        ),
      ),
    ).toMatch(/data\[1\] must have 3 elements/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'BOOL', data: [1, 0, 1] }] }, input)),
    ).toMatch(/true or false/);
  });

  it('holds FP16 data to the half-precision range (±65504) and FP32 data to single precision', () => {
    const fp16 = (data: number[]) => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP16', data }] }, input);
    expect(fp16([65_504, -65_504, 0.5])).toEqual([[65_504, -65_504, 0.5]]);
    expect(reason(() => fp16([1, 70_000, 3]))).toMatch(/data\[1\] is out of the FP16 range \[-65504, 65504\]/);
    expect(reason(() => fp16([-65_505, 1, 3]))).toMatch(/data\[0\] is out of the FP16 range/);
    const fp32 = { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1e39, 1, 2] }] };
    expect(reason(() => decodeInferRequest(fp32, input))).toMatch(/out of the FP32 range/);
    expect(decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP64', data: [1e39, 1, 2] }] }, input)).toEqual([
      [1e39, 1, 2],
    ]);
  });

  it('never echoes a huge shape or list of output names in full', () => {
    const shape = Array.from({ length: 200_000 }, () => 1);
    const message = reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape, datatype: 'FP32', data: [1, 2, 3] }] }, input));
    expect(message).toMatch(/got \[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, … \(200000 dimensions\)\]$/);
    const outputs: TensorSpec[] = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }];
    const requested = Array.from({ length: 6000 }, (_, i) => ({ name: `weight_${i}` }));
    const unknown = reason(() => encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested }, [[1, 2]]));
    expect(unknown).toMatch(/"weight_4" and 5995 more; this model has "probabilities"$/);
  });

  it('encodes outputs as flat row-major tensors and rejects unknown requested outputs', () => {
    const outputs: TensorSpec[] = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }];
    expect(
      encodeInferResponse({ modelName: 'm', version: 3, id: 'r1', outputs }, [
        [0.1, 0.9],
        [0.7, 0.3],
      ]),
    ).toEqual({
      model_name: 'm',
      model_version: '3',
      id: 'r1',
      outputs: [{ name: 'probabilities', shape: [2, 2], datatype: 'FP32', data: [0.1, 0.9, 0.7, 0.3] }],
    });
    expect(
      reason(() => encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested: [{ name: 'logits' }] }, [[1, 2]])),
    ).toMatch(/unknown output "logits"/);
  });
});
