import { DomainError, ValidationFailedError } from '@app/common';
import type { TensorSpec } from '@app/inference';
import { asProtocolError, decodeInferRequest, encodeInferResponse } from './inference-protocol';

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
    const rows = decodeInferRequest({ inputs: [{ name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6] }] }, [
      input,
    ])[0];
    expect(rows).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('decodes nested data and every numeric datatype, BOOL as 0/1', () => {
    expect(
      decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP64', data: [[0.5, 1.5, 2.5]] }] }, [input])[0],
    ).toEqual([[0.5, 1.5, 2.5]]);
    expect(
      decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'INT64', data: [[1, -2, 3]] }] }, [input])[0],
    ).toEqual([[1, -2, 3]]);
    expect(decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'INT32', data: [7, 8, 9] }] }, [input])[0]).toEqual([
      [7, 8, 9],
    ]);
    expect(
      decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'BOOL', data: [true, false, true] }] }, [input])[0],
    ).toEqual([[1, 0, 1]]);
  });

  it('names what is wrong', () => {
    expect(reason(() => decodeInferRequest({ inputs: [] }, [input])[0])).toMatch(/at least one/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, [input])[0]),
    ).toMatch(/unknown input "x"; this model takes exactly one input named "features" \(FP32, shape \[-1, 3\]\)/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }, [input])[0]),
    ).toMatch(/expects shape \[-1, 3\], got \[1, 4\]/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3] }] }, [input])[0]),
    ).toMatch(/has 3 values but shape \[2, 3\] needs 6/);
    expect(
      reason(
        () => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'BYTES', data: ['a', 'b', 'c'] }] }, [input])[0],
      ),
    ).toMatch(/input "features" is FP32; BYTES data cannot feed it/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'INT32', data: [1.5, 2, 3] }] }, [input])[0]),
    ).toMatch(/data\[0\] must be an integer/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1, 'x', 3] }] }, [input])[0]),
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
          [input],
        ),
      ),
    ).toMatch(/data\[1\] must have 3 elements/);
    expect(
      reason(() => decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'BOOL', data: [1, 0, 1] }] }, [input])[0]),
    ).toMatch(/true or false/);
  });

  it('holds FP16 data to the half-precision range (±65504) and FP32 data to single precision', () => {
    const fp16 = (data: number[]) =>
      decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP16', data }] }, [input])[0];
    expect(fp16([65_504, -65_504, 0.5])).toEqual([[65_504, -65_504, 0.5]]);
    expect(reason(() => fp16([1, 70_000, 3]))).toMatch(/data\[1\] is out of the FP16 range \[-65504, 65504\]/);
    expect(reason(() => fp16([-65_505, 1, 3]))).toMatch(/data\[0\] is out of the FP16 range/);
    const fp32 = { inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP32', data: [1e39, 1, 2] }] };
    expect(reason(() => decodeInferRequest(fp32, [input])[0])).toMatch(/out of the FP32 range/);
    expect(decodeInferRequest({ inputs: [{ name: 'features', shape: [1, 3], datatype: 'FP64', data: [1e39, 1, 2] }] }, [input])[0]).toEqual(
      [[1e39, 1, 2]],
    );
  });

  it('never echoes a huge shape or list of output names in full', () => {
    const shape = Array.from({ length: 200_000 }, () => 1);
    const message = reason(
      () => decodeInferRequest({ inputs: [{ name: 'features', shape, datatype: 'FP32', data: [1, 2, 3] }] }, [input])[0],
    );
    expect(message).toMatch(/got \[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, … \(200000 dimensions\)\]$/);
    const outputs: TensorSpec[] = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }];
    const requested = Array.from({ length: 6000 }, (_, i) => ({ name: `weight_${i}` }));
    const unknown = reason(() => encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested }, [[[1, 2]]]));
    expect(unknown).toMatch(/"weight_4" and 5995 more; this model has "probabilities"$/);
  });

  it('encodes outputs as flat row-major tensors and rejects unknown requested outputs', () => {
    const outputs: TensorSpec[] = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }];
    expect(
      encodeInferResponse({ modelName: 'm', version: 3, id: 'r1', outputs }, [
        [
          [0.1, 0.9],
          [0.7, 0.3],
        ],
      ]),
    ).toEqual({
      model_name: 'm',
      model_version: '3',
      id: 'r1',
      outputs: [{ name: 'probabilities', shape: [2, 2], datatype: 'FP32', data: [0.1, 0.9, 0.7, 0.3] }],
    });
    expect(
      reason(() => encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested: [{ name: 'logits' }] }, [[[1, 2]]])),
    ).toMatch(/unknown output "logits"/);
  });

  it('answers classification as "<score>:<index>[:<label>]", best first, ties by index', () => {
    const outputs: TensorSpec[] = [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }];
    const predictions = [
      [0.25, 0.5, 0.25],
      [0.1234567891, 0.000012345678, 0.8765],
    ];
    const requested = [{ name: 'probabilities', parameters: { classification: 3 } }];
    const labelled = encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested, labels: ['a', 'b', 'c'] }, [
      predictions,
    ]);
    expect(labelled.outputs).toEqual([
      {
        name: 'probabilities',
        datatype: 'BYTES',
        shape: [2, 3],
        data: ['0.500000:1:b', '0.250000:0:a', '0.250000:2:c', '0.876500:2:c', '0.123457:0:a', '0.0000123457:1:b'],
      },
    ]);
    const plain = encodeInferResponse(
      { modelName: 'm', version: 1, id: 'x', outputs, requested: [{ ...requested[0], parameters: { classification: 1 } }] },
      [predictions],
    );
    expect(plain.outputs[0]).toMatchObject({ shape: [2, 1], data: ['0.500000:1', '0.876500:2'] });
    for (const k of [0, 4, 1.5, '1', null]) {
      const bad = [{ name: 'probabilities', parameters: { classification: k } }];
      expect(reason(() => encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested: bad }, [predictions]))).toMatch(
        /classification must be an integer from 1 to 3/,
      );
    }
  });

  it("decodes one entry per model input, BYTES as strings, in the model's input order", () => {
    const inputs: TensorSpec[] = [
      { name: 'text', datatype: 'BYTES', shape: [-1] },
      { name: 'age', datatype: 'FP32', shape: [-1, 1] },
    ];
    const request = {
      inputs: [
        { name: 'age', shape: [2, 1], datatype: 'FP32', data: [41, 7] },
        { name: 'text', shape: [2], datatype: 'BYTES', data: ['héllo', ''] },
      ],
    };
    expect(decodeInferRequest(request, inputs)).toEqual([
      [['héllo'], ['']],
      [[41], [7]],
    ]);
    expect(reason(() => decodeInferRequest({ inputs: [request.inputs[0]] }, inputs))).toMatch(/input "text" is missing/);
    expect(reason(() => decodeInferRequest({ inputs: [...request.inputs, request.inputs[0]] }, inputs))).toMatch(/given more than once/);
    const short = { inputs: [request.inputs[1], { ...request.inputs[0], shape: [1, 1], data: [41] }] };
    expect(reason(() => decodeInferRequest(short, inputs))).toMatch(/input "age" has 1 rows but the inputs before it have 2/);
    const numbers = { inputs: [{ ...request.inputs[1], data: [1, 2] }, request.inputs[0]] };
    expect(reason(() => decodeInferRequest(numbers, inputs))).toMatch(/data\[0\] must be a string \(datatype BYTES\)/);
  });

  it('encodes every output of a model with several, keeping declared dimensions, and strings as BYTES', () => {
    const outputs: TensorSpec[] = [
      { name: 'species', datatype: 'FP32', shape: [-1, 2] },
      { name: 'grid', datatype: 'FP32', shape: [-1, 2, 2] },
      { name: 'token', datatype: 'BYTES', shape: [-1, 1] },
    ];
    const answer = encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs }, [[[0.2, 0.8]], [[1, 2, 3, 4]], [['hi']]]);
    expect(answer.outputs).toEqual([
      { name: 'species', shape: [1, 2], datatype: 'FP32', data: [0.2, 0.8] },
      { name: 'grid', shape: [1, 2, 2], datatype: 'FP32', data: [1, 2, 3, 4] },
      { name: 'token', shape: [1, 1], datatype: 'BYTES', data: ['hi'] },
    ]);
    const second = encodeInferResponse({ modelName: 'm', version: 1, id: 'x', outputs, requested: [{ name: 'token' }] }, [
      [[0.2, 0.8]],
      [[1, 2, 3, 4]],
      [['hi']],
    ]);
    expect(second.outputs.map((o) => o.name)).toEqual(['token']);
  });

  it('turns invalid-input errors into 400s for v2, keeping code, text and members; others pass through', () => {
    const invalid = new ValidationFailedError([{ field: 'inputs', message: 'no' }], 'bad input', 'unprocessable');
    const mapped = asProtocolError(invalid) as DomainError;
    expect(mapped).toMatchObject({
      kind: 'bad-request',
      code: 'VALIDATION_FAILED',
      message: 'bad input',
      errors: [{ field: 'inputs', message: 'no' }],
    });
    const tooLarge = new DomainError('unprocessable', 'OUTPUT_TOO_LARGE', 'too big', { extensions: { maxRows: 3 } });
    expect(asProtocolError(tooLarge)).toMatchObject({ kind: 'bad-request', code: 'OUTPUT_TOO_LARGE', extensions: { maxRows: 3 } });
    const artifact = new DomainError('unprocessable', 'INVALID_MODEL_ARTIFACT', 'broken');
    expect(asProtocolError(artifact)).toBe(artifact);
    const gone = new DomainError('gone', 'MODEL_VERSION_RETIRED', 'retired');
    expect(asProtocolError(gone)).toBe(gone);
  });
});
