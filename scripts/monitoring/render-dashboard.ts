import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { DEFAULT_FIXTURES_DIR, generateFixtures } from '../generate-fixtures';
import { dashboardHtml, type PageModel, type PagePanel } from './dashboard-page';
import { fieldFor, intervals, layoutPanels, legendName, onGrid, readDashboard, substitute } from './dashboard-queries';
import { mulberry32 } from '@app/inference';

/**
 * `npm run screenshot:dashboard`: docs/screenshots/dashboard.png, the Grafana dashboard of
 * deploy/monitoring drawn from its own queries against a real Prometheus (Grafana itself is not
 * installable here; Debian's `prometheus` is).
 *
 * Starts the built API (dist/, on the embedded database, in a temporary data directory) and a
 * Prometheus scraping it every 2 s with deploy/monitoring/alert-rules.yml loaded, then drives a few
 * minutes of traffic: one-row predictions on an uploaded classifier, batches on a version trained
 * here whose `petal_length` is moved by three standard deviations half-way (feature and prediction
 * drift), refused requests (422, 404, and a client over its rate limit: 429), two training jobs and
 * drift reports. Then every panel's targets go to Prometheus' query_range with the dashboard's
 * variables replaced as Grafana would, and the answers are drawn on the dashboard's grid
 * (scripts/monitoring/dashboard-page.ts) in Debian's chromium and saved as a PNG. Run by hand, not in CI;
 * every process it starts is stopped before it exits.
 *
 * Options (env): DASHBOARD_LOAD_SECONDS (240), DASHBOARD_OUT (docs/screenshots/dashboard.png),
 * DASHBOARD_HTML=<path> to keep the page, PROMETHEUS_BIN (/usr/bin/prometheus), CHROMIUM_BIN (/usr/bin/chromium).
 */

// From the sources (scripts/monitoring) or the build (dist/scripts/monitoring).
const ROOT = existsSync(join(__dirname, '..', '..', 'package.json')) ? join(__dirname, '..', '..') : join(__dirname, '..', '..', '..');
const LOAD_SECONDS = Number(process.env.DASHBOARD_LOAD_SECONDS ?? 240);
const OUT = process.env.DASHBOARD_OUT ?? join(ROOT, 'docs', 'screenshots', 'dashboard.png');
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const DASHBOARD = join(ROOT, 'deploy', 'monitoring', 'grafana-dashboard.json');
const RULES = join(ROOT, 'deploy', 'monitoring', 'alert-rules.yml');
const SCRAPE_SECONDS = 2;
/** The page's width; a half-width panel is about this many pixels over 2, Grafana's max data points for it. */
const PAGE_WIDTH = 1280;
const ADMIN = { email: 'dashboard-admin@modelgate.test', password: `pw-${randomBytes(12).toString('hex')}` };
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
const SHIFTED = 'petal_length';

const log = (message: string) => process.stdout.write(`[dashboard] ${message}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every child process this run started, stopped in reverse order at the end (or on Ctrl-C). */
const children: { name: string; child: ChildProcess }[] = [];

async function stopChildren(): Promise<void> {
  for (const { name, child } of children.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)]);
    if (!stopped) {
      log(`${name} did not stop within 20 s: SIGKILL`);
      child.kill('SIGKILL');
      await exited;
    }
  }
  children.length = 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, logPath: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error(`${url} did not become ready; its log (${logPath}):\n${readFileSync(logPath, 'utf8').slice(-4000)}`);
}

async function startApi(dir: string): Promise<string> {
  const main = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: npm run screenshot:dashboard builds it first (nest build api)`);
  const port = await freePort();
  const logPath = join(dir, 'api.log');
  const out = createWriteStream(logPath);
  const child = fork(main, [], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'warn',
      JWT_SECRET: randomBytes(32).toString('hex'),
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      // The drift gauges every 5 s (not every minute), so the drift panels have a line, not a few dots.
      DRIFT_EVALUATE_INTERVAL_MS: '5000',
      DRIFT_FLUSH_INTERVAL_MS: '2000',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  children.push({ name: 'api', child });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health/ready`, child, logPath);
  log(`API (pid ${child.pid}) at ${base}, log ${logPath}`);
  return base;
}

async function startPrometheus(dir: string, target: string): Promise<string> {
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${SCRAPE_SECONDS}s`,
      `  evaluation_interval: ${SCRAPE_SECONDS}s`,
      'rule_files:',
      `  - ${JSON.stringify(RULES)}`,
      'scrape_configs:',
      '  - job_name: modelgate',
      '    static_configs:',
      `      - targets: [${JSON.stringify(new URL(target).host)}]`,
      '',
    ].join('\n'),
  );
  const logPath = join(dir, 'prometheus.log');
  const out = createWriteStream(logPath);
  const child = spawn(
    PROMETHEUS,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  children.push({ name: 'prometheus', child });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/-/ready`, child, logPath);
  log(`Prometheus (pid ${child.pid}) at ${base}, scraping ${target} every ${SCRAPE_SECONDS} s, log ${logPath}`);
  return base;
}

/** Resolves once Prometheus has scraped the API a few times (`up` is 1 and stays so). */
async function firstScrapes(prometheus: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await (await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent('up{job="modelgate"}')}`)).json();
    if (answer.data?.result?.[0]?.value?.[1] === '1') break;
    if (Date.now() > deadline) throw new Error(`Prometheus has not scraped the API: ${JSON.stringify(answer)}`);
    await sleep(500);
  }
  await sleep(2 * SCRAPE_SECONDS * 1000);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function json(res: Response): Promise<any> {
  const body = await res.text();
  if (!res.ok) throw new Error(`${res.url}: ${res.status} ${body}`);
  return body ? JSON.parse(body) : undefined;
}

/** The blobs dataset's feature columns (600 rows, 3 classes). */
function blobs(): { csv: Buffer; rows: number[][]; std: number } {
  const csv = readFileSync(join(DEFAULT_FIXTURES_DIR, 'datasets', 'blobs.csv'));
  const [header, ...lines] = csv.toString('utf8').trim().split('\n');
  const columns = FEATURES.map((f) => header.split(',').indexOf(f));
  const rows = lines.map((l) => l.split(',')).map((cells) => columns.map((c) => Number(cells[c])));
  const shifted = rows.map((r) => r[FEATURES.indexOf(SHIFTED)]);
  const mean = shifted.reduce((a, b) => a + b, 0) / shifted.length;
  const std = Math.sqrt(shifted.reduce((a, b) => a + (b - mean) ** 2, 0) / shifted.length);
  return { csv, rows, std };
}

interface Setup {
  auth: Record<string, string>;
  keys: Record<'web' | 'batch' | 'greedy', string>;
  datasetId: string;
  irisVersion: number;
}

/** Signs in as the bootstrap admin, makes three consumer keys, uploads the dataset and puts `iris` (the classifier fixture, profiled) in production. */
async function setUp(base: string, csv: Buffer): Promise<Setup> {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(json);
  const login = await post('/v1/auth/login', ADMIN);
  const auth = { authorization: `Bearer ${login.accessToken}` };
  const keys = {} as Setup['keys'];
  for (const name of ['web', 'batch', 'greedy'] as const)
    keys[name] = (await post('/v1/api-keys', { name: `${name}-client`, role: 'consumer' }, auth)).key;

  const form = new FormData();
  form.append('name', 'blobs');
  form.append('file', new Blob([new Uint8Array(csv)]), 'blobs.csv');
  const dataset = await json(await fetch(`${base}/v1/datasets`, { method: 'POST', headers: auth, body: form }));

  await post('/v1/models', { name: 'iris', task: 'classification' }, auth);
  const files = new FormData();
  const dir = join(DEFAULT_FIXTURES_DIR, 'classifier');
  for (const f of readdirSync(dir)) files.append('files', new Blob([new Uint8Array(readFileSync(join(dir, f)))]), f);
  const version = await json(await fetch(`${base}/v1/models/iris/versions`, { method: 'POST', headers: auth, body: files }));
  for (const to of ['staging', 'production']) await post(`/v1/models/iris/versions/${version.version}/transitions`, { to }, auth);
  await json(
    await fetch(`${base}/v1/models/iris/versions/${version.version}/profile`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ datasetId: dataset.id }),
    }),
  );
  log(`iris v${version.version} (classifier fixture) in production, profiled from the blobs dataset`);
  return { auth, keys, datasetId: dataset.id, irisVersion: version.version };
}

/** Starts a training job of `iris-trained` and resolves with its version once it has finished. */
async function train(base: string, setup: Setup, seed: number): Promise<number> {
  const job = await json(
    await fetch(`${base}/v1/training-jobs`, {
      method: 'POST',
      headers: { ...setup.auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        modelName: 'iris-trained',
        datasetId: setup.datasetId,
        task: 'classification',
        features: FEATURES,
        target: 'species',
        architecture: { hiddenLayers: [64, 64], activation: 'relu' },
        hyperparameters: { epochs: 150, batchSize: 16, learningRate: 0.01, validationSplit: 0.2, seed },
      }),
    }),
  );
  for (;;) {
    await sleep(1000);
    const state = await json(await fetch(`${base}/v1/training-jobs/${job.id}`, { headers: setup.auth }));
    if (state.status === 'succeeded') return state.modelVersion as number;
    if (state.status === 'failed' || state.status === 'cancelled')
      throw new Error(`training job ${job.id} ${state.status}: ${JSON.stringify(state)}`);
  }
}

/**
 * The traffic, LOAD_SECONDS long (phases as shares of it): `web` 8 one-row predictions a second on
 * iris (under the 600-a-minute rate limit), a 422 every 3 s and a 404 every 4 s; a first training
 * job at 10 %, then `batch` 8-row predictions 2.5 times a second on the trained version, its petal_length
 * moved by 3 std from 45 %; `greedy` 20 a second from 55 % to 80 % (over its limit: 429s); a second
 * training job at 60 %; drift reports every 15 s.
 */
async function drive(base: string, setup: Setup): Promise<Map<string, number>> {
  const { rows, std } = blobs();
  const next = mulberry32(18);
  const draw = (shift: boolean) => {
    const row = [...rows[Math.floor(next() * rows.length)]];
    if (shift) row[FEATURES.indexOf(SHIFTED)] += 3 * std;
    return row;
  };
  const outcomes = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  const fire = (label: string, path: string, headers: Record<string, string>, body?: unknown) => {
    const request = fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        return String(res.status);
      })
      .catch(() => 'network error')
      .then((status) => {
        outcomes.set(`${label} ${status}`, (outcomes.get(`${label} ${status}`) ?? 0) + 1);
        inflight.delete(request);
      });
    inflight.add(request);
  };
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => void) => timers.push(setInterval(fn, ms));
  const key = (name: keyof Setup['keys']) => ({ 'x-api-key': setup.keys[name] });
  let trained: number | undefined;

  every(125, () => fire('iris predict', '/v1/models/iris/predict', key('web'), { instances: [draw(false)] }));
  every(3000, () => fire('iris predict (wrong width)', '/v1/models/iris/predict', key('web'), { instances: [[1, 2]] }));
  every(4000, () => fire('unknown model', '/v1/models/no-such-model/predict', key('web'), { instances: [draw(false)] }));
  every(400, () => {
    if (trained === undefined) return;
    const shifted = elapsed() >= 0.45 * LOAD_SECONDS;
    const instances = Array.from({ length: 8 }, () => draw(shifted));
    fire(shifted ? 'iris-trained predict (shifted)' : 'iris-trained predict', '/v1/models/iris-trained/predict', key('batch'), {
      instances,
    });
  });
  every(50, () => {
    const t = elapsed() / LOAD_SECONDS;
    if (t >= 0.55 && t < 0.8) fire('greedy iris predict', '/v1/models/iris/predict', key('greedy'), { instances: [draw(false)] });
  });
  every(15_000, () => {
    fire('drift report', `/v1/models/iris/versions/${setup.irisVersion}/drift`, setup.auth);
    if (trained !== undefined) fire('drift report', `/v1/models/iris-trained/versions/${trained}/drift`, setup.auth);
  });

  const first = sleep(0.1 * LOAD_SECONDS * 1000)
    .then(() => train(base, setup, 7))
    .then(async (version) => {
      // A trained version starts in staging.
      await json(
        await fetch(`${base}/v1/models/iris-trained/versions/${version}/transitions`, {
          method: 'POST',
          headers: { ...setup.auth, 'content-type': 'application/json' },
          body: JSON.stringify({ to: 'production' }),
        }),
      );
      log(`training job 1 done at ${Math.round(elapsed())} s: iris-trained v${version} in production`);
      trained = version;
    });
  const second = sleep(0.6 * LOAD_SECONDS * 1000)
    .then(() => train(base, setup, 8))
    .then((version) => log(`training job 2 done at ${Math.round(elapsed())} s: iris-trained v${version} (staging)`));
  // Handled here so a failed job does not end the process before the children are stopped; awaited (and thrown) below.
  for (const job of [first, second]) job.catch(() => undefined);

  try {
    while (elapsed() < LOAD_SECONDS) {
      await sleep(5000);
      log(`${Math.round(elapsed())} / ${LOAD_SECONDS} s`);
    }
  } finally {
    for (const t of timers) clearInterval(t);
  }
  await Promise.all([...inflight]);
  await Promise.all([first, second]);
  return outcomes;
}

interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** Every panel of the dashboard, its targets asked of Prometheus over [start, end] as Grafana would. */
async function queryPanels(
  prometheus: string,
  start: number,
  end: number,
): Promise<{ model: Omit<PageModel, 'title' | 'notes' | 'alerts'>; step: number; rateInterval: number }> {
  const dashboard = readDashboard(DASHBOARD);
  const range = end - start;
  const { step, rateInterval } = intervals(range, SCRAPE_SECONDS, Math.round(PAGE_WIDTH / 2));
  const points = Math.floor(range / step) + 1;
  const times = Array.from({ length: points }, (_, i) => start + i * step);
  const panels: PagePanel[] = [];
  for (const panel of layoutPanels(dashboard)) {
    if (panel.type === 'row') {
      panels.push({ kind: 'row', title: panel.title, gridPos: panel.gridPos, unit: 'none', series: [] });
      continue;
    }
    if (panel.type !== 'timeseries') throw new Error(`panel "${panel.title}": type ${panel.type} is not drawn by this script`);
    const defaults = panel.fieldConfig?.defaults ?? {};
    const page: PagePanel = {
      kind: 'timeseries',
      title: panel.title,
      gridPos: panel.gridPos,
      unit: defaults.unit ?? 'short',
      decimals: defaults.decimals,
      min: defaults.min,
      softMax: defaults.custom?.axisSoftMax,
      thresholds: defaults.thresholds?.steps.filter((s): s is { color: string; value: number } => s.value !== null),
      thresholdsStyle: defaults.custom?.thresholdsStyle?.mode,
      series: [],
    };
    for (const target of panel.targets ?? []) {
      const query = substitute(target.expr, dashboard.templating.list, { step, rateInterval, range });
      const url = `${prometheus}/api/v1/query_range?${new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) })}`;
      const answer = await (await fetch(url)).json();
      if (answer.status !== 'success') {
        page.error = `${target.refId}: ${answer.error}`;
        continue;
      }
      for (const s of answer.data.result as PromSeries[]) {
        const name = legendName(target.legendFormat, s.metric);
        const field = fieldFor(panel, target.refId, name);
        if (field.right) page.rightUnit = field.unit;
        page.series.push({ name, right: field.right, values: onGrid(s.values, start, step, points) });
      }
    }
    panels.push(page);
  }
  return { model: { times, panels }, step, rateInterval };
}

async function alertStates(prometheus: string): Promise<{ rules: number; alerts: PageModel['alerts'] }> {
  const rules = await (await fetch(`${prometheus}/api/v1/rules`)).json();
  const count = (rules.data.groups as { rules: unknown[] }[]).reduce((n, g) => n + g.rules.length, 0);
  const answer = await (await fetch(`${prometheus}/api/v1/alerts`)).json();
  const alerts = (answer.data.alerts as { labels: Record<string, string>; state: string }[]).map(({ labels, state }) => {
    const { alertname, severity, ...rest } = labels;
    const shown = Object.entries(rest)
      .filter(([k]) => k !== 'job' && k !== 'instance')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    return { name: alertname, state, labels: [severity && `severity=${severity}`, shown].filter(Boolean).join(' ') };
  });
  alerts.sort((a, b) => a.name.localeCompare(b.name) || a.labels.localeCompare(b.labels));
  return { rules: count, alerts };
}

async function screenshot(html: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: PAGE_WIDTH, height: 1000 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(html);
    await page.waitForFunction('window.rendered === true', undefined, { timeout: 30_000 }).catch((e: unknown) => {
      throw new Error(`the page did not render: ${errors.join('; ') || String(e)}`);
    });
    if (errors.length) throw new Error(`the page failed: ${errors.join('; ')}`);
    mkdirSync(dirname(OUT), { recursive: true });
    await page.screenshot({ path: OUT, fullPage: true });
  } finally {
    await browser.close();
  }
}

const utc = (seconds: number) => new Date(seconds * 1000).toISOString().slice(11, 19);

async function main(): Promise<void> {
  await generateFixtures();
  const dir = mkdtempSync(join(tmpdir(), 'modelgate-dashboard-'));
  try {
    const api = await startApi(dir);
    const prometheus = await startPrometheus(dir, api);
    const buildInfo = await (await fetch(`${prometheus}/api/v1/status/buildinfo`)).json();
    // From Prometheus' first scrapes on, before the setup: what it does (uploads, model loads) starts from a zero sample.
    await firstScrapes(prometheus);
    const start = Math.floor(Date.now() / 1000 / SCRAPE_SECONDS) * SCRAPE_SECONDS - SCRAPE_SECONDS;
    const setup = await setUp(api, blobs().csv);
    log(`driving ${LOAD_SECONDS} s of traffic`);
    const outcomes = await drive(api, setup);
    for (const [outcome, n] of [...outcomes].sort()) log(`  ${outcome}: ${n}`);
    // A few more scrapes and rule evaluations, so the last seconds of traffic are in.
    await sleep(4 * SCRAPE_SECONDS * 1000);
    const end = Math.floor(Date.now() / 1000 / SCRAPE_SECONDS) * SCRAPE_SECONDS;
    const { model, step, rateInterval } = await queryPanels(prometheus, start, end);
    const { rules, alerts } = await alertStates(prometheus);
    const minutes = Math.round((end - start) / 60);
    const page: PageModel = {
      ...model,
      title: 'ModelGate',
      notes: [
        `Last ${minutes} min (${utc(start)}–${utc(end)} UTC) · Prometheus ${buildInfo.data.version} scraping one ModelGate API process every ${SCRAPE_SECONDS} s · step ${step} s, $__rate_interval = ${rateInterval} s · Model (drift): All`,
        `Drawn by scripts/monitoring/render-dashboard.ts: each panel of deploy/monitoring/grafana-dashboard.json with its own queries, answered by that Prometheus (not Grafana's renderer). Traffic: predictions on iris and iris-trained (its petal_length moved by 3 std half-way), 422s, 404s, a client over its rate limit, two training jobs.`,
        `Alert rules (deploy/monitoring/alert-rules.yml, ${rules} loaded in that Prometheus) pending or firing at the end:${alerts.length ? '' : ' none'}`,
      ],
      alerts,
    };
    const html = dashboardHtml(page);
    if (process.env.DASHBOARD_HTML) writeFileSync(process.env.DASHBOARD_HTML, html);
    await screenshot(html);
    log(`wrote ${OUT} (${model.panels.filter((p) => p.kind !== 'row').length} panels, ${alerts.length} alerts pending or firing)`);
  } finally {
    await stopChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopChildren().finally(() => process.exit(130));
  });
}

main().catch(async (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await stopChildren();
  process.exit(1);
});
