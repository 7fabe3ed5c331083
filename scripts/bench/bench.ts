import autocannon from 'autocannon';
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_FIXTURES_DIR, generateFixtures } from '../generate-fixtures';
import { generateLoad, LOAD_GENERATOR } from './load-generator';
import { cpuUs, idleShare, machineTicks, rssMb, threadCpuUs, threadVerdict } from './proc-stat';

/**
 * `npm run bench`: ModelGate's predict path under load against a bare node:http + tfjs server with
 * the same model and backend. Starts the built service on the embedded database, registers the
 * fixture MLP (32 → 64 → 64 → 3 softmax), makes an API key and drives one-row requests.
 *
 * Then the same model over the other protocols (v2 infer, TF Serving's `:predict`) and a two-input
 * model over v1, beside v1, in alternating segments: each should stay within 10 % of v1's req/s.
 *
 * Options (env): BENCH_MODEL=large, BENCH_THREADS=<INFERENCE_THREADS>, BENCH_DURATION_S (default 20, per server), BENCH_ROUNDS (3 alternating segments), BENCH_WARMUP_S (5, each server under the same load first), BENCH_CONNECTIONS (64), BENCH_MODE=training to also
 * measure predict latency while a training job runs, BENCH_PROTOCOLS=0 to skip the protocol runs, BENCH_PROFILE=<dir> for a CPU
 * profile of the API, BENCH_SOAK=<seconds> (600 for the 10-minute soak) to watch ModelGate's RSS under load, BENCH_SHADOW=<percent>
 * (e.g. 100) to compare production's p99 with that share of its requests mirrored on a shadow version and without,
 * BENCH_DRIFT=1 to compare a version whose served rows are counted for drift (a profile set) with the same model without one.
 */

const DURATION = Number(process.env.BENCH_DURATION_S ?? 20);
/**
 * The two servers are measured in alternating segments (ModelGate, bare, bare, ModelGate, ...), each
 * DURATION / ROUNDS seconds, so drift in the host's load (a shared VM) falls on both alike.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** BENCH_WARMUP_S: each server's warm-up under the measured load before the first segment. */
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const MODE = process.env.BENCH_MODE ?? 'serving';
const PROTOCOLS = process.env.BENCH_PROTOCOLS !== '0';
/** BENCH_MODEL=large: the 256 → 1024 → 1024 → 10 MLP (1.3 M parameters), where the math dominates. */
const MODEL =
  process.env.BENCH_MODEL === 'large'
    ? { dir: 'mlp-large', width: 256, label: 'mlp-large (256→1024→1024→10)', targetRatio: 2, targetP99Ms: 60 }
    : { dir: 'mlp-bench', width: 32, label: 'mlp-bench (32→64→64→3)', targetRatio: 1.2, targetP99Ms: 30 };
/** BENCH_SOAK=<seconds>: after the comparison, ModelGate alone under the same load that long, its RSS sampled per segment. */
const SOAK_S = Number(process.env.BENCH_SOAK ?? 0);
/** BENCH_SHADOW=<percent>: production's latency with that share mirrored on a shadow (the same weights) and without. */
const SHADOW_PERCENT = Number(process.env.BENCH_SHADOW ?? 0);
/** BENCH_DRIFT=1: the same model with and without a profile (drift counting on every request), alternating segments. */
const DRIFT = process.env.BENCH_DRIFT === '1';
/** Drift tracking may cost at most this share of serving throughput (issue 18). */
const DRIFT_MAX_COST = 0.05;
const TARGET_EVENT_LOOP_P99_MS = 20;
/**
 * prom-client samples the event loop with Node's monitorEventLoopDelay at this resolution (its
 * default), and Node records the interval between the sampling timer's runs, not how late it ran:
 * an idle loop reads 10 ms (nodejs/node#62935: "samples had an implicit floor of resolution ms").
 * The delay is that interval minus the resolution.
 */
const EVENT_LOOP_SAMPLING_MS = 10;
/** BENCH_THREADS=n: the service's INFERENCE_THREADS (default: the service's own default). */
const THREADS = process.env.BENCH_THREADS;
const ROOT = join(__dirname, '..', '..', '..');
const ADMIN = { email: 'bench-admin@modelgate.test', password: 'bench-admin-password-123' };

interface Result {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  peakRssMb?: number;
  /** Server CPU time (user + system) per completed request: steadier than req/s on a busy machine. */
  cpuUsPerRequest?: number;
  /** The server's event-loop delay p99 over the segment: prom-client's nodejs_eventloop_lag_p99_seconds less its sampling interval, ms. */
  eventLoopP99Ms?: number;
  /** prom-client's reading itself (the p99 interval between its sampling timer's runs), ms. */
  eventLoopIntervalP99Ms?: number;
  /** Share of the segment's wall time the server's main thread ran (1 = a whole core). */
  mainThreadBusy?: number;
  /** The same for all its other threads together (inference threads, GC helpers, libuv). */
  otherThreadsBusy?: number;
  /** Share of the whole machine's CPU (load generator included) left idle during the segment. */
  machineIdle?: number;
}

async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become ready`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  const body = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${body}`);
  return body ? JSON.parse(body) : undefined;
}

async function startModelGate(port: number, dataDir: string): Promise<ChildProcess> {
  const child = fork(join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js'), [], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      JWT_SECRET: 'bench-secret-0123456789abcdefghijklmnopqrstuv',
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      RATE_LIMIT_PER_MINUTE: '100000000',
      ...(THREADS !== undefined ? { INFERENCE_THREADS: THREADS } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // BENCH_PROFILE=dir writes a V8 CPU profile of the API process there (open it in Chrome DevTools).
    execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [],
  });
  await waitFor(`http://127.0.0.1:${port}/health/ready`);
  return child;
}

async function setUp(base: string): Promise<{ apiKey: string; token: string }> {
  const login = await json(
    await fetch(`${base}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) }),
  );
  const auth = { authorization: `Bearer ${login.accessToken}` };
  const key = await json(
    await fetch(`${base}/v1/api-keys`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', role: 'consumer' }),
    }),
  );
  await json(
    await fetch(`${base}/v1/models`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench-mlp' }),
    }),
  );
  const form = new FormData();
  const dir = join(DEFAULT_FIXTURES_DIR, MODEL.dir);
  for (const f of readdirSync(dir)) form.append('files', new Blob([readFileSync(join(dir, f))]), f);
  const version = await json(await fetch(`${base}/v1/models/bench-mlp/versions`, { method: 'POST', headers: auth, body: form }));
  for (const to of ['staging', 'production']) {
    await json(
      await fetch(`${base}/v1/models/bench-mlp/versions/${version.version}/transitions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ to }),
      }),
    );
  }
  await register(base, auth, 'bench-two', 'two-input');
  return { apiKey: key.key, token: login.accessToken };
}

/**
 * Production's latency without a shadow, then with SHADOW_PERCENT of its requests mirrored on a
 * second version of the same model (the same weights), then the shadow report and what the queue
 * dropped: mirroring must not show in the callers' p99.
 */
async function shadowRuns(base: string, token: string, predictUrl: string, apiKey: string, pid: number): Promise<Result[]> {
  const auth = { authorization: `Bearer ${token}` };
  const form = new FormData();
  const dir = join(DEFAULT_FIXTURES_DIR, MODEL.dir);
  for (const f of readdirSync(dir)) form.append('files', new Blob([readFileSync(join(dir, f))]), f);
  const version = await json(await fetch(`${base}/v1/models/bench-mlp/versions`, { method: 'POST', headers: auth, body: form }));
  const send = async (method: string, path: string, body: unknown) =>
    json(await fetch(`${base}${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  await send('POST', `/v1/models/bench-mlp/versions/${version.version}/transitions`, { to: 'staging' });
  const without = await load('modelgate (no shadow)', predictUrl, { 'x-api-key': apiKey }, pid);
  await send('PUT', '/v1/models/bench-mlp/traffic', { shadow: { version: version.version, percent: SHADOW_PERCENT } });
  const withShadow = await load(`modelgate (${SHADOW_PERCENT} % shadow)`, predictUrl, { 'x-api-key': apiKey }, pid);
  const report = await json(await fetch(`${base}/v1/models/bench-mlp/shadow-report`, { headers: auth }));
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const dropped = /^modelgate_shadow_queue_dropped_total\{[^}]*\} (\S+)$/m.exec(metrics)?.[1] ?? '0';
  console.log(`shadow report: ${JSON.stringify(report)}; dropped by the full queue: ${dropped}`);
  await send('PUT', '/v1/models/bench-mlp/traffic', { shadow: null });
  return [without, withShadow];
}

/**
 * The same model registered twice, one of them with a profile (10 bins per feature and a class
 * distribution, as a trained version keeps): every request to it is counted for drift. Measured in
 * alternating segments; the drift report afterwards shows the rows counted.
 */
async function driftRuns(base: string, token: string, apiKey: string, pid: number): Promise<Result[]> {
  const auth = { authorization: `Bearer ${token}` };
  await register(base, auth, 'bench-drift', MODEL.dir);
  // The bench's rows are sin(·) values: quantile edges over [-1, 1] fit them.
  const edges = Array.from({ length: 11 }, (_, k) => -Math.cos((Math.PI * k) / 10));
  const features = Array.from({ length: MODEL.width }, (_, i) => ({
    name: `f${i}`,
    binEdges: edges,
    binShares: Array(10).fill(0.1),
    mean: 0,
    std: 0.7,
  }));
  const outputs = MODEL.dir === 'mlp-large' ? 10 : 3;
  const shares = Array.from({ length: outputs }, (_, k) =>
    k === 0 ? 1 - ((outputs - 1) * Math.floor(1e4 / outputs)) / 1e4 : Math.floor(1e4 / outputs) / 1e4,
  );
  const put = await fetch(`${base}/v1/models/bench-drift/versions/1/profile`, {
    method: 'PUT',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ features, predictions: { classes: shares.map((_, k) => `c${k}`), shares } }),
  });
  if (!put.ok) throw new Error(`profile: ${put.status} ${await put.text()}`);
  const plainUrl = `${base}/v1/models/bench-mlp/predict`;
  const driftUrl = `${base}/v1/models/bench-drift/predict`;
  await generateLoad({ url: driftUrl, headers: { 'x-api-key': apiKey }, bodies: V1_BODIES, connections: 8, seconds: 2 });
  const plain: Result[] = [];
  const tracked: Result[] = [];
  const segment = DURATION / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    const runPlain = async () => plain.push(await load('plain', plainUrl, { 'x-api-key': apiKey }, pid, segment));
    const runTracked = async () => tracked.push(await load('tracked', driftUrl, { 'x-api-key': apiKey }, pid, segment));
    if (round % 2 === 0) {
      await runPlain();
      await runTracked();
    } else {
      await runTracked();
      await runPlain();
    }
  }
  const report = await json(await fetch(`${base}/v1/models/bench-drift/versions/1/drift`, { headers: auth }));
  console.log(
    `drift report after the runs: ${report.rows} rows counted, max feature PSI ${Math.max(...report.features.map((f: { psi: number }) => f.psi)).toFixed(3)}`,
  );
  return [combine('modelgate (no profile)', plain), combine('modelgate (drift counted)', tracked)];
}

/** Creates a model from a fixture directory and moves its first version to production. */
async function register(base: string, auth: Record<string, string>, name: string, fixture: string): Promise<void> {
  await json(
    await fetch(`${base}/v1/models`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    }),
  );
  const form = new FormData();
  const dir = join(DEFAULT_FIXTURES_DIR, fixture);
  for (const f of readdirSync(dir)) form.append('files', new Blob([readFileSync(join(dir, f))]), f);
  const version = await json(await fetch(`${base}/v1/models/${name}/versions`, { method: 'POST', headers: auth, body: form }));
  for (const to of ['staging', 'production']) {
    await json(
      await fetch(`${base}/v1/models/${name}/versions/${version.version}/transitions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ to }),
      }),
    );
  }
}

function row(seed: number): number[] {
  return Array.from({ length: MODEL.width }, (_, i) => Math.sin(seed * 31 + i));
}

const V1_BODIES = Array.from({ length: 64 }, (_, i) => JSON.stringify({ instances: [row(i)] }));

async function load(
  label: string,
  url: string,
  headers: Record<string, string>,
  pid?: number,
  seconds = DURATION,
  bodies: string[] = V1_BODIES,
): Promise<Result> {
  // ModelGate's /metrics: reading it resets the event-loop delay histogram, so the next read covers this segment.
  const metricsUrl = headers['x-api-key'] ? `${new URL(url).origin}/metrics` : undefined;
  if (metricsUrl) await fetch(metricsUrl).then((r) => r.text());
  let peak = 0;
  const sampler = pid ? setInterval(() => (peak = Math.max(peak, rssMb(pid).now)), 250) : undefined;
  const cpuBefore = pid ? cpuUs(pid) : 0;
  const threadsBefore = pid ? threadCpuUs(pid) : undefined;
  const machineBefore = machineTicks();
  const startedAt = performance.now();
  const result = await generateLoad({ url, headers, bodies, connections: CONNECTIONS, seconds });
  const wallUs = (performance.now() - startedAt) * 1000;
  const machineIdle = idleShare(machineBefore, machineTicks());
  clearInterval(sampler);
  const cpuUsed = pid ? cpuUs(pid) - cpuBefore : 0;
  const threadsAfter = pid ? threadCpuUs(pid) : undefined;
  const lag = metricsUrl
    ? Number(/^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(await fetch(metricsUrl).then((r) => r.text()))?.[1] ?? NaN) * 1000
    : NaN;
  const read = Number.isFinite(lag);
  return {
    label,
    rps: Math.round(result.rps),
    p50: result.p50,
    p99: result.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    peakRssMb: pid ? Math.round(Math.max(peak, rssMb(pid).peak)) : undefined,
    cpuUsPerRequest: pid && result.total ? Math.round(cpuUsed / result.total) : undefined,
    eventLoopP99Ms: read ? Math.round(Math.max(0, lag - EVENT_LOOP_SAMPLING_MS) * 10) / 10 : undefined,
    eventLoopIntervalP99Ms: read ? Math.round(lag * 10) / 10 : undefined,
    mainThreadBusy: threadsBefore && threadsAfter ? (threadsAfter.main - threadsBefore.main) / wallUs : undefined,
    otherThreadsBusy: threadsBefore && threadsAfter ? Math.max(0, threadsAfter.others - threadsBefore.others) / wallUs : undefined,
    machineIdle,
  };
}

/** The highest of the segments' readings, if any segment has one. */
function worst(readings: (number | undefined)[]): number | undefined {
  const known = readings.filter((v): v is number => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

/** Segments of one server → one line: mean req/s, median p50, worst p99, totals, peak RSS, mean CPU. */
function combine(label: string, segments: Result[]): Result {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const p50s = segments.map((r) => r.p50).sort((a, b) => a - b);
  return {
    label,
    rps: Math.round(mean(segments.map((r) => r.rps))),
    p50: p50s[Math.floor(p50s.length / 2)],
    p99: Math.max(...segments.map((r) => r.p99)),
    non2xx: segments.reduce((n, r) => n + r.non2xx, 0),
    errors: segments.reduce((n, r) => n + r.errors, 0),
    peakRssMb: Math.max(...segments.map((r) => r.peakRssMb ?? 0)),
    cpuUsPerRequest: Math.round(mean(segments.map((r) => r.cpuUsPerRequest ?? 0))),
    eventLoopP99Ms: worst(segments.map((r) => r.eventLoopP99Ms)),
    eventLoopIntervalP99Ms: worst(segments.map((r) => r.eventLoopIntervalP99Ms)),
    mainThreadBusy: mean(segments.map((r) => r.mainThreadBusy ?? 0)),
    otherThreadsBusy: mean(segments.map((r) => r.otherThreadsBusy ?? 0)),
    machineIdle: mean(segments.map((r) => r.machineIdle ?? 0)),
  };
}

async function startTraining(base: string, token: string): Promise<string | undefined> {
  const auth = { authorization: `Bearer ${token}` };
  const form = new FormData();
  form.append('name', 'bench-blobs');
  form.append('file', new Blob([readFileSync(join(DEFAULT_FIXTURES_DIR, 'datasets', 'blobs.csv'))]), 'blobs.csv');
  const dataset = await json(await fetch(`${base}/v1/datasets`, { method: 'POST', headers: auth, body: form }));
  const job = await json(
    await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        modelName: 'bench-trained',
        datasetId: dataset.id,
        task: 'classification',
        features: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'],
        target: 'species',
        architecture: { hiddenLayers: [256, 256] },
        hyperparameters: { epochs: 200, batchSize: 16, seed: 1 },
      }),
    }),
  );
  return job.id;
}

async function main(): Promise<void> {
  await generateFixtures();
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-bench-'));
  const port = 39_000 + Math.floor(Math.random() * 1000);
  const base = `http://127.0.0.1:${port}`;
  const children: ChildProcess[] = [];
  try {
    const api = await startModelGate(port, dataDir);
    children.push(api);
    const { apiKey, token } = await setUp(base);
    const predictUrl = `${base}/v1/models/bench-mlp/predict`;
    // Warm-up, under the measured load: JIT, model load, wasm backend, heap sizing.
    await generateLoad({
      url: predictUrl,
      headers: { 'x-api-key': apiKey },
      bodies: V1_BODIES,
      connections: CONNECTIONS,
      seconds: WARMUP_S,
    });
    const barePort = port + 1;
    const bare = fork(join(__dirname, 'bare-server.js'), [join(DEFAULT_FIXTURES_DIR, MODEL.dir), String(barePort)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(bare);
    const bareBackend = await new Promise<string>((resolve) => bare.once('message', (m: { backend: string }) => resolve(m.backend)));
    const bareUrl = `http://127.0.0.1:${barePort}/predict`;
    await generateLoad({ url: bareUrl, headers: {}, bodies: V1_BODIES, connections: CONNECTIONS, seconds: WARMUP_S });

    const rssBefore = rssMb(api.pid!).now;
    const segment = DURATION / ROUNDS;
    const mgSegments: Result[] = [];
    const bareSegments: Result[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const runMg = async () => mgSegments.push(await load('modelgate', predictUrl, { 'x-api-key': apiKey }, api.pid, segment));
      const runBare = async () => bareSegments.push(await load('bare', bareUrl, {}, bare.pid, segment));
      if (round % 2 === 0) {
        await runMg();
        await runBare();
      } else {
        await runBare();
        await runMg();
      }
      ratios.push(mgSegments[round].rps / bareSegments[round].rps);
    }
    const rssAfter = rssMb(api.pid!).now;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const metric = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const meanBatch = metric('modelgate_inference_batch_size_sum') / metric('modelgate_inference_batch_size_count');
    const results: Result[] = [combine('modelgate', mgSegments)];

    if (SHADOW_PERCENT > 0) results.push(...(await shadowRuns(base, token, predictUrl, apiKey, api.pid!)));
    if (DRIFT) results.push(...(await driftRuns(base, token, apiKey, api.pid!)));
    if (MODE === 'training') {
      const quiet = await load('modelgate (no training job)', predictUrl, { 'x-api-key': apiKey }, api.pid);
      const jobId = await startTraining(base, token);
      await new Promise((r) => setTimeout(r, 1500));
      results.push(quiet, await load('modelgate + training job', predictUrl, { 'x-api-key': apiKey }, api.pid));
      const job = await json(await fetch(`${base}/v1/training-jobs/${jobId}`, { headers: { authorization: `Bearer ${token}` } }));
      console.log(`training job during the run: ${job.status}, epoch ${job.progress?.epoch}/${job.progress?.epochs}`);
      await fetch(`${base}/v1/training-jobs/${jobId}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    }
    results.push(combine(`bare node:http + tfjs (${bareBackend})`, bareSegments));

    console.log(
      `\nPOST predict, one row, ${CONNECTIONS} connections (${LOAD_GENERATOR}), ${DURATION}s per server in ${ROUNDS} alternating segments, model ${MODEL.label}, INFERENCE_THREADS=${THREADS ?? 'default'}\n`,
    );
    console.log('| server | req/s | p50 ms | p99 ms | non-2xx | errors | peak RSS MB | server CPU µs/request | event-loop delay p99 ms |');
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of results)
      console.log(
        `| ${r.label} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.errors} | ${r.peakRssMb ?? '-'} | ${r.cpuUsPerRequest ?? '-'} | ${r.eventLoopP99Ms ?? '-'} |`,
      );
    const mg = results[0];
    const bareResult = results[results.length - 1];
    console.log(
      `\nratio ModelGate / bare req/s: ${(mg.rps / bareResult.rps).toFixed(2)}× (per segment pair: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target ≥ ${MODEL.targetRatio}×); ModelGate p99 ${mg.p99} ms, worst segment (target ≤ ${MODEL.targetP99Ms} ms); event-loop delay p99 ${mg.eventLoopP99Ms ?? '-'} ms, worst segment (target ≤ ${TARGET_EVENT_LOOP_P99_MS} ms; prom-client's nodejs_eventloop_lag_p99_seconds read ${mg.eventLoopIntervalP99Ms ?? '-'} ms, the interval of its ${EVENT_LOOP_SAMPLING_MS} ms sampling timer included)`,
    );
    if (mg.cpuUsPerRequest && bareResult.cpuUsPerRequest) {
      console.log(
        `server CPU per request, bare / ModelGate: ${(bareResult.cpuUsPerRequest / mg.cpuUsPerRequest).toFixed(2)}× (the advantage per CPU second; the req/s ratio also counts the cores each server keeps busy)`,
      );
    }
    console.log(`mean rows per predict batch: ${meanBatch.toFixed(1)}`);
    const percent = (x?: number) => `${Math.round((x ?? 0) * 100)} %`;
    console.log(
      `ModelGate's threads, share of wall time under load: main ${percent(mg.mainThreadBusy)} (per segment: ${mgSegments.map((r) => percent(r.mainThreadBusy)).join(', ')}), all others ${percent(mg.otherThreadsBusy)} (inference threads, GC helpers, libuv); bare server, all threads ${percent((bareResult.mainThreadBusy ?? 0) + (bareResult.otherThreadsBusy ?? 0))}; the machine idle ${percent(mg.machineIdle)} during ModelGate's segments, ${percent(bareResult.machineIdle)} during the bare server's. ${threadVerdict(mg)}`,
    );
    console.log(`ModelGate RSS before/after the ${DURATION}s run: ${rssBefore.toFixed(0)} MB → ${rssAfter.toFixed(0)} MB`);
    if (SHADOW_PERCENT > 0) {
      const [without, withShadow] = results.filter((r) => r.label.startsWith('modelgate (') && r.label.includes('shadow'));
      console.log(`p99 with a ${SHADOW_PERCENT} % shadow / without: ${(withShadow.p99 / without.p99).toFixed(2)}×`);
    }
    if (DRIFT) {
      const plain = results.find((r) => r.label === 'modelgate (no profile)')!;
      const tracked = results.find((r) => r.label === 'modelgate (drift counted)')!;
      const cost = 1 - tracked.rps / plain.rps;
      console.log(
        `drift counting: req/s ${tracked.rps} vs ${plain.rps} without (${(cost * 100).toFixed(1)} % cost; target ≤ ${DRIFT_MAX_COST * 100} %), ` +
          `CPU ${tracked.cpuUsPerRequest} vs ${plain.cpuUsPerRequest} µs/request, p99 ${tracked.p99} vs ${plain.p99} ms`,
      );
    }
    if (MODE === 'training') {
      console.log(`p99 with a training job / without: ${(results[2].p99 / results[1].p99).toFixed(2)}×  (target ≤ 1.5×)`);
    }
    if (PROTOCOLS) await protocols(base, apiKey, api.pid!);
    if (SOAK_S > 0) await soak(predictUrl, apiKey, api.pid!);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * ModelGate alone under the same load for BENCH_SOAK seconds, in ten segments: its RSS after each.
 * Flat means the second half's highest RSS is at most 5 % above the first half's (a leak grows on; memory given back is fine).
 */
async function soak(url: string, apiKey: string, pid: number): Promise<void> {
  const segments = 10;
  const seconds = SOAK_S / segments;
  const rss: number[] = [];
  const rps: number[] = [];
  for (let i = 0; i < segments; i++) {
    const result = await load('soak', url, { 'x-api-key': apiKey }, pid, seconds);
    rps.push(result.rps);
    rss.push(Math.round(rssMb(pid).now));
  }
  const firstHalf = Math.max(...rss.slice(0, segments / 2));
  const secondHalf = Math.max(...rss.slice(segments / 2));
  const growth = (secondHalf - firstHalf) / firstHalf;
  console.log(`\nSoak: ${SOAK_S}s under load in ${segments} segments of ${seconds}s`);
  console.log(`req/s per segment: ${rps.join(', ')}`);
  console.log(`RSS MB after each segment: ${rss.join(', ')}`);
  console.log(
    `highest RSS, second half vs first: ${secondHalf} vs ${firstHalf} MB (${(growth * 100).toFixed(1)} %; flat = no more than 5 % growth): ${growth <= 0.05 ? 'flat' : 'GROWING'}`,
  );
}

/**
 * v1 beside v2 infer and TF Serving's :predict on the same model, and v1 on a two-input model, in
 * rotating order per round (so that drift in the host's load falls on all alike).
 */
async function protocols(base: string, apiKey: string, pid: number): Promise<void> {
  const headers = { 'x-api-key': apiKey };
  const metadata = await json(await fetch(`${base}/v2/models/bench-mlp`, { headers }));
  const input = metadata.inputs[0].name as string;
  const v2Bodies = Array.from({ length: 64 }, (_, i) =>
    JSON.stringify({ inputs: [{ name: input, shape: [1, MODEL.width], datatype: 'FP32', data: row(i) }] }),
  );
  const twoBodies = Array.from({ length: 64 }, (_, i) =>
    JSON.stringify({ instances: [{ features: row(i).slice(0, 3), tokens: [i % 20, (i * 7) % 20, (i * 3) % 20, 0] }] }),
  );
  const runs: { label: string; url: string; bodies: string[] }[] = [
    { label: 'v1 predict', url: `${base}/v1/models/bench-mlp/predict`, bodies: V1_BODIES },
    { label: 'v2 infer', url: `${base}/v2/models/bench-mlp/infer`, bodies: v2Bodies },
    { label: 'TF Serving :predict', url: `${base}/v1/models/bench-mlp:predict`, bodies: V1_BODIES },
    { label: 'v1 predict, two-input model', url: `${base}/v1/models/bench-two/predict`, bodies: twoBodies },
  ];
  for (const run of runs) {
    await autocannon({
      url: run.url,
      method: 'POST',
      connections: 8,
      amount: 1000,
      headers: { 'content-type': 'application/json', ...headers },
      body: run.bodies[0],
    });
  }
  const segments = new Map<string, Result[]>(runs.map((r) => [r.label, []]));
  const segment = DURATION / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < runs.length; k++) {
      const run = runs[(k + round) % runs.length];
      segments.get(run.label)!.push(await load(run.label, run.url, headers, pid, segment, run.bodies));
    }
  }
  const results = runs.map((run) => combine(run.label, segments.get(run.label)!));
  const v1 = results[0];
  console.log(`\nProtocols: one row per request, ${CONNECTIONS} connections, ${DURATION}s each in ${ROUNDS} rotating segments\n`);
  console.log('| route | req/s | vs v1 | p50 ms | p99 ms | non-2xx | server CPU µs/request |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.rps} | ${(r.rps / v1.rps).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.non2xx + r.errors} | ${r.cpuUsPerRequest ?? '-'} |`,
    );
  }
  const worst = results.slice(1).reduce((w, r) => (r.rps / v1.rps < w.rps / v1.rps ? r : w));
  console.log(`lowest: ${worst.label} at ${(worst.rps / v1.rps).toFixed(2)}× v1's req/s (target ≥ 0.90×)`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
