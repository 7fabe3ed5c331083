import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { createModel, versionIn } from './support/registry';
import { LeanAndNestApps, startLeanAndNestApps } from './support/test-app';

/**
 * Triton's binary tensor data extension on the v2 infer routes: an `application/octet-stream` body
 * of JSON then raw tensor bytes (Inference-Header-Content-Length), and binary outputs on request.
 * Every call goes to an app with the lean inference handlers and to one without (Nest's router):
 * both must answer alike.
 */

const BODY_LIMIT = 64 * 1024;
const JSON_MAX_DEPTH = 16;
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

/** The lean app and the Nest-only app, with a small body limit and JSON depth. */
function startBoth() {
  return startLeanAndNestApps({
    SERVING_RESOLVE_TTL_MS: '0',
    BODY_LIMIT_BYTES: String(BODY_LIMIT),
    JSON_MAX_DEPTH: String(JSON_MAX_DEPTH),
  });
}

/** A binary request body as Triton's clients build it. */
function binaryBody(json: object, ...blobs: Buffer[]): { body: Buffer; headerLength: number } {
  const head = Buffer.from(JSON.stringify(json), 'utf8');
  return { body: Buffer.concat([head, ...blobs]), headerLength: head.length };
}

const fp32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

/** Splits a binary answer: the JSON, and each binary output's bytes by name. */
function splitAnswer(res: LightMyRequestResponse) {
  const headerLength = Number(res.headers['inference-header-content-length']);
  const body = res.rawPayload;
  const json = JSON.parse(body.subarray(0, headerLength).toString('utf8')) as {
    outputs: { name: string; shape: number[]; datatype: string; data?: unknown[]; parameters?: { binary_data_size?: number } }[];
  };
  const blobs: Record<string, Buffer> = {};
  let at = headerLength;
  for (const output of json.outputs) {
    const size = output.parameters?.binary_data_size;
    if (size === undefined) continue;
    blobs[output.name] = body.subarray(at, at + size);
    at += size;
  }
  expect(at).toBe(body.length);
  return { json, blobs };
}

function bytesElements(blob: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < blob.length; ) {
    const length = blob.readUInt32LE(at);
    out.push(blob.subarray(at + 4, at + 4 + length).toString('utf8'));
    at += 4 + length;
  }
  return out;
}

describe('Open Inference Protocol: binary tensor data extension (e2e)', () => {
  let apps: LeanAndNestApps;
  let consumer: string;
  let inputName: string;
  let outputName: string;
  let calls = 0;

  beforeAll(async () => {
    apps = await startBoth();
    const t = apps.lean;
    await bootstrapAdmin(t);
    const engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    await createModel(t, engineer, 'iris', { task: 'classification' });
    await versionIn(t, engineer, 'iris', 'production');
    const meta = (await apps.lean.app.inject({ method: 'GET', url: '/v2/models/iris', headers: authHeader(consumer) })).json();
    inputName = meta.inputs[0].name;
    outputName = meta.outputs[0].name;
  });
  afterAll(() => apps?.close());

  interface Call {
    url?: string;
    /** A Buffer goes as application/octet-stream (unless contentType says otherwise); an object as JSON. */
    payload: Buffer | object;
    headerLength?: number | string;
    contentType?: string;
    token?: string | null;
  }

  /** Sends the call to both apps (the same request id) and checks they answer alike; returns the lean answer. */
  async function send(call: Call): Promise<LightMyRequestResponse> {
    const requestId = `binary-${++calls}`;
    const binary = Buffer.isBuffer(call.payload);
    const headers: Record<string, string> = {
      'x-request-id': requestId,
      ...(call.token === null ? {} : authHeader(call.token ?? consumer)),
      ...(binary ? { 'content-type': call.contentType ?? 'application/octet-stream' } : {}),
      ...(call.headerLength === undefined ? {} : { 'inference-header-content-length': String(call.headerLength) }),
    };
    const inject = (app: NestFastifyApplication) =>
      app.inject({
        method: 'POST',
        url: call.url ?? '/v2/models/iris/infer',
        headers,
        payload: call.payload as Buffer | Record<string, unknown>,
      });
    const [lean, nest] = [await inject(apps.lean.app), await inject(apps.nest.app)];
    const view = (res: LightMyRequestResponse) => ({
      status: res.statusCode,
      contentType: res.headers['content-type'],
      headerLength: res.headers['inference-header-content-length'],
      body: res.rawPayload.toString('base64'),
    });
    expect(view(nest)).toEqual(view(lean));
    return lean;
  }

  const binaryInput = (rows: number[][], extra: object = {}) =>
    binaryBody(
      {
        inputs: [{ name: inputName, shape: [rows.length, 4], datatype: 'FP32', parameters: { binary_data_size: rows.length * 16 } }],
        ...extra,
      },
      fp32(rows.flat()),
    );
  const jsonInput = (rows: number[][], extra: object = {}) => ({
    inputs: [{ name: inputName, shape: [rows.length, 4], datatype: 'FP32', data: rows.flat() }],
    ...extra,
  });

  it('a binary FP32 input answers the same outputs as the JSON request', async () => {
    const json = await send({ payload: jsonInput(ROWS, { id: 'same' }) });
    expect(json.statusCode).toBe(200);
    const { body, headerLength } = binaryInput(ROWS, { id: 'same' });
    const res = await send({ payload: body, headerLength });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['inference-header-content-length']).toBeUndefined();
    expect(res.json()).toEqual(json.json());
    expect(res.json().outputs[0].data).toHaveLength(ROWS.length * 3);
    // The usual answer headers come along.
    expect(res.headers['x-model-version']).toBe('1');
    expect(res.headers['server-timing']).toMatch(/compute;dur=/);
  });

  it('the versioned route takes binary data too', async () => {
    const { body, headerLength } = binaryInput(ROWS.slice(0, 1));
    const res = await send({ url: '/v2/models/iris/versions/1/infer', payload: body, headerLength });
    expect(res.statusCode).toBe(200);
    expect(res.json().model_version).toBe('1');
  });

  it('binary_data_output: the outputs come back as bytes that decode to the JSON answer', async () => {
    const json = (await send({ payload: jsonInput(ROWS, { id: 'out' }) })).json();
    for (const request of [
      // JSON in, binary out
      () => ({ payload: jsonInput(ROWS, { id: 'out', parameters: { binary_data_output: true } }) }),
      // binary in, binary out
      () => {
        const { body, headerLength } = binaryInput(ROWS, { id: 'out', parameters: { binary_data_output: true } });
        return { payload: body, headerLength };
      },
    ]) {
      const res = await send(request());
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      expect(res.headers['x-model-version']).toBe('1');
      const { json: head, blobs } = splitAnswer(res);
      const { data, ...rest } = json.outputs[0];
      expect(head).toEqual({ ...json, outputs: [{ ...rest, parameters: { binary_data_size: ROWS.length * 3 * 4 } }] });
      const decoded = Array.from(
        new Float32Array(
          blobs[outputName].buffer.slice(blobs[outputName].byteOffset, blobs[outputName].byteOffset + blobs[outputName].length),
        ),
      );
      expect(decoded).toEqual(Array.from(new Float32Array(data as number[])));
    }
  });

  it('binary_data on a requested output: the classification extension answers its BYTES binary', async () => {
    const outputs = (binary: boolean) => [
      { name: outputName, parameters: { classification: 2, ...(binary ? { binary_data: true } : {}) } },
    ];
    const json = (await send({ payload: jsonInput(ROWS, { id: 'cls', outputs: outputs(false) }) })).json();
    const { body, headerLength } = binaryInput(ROWS, { id: 'cls', outputs: outputs(true) });
    const res = await send({ payload: body, headerLength });
    expect(res.statusCode).toBe(200);
    const { json: head, blobs } = splitAnswer(res);
    expect(head.outputs[0]).toMatchObject({ name: outputName, datatype: 'BYTES', shape: [2, 2] });
    expect(bytesElements(blobs[outputName])).toEqual(json.outputs[0].data);
  });

  it('binary in, JSON out when binary_data is false on the output', async () => {
    const { body, headerLength } = binaryInput(ROWS, {
      parameters: { binary_data_output: true },
      outputs: [{ name: outputName, parameters: { binary_data: false } }],
    });
    const res = await send({ payload: body, headerLength });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().outputs[0].data).toHaveLength(6);
  });

  describe('malformed binary requests: 400 problem+json with `error`', () => {
    const good = () => binaryInput(ROWS);
    it.each<[string, () => Call, string, RegExp]>([
      [
        'no Inference-Header-Content-Length',
        () => ({ payload: good().body }),
        'Inference-Header-Content-Length',
        /needs the Inference-Header-Content-Length header/,
      ],
      [
        'a header that is not a number',
        () => ({ payload: good().body, headerLength: 'twelve' }),
        'Inference-Header-Content-Length',
        /non-negative integer/,
      ],
      [
        'a header past the body',
        () => ({ payload: good().body, headerLength: good().body.length + 1 }),
        'Inference-Header-Content-Length',
        /but the body has only/,
      ],
      [
        'sizes not adding up to the bytes sent',
        () => {
          const { body, headerLength } = binaryInput(ROWS);
          return { payload: Buffer.concat([body, Buffer.alloc(4)]), headerLength };
        },
        'body',
        /36 bytes follow the JSON part but the inputs' binary_data_size add up to 32/,
      ],
      [
        'a size that is not shape × 4 (FP32)',
        () => {
          const { body, headerLength } = binaryBody(
            { inputs: [{ name: inputName, shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 12 } }] },
            fp32([1, 2, 3]),
          );
          return { payload: body, headerLength };
        },
        'inputs[0].parameters.binary_data_size',
        /is 12 but shape \[1, 4\] of FP32 needs 16 bytes/,
      ],
      [
        'a JSON part that is not JSON',
        () => {
          const { body } = binaryInput(ROWS);
          return { payload: Buffer.concat([Buffer.from('not json!'), body.subarray(body.length - 32)]), headerLength: 9 };
        },
        'body',
        /first 9 bytes .* not a valid JSON inference request/,
      ],
      [
        'data beside binary_data_size',
        () => {
          const { body, headerLength } = binaryBody(
            { inputs: [{ name: inputName, shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4], parameters: { binary_data_size: 16 } }] },
            fp32([1, 2, 3, 4]),
          );
          return { payload: body, headerLength };
        },
        'inputs[0].data',
        /must not have data/,
      ],
      [
        'a malformed binary_data_output',
        () => ({ payload: jsonInput(ROWS, { parameters: { binary_data_output: 'yes' } }) }),
        'parameters.binary_data_output',
        /true or false/,
      ],
      [
        'an unknown top-level field (the usual envelope check, after decoding)',
        () => {
          const { body, headerLength } = binaryInput(ROWS, { extra: 1 });
          return { payload: body, headerLength };
        },
        'extra',
        /not an accepted field/,
      ],
    ])('%s', async (_case, call, field, detail) => {
      for (const url of ['/v2/models/iris/infer', '/v2/models/iris/versions/1/infer']) {
        const res = await send({ url, ...call() });
        expect({ url, status: res.statusCode }).toEqual({ url, status: 400 });
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        const problem = res.json();
        expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', instance: url });
        expect(problem.error).toBe(problem.detail);
        expect(problem.errors[0].field).toBe(field);
        expect(problem.errors[0].message).toMatch(detail);
      }
    });

    it('a decoded value the model refuses (NaN) is the usual v2 400', async () => {
      const { body, headerLength } = binaryBody(
        { inputs: [{ name: inputName, shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }] },
        fp32([1, NaN, 3, 4]),
      );
      const res = await send({ payload: body, headerLength });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'inputs[0].data[1]' }] });
    });

    it('the JSON part is held to JSON_MAX_DEPTH before it is parsed', async () => {
      const deep = Buffer.from(`{"inputs":${'['.repeat(JSON_MAX_DEPTH + 1)}${']'.repeat(JSON_MAX_DEPTH + 1)}}`);
      const res = await send({ payload: deep, headerLength: deep.length });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'JSON_TOO_DEEP', maxDepth: JSON_MAX_DEPTH });
    });
  });

  describe('bounds and routes', () => {
    it('a body over BODY_LIMIT_BYTES is a 413, as for JSON', async () => {
      const big = Buffer.alloc(BODY_LIMIT + 1);
      const res = await send({ payload: big, headerLength: 2 });
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('without credentials a 401: nothing is decoded before the guard', async () => {
      const res = await send({ payload: Buffer.from('garbage'), token: null });
      expect(res.statusCode).toBe(401);
    });

    it('other routes still refuse application/octet-stream with 415', async () => {
      const { body, headerLength } = binaryInput(ROWS);
      for (const url of ['/v1/models/iris/predict', '/v1/models']) {
        const res = await send({ url, payload: body, headerLength });
        expect({ url, status: res.statusCode }).toEqual({ url, status: 415 });
        expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'Unsupported Media Type application/octet-stream' });
      }
    });
  });
});
