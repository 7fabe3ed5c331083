import { authHeader, bootstrapAdmin, tokenFor } from './support/auth';
import { readNamedFixtureReference } from './support/fixtures';
import { createModel, fixtureFiles, transition, uploadVersion } from './support/registry';
import { expectClose } from './support/tensors';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Models with several inputs, several outputs and string inputs, served on v1, v2 and the TF
 * Serving routes: the registry lists every tensor; answers equal TensorFlow.js' own (the
 * references the fixture generator recorded with tfjs) within 1e-5; each bad input names the
 * input, its datatype and shape; concurrent requests batch across inputs.
 */

const twoInput = readNamedFixtureReference('two-input');
const twoOutput = readNamedFixtureReference('two-output');
const strings = readNamedFixtureReference('string-graph');

/** Rows of a fixture's inputs as v1 takes them for several inputs: objects keyed by input name. */
function namedRows(reference: { inputs: Record<string, unknown[][]> }, count?: number): Record<string, unknown>[] {
  const names = Object.keys(reference.inputs);
  const rows = count ?? reference.inputs[names[0]].length;
  return Array.from({ length: rows }, (_, r) => Object.fromEntries(names.map((name) => [name, reference.inputs[name][r]])));
}

/** A v2 tensor of rows, flat row-major. */
function tensor(name: string, datatype: string, rows: unknown[][]) {
  return {
    name,
    datatype,
    shape: rows[0].length === 1 && datatype === 'BYTES' ? [rows.length] : [rows.length, rows[0].length],
    data: rows.flat(),
  };
}

function unflatten(data: number[], width: number): number[][] {
  return Array.from({ length: data.length / width }, (_, r) => data.slice(r * width, (r + 1) * width));
}

describe('Several inputs and outputs, string tensors (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;

  const post = (url: string, payload: unknown, token = consumer) =>
    t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: payload as object });

  beforeAll(async () => {
    // A batching window wide enough for concurrent requests to share batches on a slow machine, and
    // batches closed by rows alone: the default compute cut (BATCH_MAX_COMPUTE_MS) would close them at
    // one row where a row takes longer than half its budget, as on a loaded CI runner.
    t = await startTestApp({ BATCH_MAX_DELAY_MS: '50', BATCH_MAX_COMPUTE_MS: '0', SERVING_RESOLVE_TTL_MS: '0' });
    await bootstrapAdmin(t);
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    for (const [model, fixture] of [
      ['ranker', 'two-input'],
      ['multi', 'two-output'],
      ['texter', 'string-graph'],
    ]) {
      await createModel(t, engineer, model);
      const upload = await uploadVersion(t, engineer, model, fixtureFiles(fixture));
      expect(upload.statusCode).toBe(201);
      for (const to of ['staging', 'production']) expect((await transition(t, engineer, model, 1, { to })).statusCode).toBe(200);
    }
  }, 120_000);

  afterAll(() => t?.close());

  it('lists every input and output in the registry, strings as BYTES', async () => {
    const version = async (model: string) =>
      (await t.app.inject({ method: 'GET', url: `/v1/models/${model}/versions/1`, headers: authHeader(consumer) })).json();
    expect((await version('ranker')).inputs).toEqual([
      { name: 'features', datatype: 'FP32', shape: [-1, 3] },
      { name: 'tokens', datatype: 'INT32', shape: [-1, 4] },
    ]);
    expect((await version('ranker')).outputs).toEqual([{ name: 'class_probs', datatype: 'FP32', shape: [-1, 3] }]);
    expect((await version('multi')).outputs).toEqual([
      { name: 'species', datatype: 'FP32', shape: [-1, 3] },
      { name: 'size', datatype: 'FP32', shape: [-1, 1] },
    ]);
    const texter = await version('texter');
    expect(texter.inputs).toEqual([{ name: 'text', datatype: 'BYTES', shape: [-1] }]);
    expect(texter.outputs).toEqual([{ name: 'embedding', datatype: 'FP32', shape: [-1, 4] }]);
    const metadata = (await t.app.inject({ method: 'GET', url: '/v2/models/ranker', headers: authHeader(consumer) })).json();
    expect(metadata.inputs.map((i: { name: string; datatype: string }) => `${i.name}:${i.datatype}`)).toEqual([
      'features:FP32',
      'tokens:INT32',
    ]);
  });

  it('quantizes models with several inputs and with string inputs, measured on a sample for every input', async () => {
    for (const model of ['ranker', 'texter', 'multi']) {
      const res = await post(`/v1/models/${model}/versions/1/quantize`, { dtype: 'float16' }, engineer);
      expect({ model, status: res.statusCode }).toEqual({ model, status: 201 });
      const report = res.json().metrics.quantization;
      expect(report).toMatchObject({ dtype: 'float16', sourceVersion: 1 });
      expect(report.maxAbsDiff).toBeGreaterThanOrEqual(0);
      expect(report.maxAbsDiff).toBeLessThan(0.01);
    }
  });

  describe('v1', () => {
    it('takes rows keyed by input name and answers as tfjs does', async () => {
      const res = await post('/v1/models/ranker/predict', { instances: namedRows(twoInput) });
      expect(res.statusCode).toBe(200);
      expectClose(res.json().predictions, twoInput.outputs.class_probs);
    });

    it('answers several outputs as objects keyed by output name', async () => {
      const res = await post('/v1/models/multi/predict', { instances: twoOutput.inputs.x });
      expect(res.statusCode).toBe(200);
      const predictions = res.json().predictions as Record<string, number[]>[];
      expect(Object.keys(predictions[0])).toEqual(['species', 'size']);
      expectClose(
        predictions.map((p) => p.species),
        twoOutput.outputs.species,
      );
      expectClose(
        predictions.map((p) => p.size),
        twoOutput.outputs.size,
      );
    });

    it('takes strings as bare values, one-element rows, rows keyed by input name, or {"b64"}', async () => {
      const texts = strings.inputs.text.map((row) => row[0] as string);
      const forms = [
        texts,
        texts.map((text) => [text]),
        texts.map((text) => ({ text })),
        texts.map((text) => ({ b64: Buffer.from(text).toString('base64') })),
        texts.map((text) => ({ text: [{ b64: Buffer.from(text).toString('base64url') }] })),
      ];
      for (const instances of forms) {
        const res = await post('/v1/models/texter/predict', { instances });
        expect(res.statusCode).toBe(200);
        expectClose(res.json().predictions, strings.outputs.embedding);
      }
    });

    it('a one-value input takes 41 or [41]; a row may repeat nothing and miss nothing', async () => {
      const [row] = namedRows(twoInput, 1) as { features: number[]; tokens: number[] }[];
      const nested = await post('/v1/models/ranker/predict', { instances: [{ tokens: row.tokens, features: row.features }] });
      expectClose(nested.json().predictions, twoInput.outputs.class_probs.slice(0, 1));
      const scalar = await post('/v1/models/texter/predict', { instances: [{ text: 'a' }, { text: ['a'] }] });
      expect(scalar.statusCode).toBe(200);
      expectClose(scalar.json().predictions, [strings.outputs.embedding[0], strings.outputs.embedding[0]]);
    });

    it('names the input, its datatype and shape in every error (422)', async () => {
      const [row] = namedRows(twoInput, 1) as { features: number[]; tokens: number[] }[];
      const cases: [string, unknown, { field: string; message: RegExp }][] = [
        [
          'a missing input',
          [{ features: row.features }],
          { field: 'instances[0].tokens', message: /is required: input 'tokens' \(INT32, shape \[-1, 4\]\)/ },
        ],
        [
          'an unknown input',
          [{ ...row, extra: 1 }],
          { field: 'instances[0].extra', message: /not an input of this model \(inputs: features, tokens\)/ },
        ],
        ['a fractional token id', [{ ...row, tokens: [1, 2.5, 3, 4] }], { field: 'instances[0].tokens[1]', message: /must be an integer/ }],
        ['a short tensor', [{ ...row, tokens: [1, 2] }], { field: 'instances[0].tokens', message: /expected 4 values, got 2/ }],
        [
          'a row that is a list',
          [[...row.features, ...row.tokens]],
          { field: 'instances[0]', message: /must be an object keyed by input name/ },
        ],
        [
          'b64 for a number',
          [{ ...row, features: [{ b64: 'AAAA' }, 1, 2] }],
          { field: 'instances[0].features[0]', message: /b64.*BYTES inputs/ },
        ],
      ];
      for (const [what, instances, error] of cases) {
        const res = await post('/v1/models/ranker/predict', { instances });
        expect({ what, status: res.statusCode }).toEqual({ what, status: 422 });
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        const body = res.json();
        expect(body.detail).toMatch(/inputs 'features' \(FP32, shape \[-1, 3\]\), 'tokens' \(INT32, shape \[-1, 4\]\)/);
        expect(body.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: error.field, message: expect.stringMatching(error.message) })]),
        );
      }
      const text = await post('/v1/models/texter/predict', { instances: [{ b64: 'not base64!' }, 7] });
      expect(text.statusCode).toBe(422);
      expect(text.json().errors).toEqual([
        { field: 'instances[0]', message: 'b64 must be a base64 string' },
        { field: 'instances[1]', message: 'must be a string or {"b64": "<base64>"}' },
      ]);
    });

    it('batches concurrent requests across both inputs and answers each its own rows', async () => {
      const rows = namedRows(twoInput);
      const answers = await Promise.all(rows.map((row) => post('/v1/models/ranker/predict', { instances: [row] })));
      answers.forEach((res, i) => {
        expect(res.statusCode).toBe(200);
        expectClose(res.json().predictions, [twoInput.outputs.class_probs[i]]);
      });
      const batchRows = answers.map((res) => Number(/rows=(\d+)/.exec(String(res.headers['server-timing']))?.[1]));
      expect(Math.max(...batchRows)).toBeGreaterThan(1);
    });
  });

  describe('v2', () => {
    it('takes one tensor per input, in any order, and answers as tfjs does', async () => {
      const res = await post('/v2/models/ranker/infer', {
        inputs: [tensor('tokens', 'INT32', twoInput.inputs.tokens), tensor('features', 'FP32', twoInput.inputs.features)],
      });
      expect(res.statusCode).toBe(200);
      const [output] = res.json().outputs;
      expect(output).toMatchObject({ name: 'class_probs', datatype: 'FP32', shape: [twoInput.inputs.tokens.length, 3] });
      expectClose(unflatten(output.data, 3), twoInput.outputs.class_probs);
    });

    it('answers every output, or the ones asked for', async () => {
      const input = tensor('x', 'FP32', twoOutput.inputs.x);
      const all = (await post('/v2/models/multi/infer', { inputs: [input] })).json();
      expect(all.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).toEqual([
        ['species', [twoOutput.inputs.x.length, 3]],
        ['size', [twoOutput.inputs.x.length, 1]],
      ]);
      expectClose(unflatten(all.outputs[0].data, 3), twoOutput.outputs.species);
      expectClose(unflatten(all.outputs[1].data, 1), twoOutput.outputs.size);
      const size = (await post('/v2/models/multi/infer', { inputs: [input], outputs: [{ name: 'size' }] })).json();
      expect(size.outputs.map((o: { name: string }) => o.name)).toEqual(['size']);
      const top = (
        await post('/v2/models/multi/infer', { inputs: [input], outputs: [{ name: 'species', parameters: { classification: 1 } }] })
      ).json();
      expect(top.outputs[0]).toMatchObject({ name: 'species', datatype: 'BYTES', shape: [twoOutput.inputs.x.length, 1] });
    });

    it('takes BYTES data as strings', async () => {
      const res = await post('/v2/models/texter/infer', { inputs: [tensor('text', 'BYTES', strings.inputs.text)] });
      expect(res.statusCode).toBe(200);
      expectClose(unflatten(res.json().outputs[0].data, 4), strings.outputs.embedding);
    });

    it('answers 400 with error for a missing input, a batch mismatch or the wrong datatype', async () => {
      const features = tensor('features', 'FP32', twoInput.inputs.features);
      const tokens = tensor('tokens', 'INT32', twoInput.inputs.tokens);
      const cases: [unknown, RegExp][] = [
        [
          { inputs: [features] },
          /input "tokens" is missing; this model takes the inputs "features" \(FP32, shape \[-1, 3\]\), "tokens" \(INT32, shape \[-1, 4\]\)/,
        ],
        [
          { inputs: [features, { ...tokens, shape: [1, 4], data: tokens.data.slice(0, 4) }] },
          /input "tokens" has 1 rows but the inputs before it have \d+/,
        ],
        [{ inputs: [features, { ...tokens, datatype: 'BYTES' }] }, /input "tokens" is INT32; BYTES data cannot feed it/],
        [{ inputs: [features, { ...tokens, data: tokens.data.map(() => 0.5) }] }, /must be an integer/],
      ];
      for (const [payload, message] of cases) {
        const res = await post('/v2/models/ranker/infer', payload);
        expect(res.statusCode).toBe(400);
        expect(res.json().error).toMatch(message);
      }
      const numbers = await post('/v2/models/texter/infer', { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: [1] }] });
      expect(numbers.statusCode).toBe(400);
      expect(numbers.json().error).toMatch(/must be a string \(datatype BYTES\)/);
    });
  });

  describe('TensorFlow Serving', () => {
    it(':predict takes rows keyed by input name, and the columnar form as input name → tensor', async () => {
      const rows = await post('/v1/models/ranker:predict', { instances: namedRows(twoInput) });
      expect(rows.statusCode).toBe(200);
      expectClose(rows.json().predictions, twoInput.outputs.class_probs);
      const columns = await post('/v1/models/ranker:predict', { signature_name: 'serving_default', inputs: twoInput.inputs });
      expect(columns.statusCode).toBe(200);
      expectClose(columns.json().outputs, twoInput.outputs.class_probs);
    });

    it(':predict answers several outputs per row, or as output name → tensor in the columnar form', async () => {
      const rows = (await post('/v1/models/multi:predict', { instances: twoOutput.inputs.x })).json();
      expectClose(
        rows.predictions.map((p: { species: number[] }) => p.species),
        twoOutput.outputs.species,
      );
      const columns = (await post('/v1/models/multi:predict', { inputs: { x: twoOutput.inputs.x } })).json();
      expect(Object.keys(columns.outputs)).toEqual(['species', 'size']);
      expectClose(columns.outputs.species, twoOutput.outputs.species);
      expectClose(columns.outputs.size, twoOutput.outputs.size);
    });

    it(':predict takes strings and {"b64"} as TF Serving clients send them', async () => {
      const texts = strings.inputs.text.map((row) => row[0] as string);
      const res = await post('/v1/models/texter:predict', {
        instances: texts.map((text) => ({ text: { b64: Buffer.from(text).toString('base64') } })),
      });
      expect(res.statusCode).toBe(200);
      expectClose(res.json().predictions, strings.outputs.embedding);
      const columnar = await post('/v1/models/texter:predict', { inputs: { text: texts } });
      expectClose(columnar.json().outputs, strings.outputs.embedding);
    });

    it(':classify reads examples keyed by input name for a model with several inputs', async () => {
      const res = await post('/v1/models/ranker:classify', { examples: namedRows(twoInput, 2) });
      expect(res.statusCode).toBe(200);
      const scores = res.json().results.map((row: [string, number][]) => row.map(([, score]) => score));
      expectClose(scores, twoInput.outputs.class_probs.slice(0, 2));
    });

    it('errors carry error with TF Serving statuses: ragged columns, a missing input, several outputs for :regress', async () => {
      const ragged = await post('/v1/models/ranker:predict', {
        inputs: { ...twoInput.inputs, tokens: twoInput.inputs.tokens.slice(0, 1) },
      });
      expect(ragged.statusCode).toBe(400);
      expect(ragged.json().error).toMatch(/same batch size/);
      const missing = await post('/v1/models/ranker:predict', { inputs: { features: twoInput.inputs.features } });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toMatch(/inputs must name exactly the model's inputs: features, tokens/);
      const regress = await post('/v1/models/multi:regress', { examples: [{ x: 1 }] });
      expect(regress.statusCode).toBe(400);
      expect(typeof regress.json().error).toBe('string');
      const metadata = (await t.app.inject({ method: 'GET', url: '/v1/models/texter/metadata', headers: authHeader(consumer) })).json();
      expect(metadata.metadata.signature_def.signature_def.serving_default.inputs.text.dtype).toBe('DT_STRING');
    });
  });
});
