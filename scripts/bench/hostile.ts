import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { AuthService, UsersService } from '@app/auth';
import { createApp } from '../../apps/api/src/create-app';
import { hugeFirstLayerModel, repeatVectorModel, tiledGraphModel } from '../../libs/inference/src/testing/hostile-models';
import { benchConfig } from './bench-config';

/**
 * `npm run bench:hostile`: what hostile inputs cost the server. Runs the built app in this process
 * (embedded database, listening on a loopback port), sends each hostile request over a real socket
 * and reports the answer's status and problem code, the wall time, and the longest the event loop
 * was blocked while it was handled (perf_hooks.monitorEventLoopDelay, sampled around each case).
 * Every request body is built before its case starts, so the client's own work is not measured.
 *
 *   node dist/scripts/bench/hostile [case-name-filter]
 * BENCH_CASE_TIMEOUT_S (default 120) bounds each case.
 */

const CASE_TIMEOUT_MS = Number(process.env.BENCH_CASE_TIMEOUT_S ?? 120) * 1000;
const ENGINEER = { email: 'hostile-engineer@modelgate.test', password: 'hostile-engineer-password-1' };

interface Answer {
  status: number;
  code?: string;
}

interface Case {
  name: string;
  send(): Promise<Answer>;
}

function codeOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { code?: string }).code;
  } catch {
    return body ? `(not JSON: ${body.slice(0, 40)})` : undefined;
  }
}

/** One HTTP request; the body is a prebuilt Buffer, the answer read as text. */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: codeOf(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A request written as raw bytes (for what an HTTP client library would refuse to send). */
function sendRaw(port: number, raw: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(raw));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', (error) => (data ? undefined : reject(error)));
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), code: codeOf(rest.join('\r\n\r\n')) });
    });
  });
}

async function multipart(files: { field: string; name: string; data: Buffer }[], fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field, new Blob([new Uint8Array(f.data)]), f.name);
  const encoded = new Response(form);
  return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
}

/**
 * A valid layers model that is simply large: Dense(units) on `width` features, so width × units
 * float32 kernel values (6,250 × 6,000 × 4 B = 150 MB, 37.5 M parameters: under MAX_MODEL_PARAMETERS)
 * in one weights file. What it costs is the upload path itself: reading, hashing, copying, storing.
 */
function largeDenseModel(width: number, units: number): { path: string; data: Buffer }[] {
  const kernel = new Float32Array(width * units + units);
  for (let i = 0; i < kernel.length; i++) kernel[i] = ((i % 7) - 3) / 1000;
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'modelgate bench:hostile',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'large',
        layers: [
          {
            class_name: 'Dense',
            config: {
              name: 'large_dense',
              units,
              activation: 'linear',
              use_bias: true,
              kernel_initializer: { class_name: 'Zeros', config: {} },
              bias_initializer: { class_name: 'Zeros', config: {} },
              dtype: 'float32',
              trainable: true,
              batch_input_shape: [null, width],
            },
          },
        ],
      },
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    },
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'large_dense/kernel', shape: [width, units], dtype: 'float32' },
          { name: 'large_dense/bias', shape: [units], dtype: 'float32' },
        ],
      },
    ],
  };
  return [
    { path: 'model.json', data: Buffer.from(JSON.stringify(modelJson)) },
    { path: 'weights.bin', data: Buffer.from(kernel.buffer) },
  ];
}

/** A tfjs layers model.json (Sequential), written by hand: building these models in tfjs is what is hostile. */
async function buildCases(port: number, auth: Record<string, string>): Promise<Case[]> {
  const json = { 'content-type': 'application/json' };
  const deep = Buffer.from('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000));
  const features = Buffer.from(
    JSON.stringify({
      modelName: 'hostile-features',
      datasetId: '00000000-0000-4000-8000-000000000000',
      task: 'classification',
      features: Array.from({ length: 100_000 }, (_, i) => `f${i}`),
      target: 'y',
      architecture: { hiddenLayers: [4] },
      hyperparameters: { epochs: 1 },
    }),
  );
  const wideHeader = await multipart(
    [{ field: 'file', name: 'wide.csv', data: Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => `c${i}`).join(',') + '\n1\n') }],
    { name: 'wide' },
  );
  const longField = await multipart([{ field: 'file', name: 'long.csv', data: Buffer.from(`a,b\n1,${'x'.repeat(40 * 1024 * 1024)}\n`) }], {
    name: 'long',
  });
  const upload = (files: { path: string; data: Buffer }[]) => multipart(files.map((f) => ({ field: 'files', name: f.path, data: f.data })));
  const models = [
    ['Dense(20000) first layer, empty weights manifest', await upload(hugeFirstLayerModel(20_000))],
    ['Dense(50000) first layer, empty weights manifest', await upload(hugeFirstLayerModel(50_000))],
    ['Dense(3) + RepeatVector(1.8e8), Dense weights only', await upload(repeatVectorModel(1.8e8))],
    ['Dense(3) + RepeatVector(9e7) (2 GiB per row)', await upload(repeatVectorModel(9e7))],
    ['Dense(3) + RepeatVector(1e6): 3 M outputs per row', await upload(repeatVectorModel(1e6))],
    ['graph tiling each row to 200 M values', await upload(tiledGraphModel(50_000_000))],
    ['150 MB artifact', await upload(largeDenseModel(6_250, 6_000))],
  ] as const;

  return [
    { name: 'baseline: GET /health/live', send: () => send(port, 'GET', '/health/live', {}) },
    { name: 'deep JSON (10,000 levels, 60 KB) on POST /v1/auth/refresh', send: () => send(port, 'POST', '/v1/auth/refresh', json, deep) },
    { name: '100,000 training features', send: () => send(port, 'POST', '/v1/training-jobs', { ...json, ...auth }, features) },
    {
      name: 'CSV header of 1,000,000 columns',
      send: () => send(port, 'POST', '/v1/datasets', { ...auth, 'content-type': wideHeader.contentType }, wideHeader.body),
    },
    {
      name: 'CSV field of 40 MB',
      send: () => send(port, 'POST', '/v1/datasets', { ...auth, 'content-type': longField.contentType }, longField.body),
    },
    { name: 'GET /v1/models?offset=1e21', send: () => send(port, 'GET', '/v1/models?offset=1e21', auth) },
    { name: 'path parameter of 300 characters', send: () => send(port, 'GET', `/v1/models/${'a'.repeat(300)}`, auth) },
    {
      name: 'request header of 40 KB',
      send: () => sendRaw(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Filler: ${'f'.repeat(40_000)}\r\n\r\n`),
    },
    ...models.map(([name, body]) => ({
      name: `model upload: ${name}`,
      send: () => send(port, 'POST', '/v1/models/hostile/versions', { ...auth, 'content-type': body.contentType }, body.body),
    })),
  ];
}

/** The histogram's maximum, once the sampling timer has had a turn to record a block that just ended. */
async function maxDelayMs(histogram: IntervalHistogram): Promise<number> {
  await new Promise((r) => setTimeout(r, 30));
  return histogram.max / 1e6;
}

async function measure(c: Case): Promise<{ answer?: Answer; error?: string; wallMs: number; maxDelayMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  // Let the loop settle (the previous case's clean-up, garbage collection) before sampling.
  await new Promise((r) => setTimeout(r, 200));
  histogram.enable();
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = await Promise.race([
      c.send(),
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CASE_TIMEOUT_MS / 1000} s`)), CASE_TIMEOUT_MS)),
      ),
    ]);
    const wallMs = performance.now() - started;
    return { answer, wallMs, maxDelayMs: await maxDelayMs(histogram) };
  } catch (error) {
    const wallMs = performance.now() - started;
    return { error: (error as Error).message, wallMs, maxDelayMs: await maxDelayMs(histogram) };
  } finally {
    clearTimeout(timer);
    histogram.disable();
  }
}

async function main(): Promise<void> {
  const filter = process.argv[2]?.toLowerCase();
  const { config, dataDir } = benchConfig({ SUNSET_SWEEP_INTERVAL_SECONDS: '0', SERVING_WARM_ON_START: 'false' });
  const app: NestFastifyApplication = await createApp(config, { logger: pino({ level: 'silent' }) });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.getHttpServer().address() as AddressInfo;
    await app.get(UsersService).create({ ...ENGINEER, roles: ['ml-engineer'] }, null);
    const { accessToken } = await app.get(AuthService).login(ENGINEER, { ip: '127.0.0.1', requestId: 'bench-hostile' });
    const auth = { authorization: `Bearer ${accessToken}` };
    await send(
      port,
      'POST',
      '/v1/models',
      { ...auth, 'content-type': 'application/json' },
      Buffer.from(JSON.stringify({ name: 'hostile' })),
    );

    const cases = (await buildCases(port, auth)).filter((c) => !filter || c.name.toLowerCase().includes(filter));
    console.log(`bench:hostile — in-process app, ${config.inference.backend} backend requested, event loop sampled every 10 ms\n`);
    console.log('| case | status | code | wall ms | max event-loop delay ms |');
    console.log('|---|---:|---|---:|---:|');
    for (const c of cases) {
      const r = await measure(c);
      const status = r.answer ? String(r.answer.status) : 'error';
      const code = r.answer ? (r.answer.code ?? '') : r.error;
      // One line per case as soon as it is known: a case that takes the process down leaves the others printed.
      console.log(`| ${c.name} | ${status} | ${code} | ${r.wallMs.toFixed(0)} | ${r.maxDelayMs.toFixed(0)} |`);
    }
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
