import { ValidationFailedError } from '@app/common';
import { BINARY_DATATYPES, binaryOutputRequested, decodeBinaryInferRequest, encodeBinaryInferResponse } from './binary-tensor-data';
import type { V2InferRequest, V2InferResponse, V2OutputTensor } from './inference-protocol';

/** A binary request as a Triton client builds it: JSON, then the blobs in input order. */
function binaryRequest(json: object, ...blobs: Buffer[]): { body: Buffer; header: string } {
  const head = Buffer.from(JSON.stringify(json), 'utf8');
  return { body: Buffer.concat([head, ...blobs]), header: String(head.length) };
}

function bytesElements(values: string[]): Buffer {
  return Buffer.concat(
    values.flatMap((v) => {
      const bytes = Buffer.from(v, 'utf8');
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32LE(bytes.length);
      return [prefix, bytes];
    }),
  );
}

/** Little-endian bytes of values, written with Node's typed arrays (an independent encoder). */
const ENCODERS: Record<string, (values: number[]) => Buffer> = {
  FP32: (v) => Buffer.from(new Float32Array(v).buffer),
  FP64: (v) => Buffer.from(new Float64Array(v).buffer),
  INT8: (v) => Buffer.from(new Int8Array(v).buffer),
  INT16: (v) => Buffer.from(new Int16Array(v).buffer),
  INT32: (v) => Buffer.from(new Int32Array(v).buffer),
  INT64: (v) => Buffer.from(new BigInt64Array(v.map(BigInt)).buffer),
  UINT8: (v) => Buffer.from(new Uint8Array(v).buffer),
  UINT16: (v) => Buffer.from(new Uint16Array(v).buffer),
  UINT32: (v) => Buffer.from(new Uint32Array(v).buffer),
  UINT64: (v) => Buffer.from(new BigUint64Array(v.map(BigInt)).buffer),
};

const SAMPLES: Record<string, number[]> = {
  FP32: [1.5, -2.25, 3.125, 0, 1e-3, 65_536.5],
  FP64: [Math.PI, -Math.E, 1e300, 0, -1e-300, 0.1],
  INT8: [-128, 127, 0, -1, 5, 9],
  INT16: [-32_768, 32_767, 0, -1, 300, 9],
  INT32: [-2_147_483_648, 2_147_483_647, 0, -1, 70_000, 9],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0, -1, 2 ** 40, 9],
  UINT8: [0, 255, 1, 2, 3, 4],
  UINT16: [0, 65_535, 1, 2, 3, 4],
  UINT32: [0, 4_294_967_295, 1, 2, 3, 4],
  UINT64: [0, Number.MAX_SAFE_INTEGER, 1, 2, 3, 4],
};

function refusal(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationFailedError);
    const e = error as ValidationFailedError;
    expect(e.kind).toBe('validation');
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.message).toBe(e.errors![0].message);
    return e.errors![0];
  }
  throw new Error('expected a ValidationFailedError');
}

describe('binary tensor data: requests', () => {
  it.each(Object.keys(ENCODERS))('decodes %s little-endian, row-major, into the flat data JSON would carry', (datatype) => {
    const values = SAMPLES[datatype];
    const { body, header } = binaryRequest(
      {
        id: 'r1',
        inputs: [{ name: 'x', shape: [2, 3], datatype, parameters: { binary_data_size: values.length * ENCODERS[datatype]([0]).length } }],
      },
      ENCODERS[datatype](values),
    );
    const request = decodeBinaryInferRequest(body, header);
    const expected = datatype === 'FP32' ? Array.from(new Float32Array(values)) : values;
    expect(request).toEqual({ id: 'r1', inputs: [{ name: 'x', shape: [2, 3], datatype, data: expected }] });
  });

  it('decodes FP16 (IEEE half) and BOOL (one byte each)', () => {
    const half = Buffer.alloc(8);
    [0x3c00, 0xc000, 0x3555, 0x7bff].forEach((bits, i) => half.writeUInt16LE(bits, i * 2));
    const { body, header } = binaryRequest(
      {
        inputs: [
          { name: 'h', shape: [4], datatype: 'FP16', parameters: { binary_data_size: 8 } },
          { name: 'b', shape: [1, 3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
        ],
      },
      half,
      Buffer.from([1, 0, 1]),
    );
    const [h, b] = decodeBinaryInferRequest(body, header).inputs;
    expect(h.data).toEqual([1, -2, 0.333251953125, 65_504]);
    expect(b.data).toEqual([true, false, true]);
  });

  it('decodes BYTES: each element a 4-byte little-endian length, then its UTF-8 bytes', () => {
    const strings = ['', 'héllo', 'a b', '🙂'];
    const blob = bytesElements(strings);
    const { body, header } = binaryRequest(
      { inputs: [{ name: 's', shape: [2, 2], datatype: 'BYTES', parameters: { binary_data_size: blob.length } }] },
      blob,
    );
    expect(decodeBinaryInferRequest(body, header).inputs[0].data).toEqual(strings);
  });

  it('mixes JSON and binary inputs: blobs follow in the order of the binary inputs, other parameters stay', () => {
    const { body, header } = binaryRequest(
      {
        parameters: { binary_data_output: true },
        inputs: [
          { name: 'a', shape: [2], datatype: 'INT32', parameters: { binary_data_size: 8, note: 'kept' } },
          { name: 'b', shape: [2], datatype: 'FP64', data: [1, 2] },
          { name: 'c', shape: [1], datatype: 'UINT8', parameters: { binary_data_size: 1 } },
        ],
        outputs: [{ name: 'y' }],
      },
      ENCODERS.INT32([7, -7]),
      Buffer.from([200]),
    );
    expect(decodeBinaryInferRequest(body, header)).toEqual({
      parameters: { binary_data_output: true },
      inputs: [
        { name: 'a', shape: [2], datatype: 'INT32', parameters: { note: 'kept' }, data: [7, -7] },
        { name: 'b', shape: [2], datatype: 'FP64', data: [1, 2] },
        { name: 'c', shape: [1], datatype: 'UINT8', data: [200] },
      ],
      outputs: [{ name: 'y' }],
    });
  });

  it('takes a JSON-only body (header = body length) and empty tensors', () => {
    const json = binaryRequest({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] });
    expect(decodeBinaryInferRequest(json.body, json.header).inputs[0].data).toEqual([1, 2]);
    const empty = binaryRequest({ inputs: [{ name: 'x', shape: [0, 4], datatype: 'FP32', parameters: { binary_data_size: 0 } }] });
    expect(decodeBinaryInferRequest(empty.body, empty.header).inputs[0].data).toEqual([]);
  });

  it('leaves a non-finite float to the model validation (it reaches it as the number it is)', () => {
    const { body, header } = binaryRequest(
      { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] },
      ENCODERS.FP32([NaN, Infinity]),
    );
    expect(decodeBinaryInferRequest(body, header).inputs[0].data).toEqual([NaN, Infinity]);
  });

  describe('refuses malformed bodies with a 400 naming the field', () => {
    const fp32 = (size: number, extra: object = {}) => ({
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: size }, ...extra }],
    });
    const four = ENCODERS.FP32([1, 2, 3, 4]);

    it.each([
      [
        'no header',
        () => decodeBinaryInferRequest(Buffer.from('{}'), undefined),
        'Inference-Header-Content-Length',
        /needs the Inference-Header-Content-Length header/,
      ],
      [
        'a negative header',
        () => decodeBinaryInferRequest(Buffer.from('{}'), '-1'),
        'Inference-Header-Content-Length',
        /non-negative integer/,
      ],
      [
        'a fractional header',
        () => decodeBinaryInferRequest(Buffer.from('{}'), '1.5'),
        'Inference-Header-Content-Length',
        /non-negative integer/,
      ],
      [
        'a header with spaces',
        () => decodeBinaryInferRequest(Buffer.from('{}'), ' 2'),
        'Inference-Header-Content-Length',
        /non-negative integer/,
      ],
      ['a repeated header', () => decodeBinaryInferRequest(Buffer.from('{}'), ['2', '2']), 'Inference-Header-Content-Length', /got "2, 2"/],
      [
        'a header past the body',
        () => decodeBinaryInferRequest(Buffer.from('{}'), '3'),
        'Inference-Header-Content-Length',
        /is 3 but the body has only 2 bytes/,
      ],
      [
        'an absurd header',
        () => decodeBinaryInferRequest(Buffer.from('{}'), '9'.repeat(400)),
        'Inference-Header-Content-Length',
        /non-negative integer/,
      ],
      [
        'a JSON part that is not JSON',
        () => decodeBinaryInferRequest(Buffer.from('{"inputs": [xyz'), '14'),
        'body',
        /first 14 bytes .* not a valid JSON/,
      ],
      [
        'a JSON part cut short by the header',
        () => decodeBinaryInferRequest(Buffer.from('{"inputs":[]}'), '5'),
        'body',
        /not a valid JSON/,
      ],
      ['a JSON part that is not UTF-8', () => decodeBinaryInferRequest(Buffer.from([0x22, 0xff, 0x22]), '3'), 'body', /not a valid JSON/],
      ['a JSON part that is not an object', () => decodeBinaryInferRequest(Buffer.from('[1,2]'), '5'), 'body', /must be a JSON object/],
      [
        'bytes beyond the declared sizes',
        () => {
          const r = binaryRequest(fp32(16), four, Buffer.from([0]));
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'body',
        /17 bytes follow the JSON part but the inputs' binary_data_size add up to 16/,
      ],
      [
        'fewer bytes than declared',
        () => {
          const r = binaryRequest(fp32(16), four.subarray(0, 12));
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'body',
        /12 bytes follow .* add up to 16/,
      ],
      [
        'binary bytes but no binary input',
        () => {
          const r = binaryRequest({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] }, four);
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'body',
        /16 bytes follow .* add up to 0/,
      ],
      [
        'a size that is not shape × element size',
        () => {
          const r = binaryRequest({ inputs: [{ name: 'x', shape: [1, 3], datatype: 'FP32', parameters: { binary_data_size: 16 } }] }, four);
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /is 16 but shape \[1, 3\] of FP32 needs 12 bytes \(4 per element\)/,
      ],
      [
        'a negative size',
        () => {
          const r = binaryRequest(fp32(-16), four);
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /non-negative integer/,
      ],
      [
        'a size that is not a number',
        () => {
          const r = binaryRequest(fp32('16' as unknown as number), four);
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /non-negative integer/,
      ],
      [
        'both binary_data_size and data',
        () => {
          const r = binaryRequest(fp32(16, { data: [1, 2, 3, 4] }), four);
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].data',
        /must not have data/,
      ],
      [
        'a datatype that cannot travel binary',
        () => {
          const r = binaryRequest(
            { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP128', parameters: { binary_data_size: 16 } }] },
            four,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].datatype',
        /FP128 cannot carry binary data/,
      ],
      [
        'a malformed shape',
        () => {
          const r = binaryRequest(
            { inputs: [{ name: 'x', shape: [1, -4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
            four,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].shape',
        /non-negative integers/,
      ],
      [
        'a shape whose element count is not a safe integer',
        () => {
          const r = binaryRequest(
            { inputs: [{ name: 'x', shape: [2 ** 30, 2 ** 30, 2 ** 30], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
            four,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].shape',
        /non-negative integers/,
      ],
      [
        'a huge shape over a small blob (nothing allocated for it)',
        () => {
          const r = binaryRequest(
            { inputs: [{ name: 'x', shape: [1e9, 1e6], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
            four,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /needs 4000000000000000 bytes/,
      ],
      [
        'BYTES cut inside a length prefix',
        () => {
          const blob = Buffer.concat([bytesElements(['ab']), Buffer.from([1, 0])]);
          const r = binaryRequest(
            { inputs: [{ name: 's', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: blob.length } }] },
            blob,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /ends inside the 4-byte length of element 1/,
      ],
      [
        'BYTES whose length runs past the blob',
        () => {
          const blob = Buffer.from([0xff, 0xff, 0xff, 0x7f, 0x61]);
          const r = binaryRequest(
            { inputs: [{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: blob.length } }] },
            blob,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /claims 2147483647 bytes but only 1 remain/,
      ],
      [
        'BYTES with fewer elements than the shape',
        () => {
          const blob = bytesElements(['a']);
          const r = binaryRequest(
            { inputs: [{ name: 's', shape: [3], datatype: 'BYTES', parameters: { binary_data_size: blob.length } }] },
            blob,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /holds 1 BYTES elements but the shape needs 3/,
      ],
      [
        'BYTES with more elements than the shape',
        () => {
          const blob = bytesElements(['a', 'b']);
          const r = binaryRequest(
            { inputs: [{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: blob.length } }] },
            blob,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /5 bytes left after the 1 BYTES elements/,
      ],
      [
        'BYTES that are not UTF-8',
        () => {
          const blob = Buffer.from([1, 0, 0, 0, 0xff]);
          const r = binaryRequest(
            { inputs: [{ name: 's', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: blob.length } }] },
            blob,
          );
          return decodeBinaryInferRequest(r.body, r.header);
        },
        'inputs[0].parameters.binary_data_size',
        /not valid UTF-8/,
      ],
    ])('%s', (_case, fn, field, message) => {
      const error = refusal(fn);
      expect(error.field).toBe(field);
      expect(error.message).toMatch(message);
    });
  });
});

describe('binary tensor data: responses', () => {
  const response = (outputs: V2OutputTensor[]): V2InferResponse => ({ model_name: 'm', model_version: '1', id: 'r', outputs });
  const request = (extra: Partial<V2InferRequest> = {}): V2InferRequest => ({ inputs: [], ...extra });

  /** Splits an encoded response as a Triton client does. */
  function split(encoded: { body: Buffer; headerLength: number }) {
    const json = JSON.parse(encoded.body.subarray(0, encoded.headerLength).toString('utf8')) as {
      outputs: { name: string; datatype: string; parameters?: { binary_data_size?: number }; data?: unknown }[];
    };
    let at = encoded.headerLength;
    const blobs: Record<string, Buffer> = {};
    for (const output of json.outputs) {
      const size = output.parameters?.binary_data_size;
      if (size === undefined) continue;
      blobs[output.name] = encoded.body.subarray(at, at + size);
      at += size;
    }
    expect(at).toBe(encoded.body.length);
    return { json, blobs };
  }

  it('answers nothing binary unless asked', () => {
    const r = response([{ name: 'y', shape: [1, 2], datatype: 'FP32', data: [1, 2] }]);
    expect(encodeBinaryInferResponse(r, request())).toBeUndefined();
    expect(encodeBinaryInferResponse(r, request({ parameters: { binary_data_output: false } }))).toBeUndefined();
    expect(binaryOutputRequested(request())).toBe(false);
  });

  it.each([...Object.keys(ENCODERS), 'FP16', 'BOOL', 'BYTES'])('round-trips %s through the request decoder', (datatype) => {
    const data =
      datatype === 'BOOL'
        ? [true, false, false, true]
        : datatype === 'BYTES'
          ? ['0.9:2:virginica', '', 'ü', 'x']
          : datatype === 'FP16'
            ? [1, -2, 0.5, 65_504]
            : SAMPLES[datatype].slice(0, 4);
    const output = { name: 'y', shape: [2, 2], datatype, data } as unknown as V2OutputTensor;
    const encoded = encodeBinaryInferResponse(response([output]), request({ parameters: { binary_data_output: true } }))!;
    const { json, blobs } = split(encoded);
    expect(json).toEqual({
      model_name: 'm',
      model_version: '1',
      id: 'r',
      outputs: [{ name: 'y', shape: [2, 2], datatype, parameters: { binary_data_size: blobs.y.length } }],
    });
    // The same bytes as a binary input decode to the same data.
    const back = binaryRequest(
      { inputs: [{ name: 'y', shape: [2, 2], datatype, parameters: { binary_data_size: blobs.y.length } }] },
      blobs.y,
    );
    const expected = datatype === 'FP32' ? Array.from(new Float32Array(data as number[])) : data;
    expect(decodeBinaryInferRequest(back.body, back.header).inputs[0].data).toEqual(expected);
  });

  it('writes FP32 outputs as the little-endian float32 of each value', () => {
    const encoded = encodeBinaryInferResponse(
      response([{ name: 'y', shape: [1, 3], datatype: 'FP32', data: [0.1, 0.2, 0.7] }]),
      request({ parameters: { binary_data_output: true } }),
    )!;
    expect(split(encoded).blobs.y).toEqual(ENCODERS.FP32([0.1, 0.2, 0.7]));
  });

  it('honours binary_data per output over binary_data_output, and appends blobs in output order', () => {
    const r = response([
      { name: 'a', shape: [2], datatype: 'INT32', data: [1, 2] },
      { name: 'b', shape: [1], datatype: 'FP64', data: [0.5] },
      { name: 'c', shape: [1], datatype: 'BYTES', data: ['z'] },
    ]);
    const perOutput = request({
      outputs: [{ name: 'a', parameters: { binary_data: true } }, { name: 'b' }, { name: 'c', parameters: { binary_data: true } }],
    });
    expect(binaryOutputRequested(perOutput)).toBe(true);
    const one = split(encodeBinaryInferResponse(r, perOutput)!);
    expect(one.json.outputs).toEqual([
      { name: 'a', shape: [2], datatype: 'INT32', parameters: { binary_data_size: 8 } },
      { name: 'b', shape: [1], datatype: 'FP64', data: [0.5] },
      { name: 'c', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 5 } },
    ]);
    expect(one.blobs.a).toEqual(ENCODERS.INT32([1, 2]));
    expect(one.blobs.c).toEqual(bytesElements(['z']));

    const allButB = request({ parameters: { binary_data_output: true }, outputs: [{ name: 'b', parameters: { binary_data: false } }] });
    expect(split(encodeBinaryInferResponse(r, allButB)!).json.outputs.map((o) => (o.data === undefined ? 'binary' : 'json'))).toEqual([
      'binary',
      'json',
      'binary',
    ]);
  });

  it('never throws on output values a fixed type cannot hold (wrapped, as a C cast)', () => {
    const r = response([
      { name: 'a', shape: [3], datatype: 'INT64', data: [NaN, 1.7, 2 ** 70] },
      { name: 'b', shape: [1], datatype: 'INT32', data: [2 ** 40] },
    ]);
    expect(() => encodeBinaryInferResponse(r, request({ parameters: { binary_data_output: true } }))).not.toThrow();
  });

  it.each([
    [{ parameters: { binary_data_output: 'yes' } }, 'parameters.binary_data_output'],
    [{ parameters: 'binary' }, 'parameters'],
    [{ outputs: [{ name: 'y', parameters: { binary_data: 1 } }] }, 'outputs[0].parameters.binary_data'],
  ])('refuses a malformed flag before any inference: %j', (extra, field) => {
    const bad = request(extra as Partial<V2InferRequest>);
    expect(refusal(() => binaryOutputRequested(bad)).field).toBe(field);
  });

  it('lists the datatypes it carries', () => {
    expect([...BINARY_DATATYPES].sort()).toEqual(
      ['BOOL', 'BYTES', 'FP16', 'FP32', 'FP64', 'INT16', 'INT32', 'INT64', 'INT8', 'UINT16', 'UINT32', 'UINT64', 'UINT8'].sort(),
    );
  });
});
