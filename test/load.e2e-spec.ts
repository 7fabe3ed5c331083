import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { startCluster, Cluster } from './support/cluster';
import { readFixtureReference } from './support/fixtures';
import { multipart } from './support/multipart';
import { fixtureFiles } from './support/registry';
import { describeWithServers } from './support/servers';

/**
 * Bounded load on two API replicas sharing Postgres and Redis: 20,000 mixed requests (3 predicts,
 * 1 list, 1 get in every 5) at 64 connections, 32 per replica. Checked: no 5xx (no non-2xx at
 * all), every prediction answered is one usage event in the database (none lost in the buffered
 * writer), and each replica's memory after the run stays near where it was after warm-up.
 * Throughput is printed, not asserted (benchmarks measure speed; this proves correctness under load).
 */
const TOTAL = 20_000;
const CONNECTIONS = 64;
const MODEL = 'load-iris';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

describeWithServers(['postgres', 'redis'], 'load: 20,000 mixed requests on two replicas (e2e)', () => {
  let cluster: Cluster;
  let db: Client;
  let key: string;
  const rows = readFixtureReference('classifier').inputs.slice(0, 3);

  async function ok(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Json> {
    const form =
      body instanceof Object && 'payload' in body && 'headers' in body
        ? (body as { payload: Buffer; headers: Record<string, string> })
        : undefined;
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { ...headers, ...(form ? form.headers : body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: form ? new Uint8Array(form.payload) : body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Json) : {};
  }

  const usageEvents = async () =>
    Number((await db.query('SELECT coalesce(sum(requests), 0) AS n FROM usage_events WHERE model_name = $1', [MODEL])).rows[0].n);

  /** Polls until the usage table holds `expected` events for the model (the writer flushes every second). */
  async function usageReaches(expected: number, withinMs = 20_000): Promise<number> {
    const deadline = Date.now() + withinMs;
    let seen = await usageEvents();
    while (seen < expected && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await usageEvents();
    }
    return seen;
  }

  beforeAll(async () => {
    cluster = await startCluster({ replicas: 2, env: { RATE_LIMIT_PER_MINUTE: '10000000', LOG_LEVEL: 'warn' } });
    db = new Client({ connectionString: cluster.databaseUrl });
    await db.connect();
    const [A] = cluster.urls;
    const login = await ok(A, 'POST', '/v1/auth/login', {}, cluster.admin);
    const admin = { authorization: `Bearer ${login.accessToken}` };
    await ok(A, 'POST', '/v1/models', admin, { name: MODEL, task: 'classification' });
    const version = (await ok(A, 'POST', `/v1/models/${MODEL}/versions`, admin, await multipart(fixtureFiles('classifier'))))
      .version as number;
    for (const to of ['staging', 'production']) await ok(A, 'POST', `/v1/models/${MODEL}/versions/${version}/transitions`, admin, { to });
    key = (await ok(A, 'POST', '/v1/api-keys', admin, { name: 'load', role: 'consumer' })).key as string;
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await cluster?.stop();
  });

  it('answers every request without a 5xx, loses no usage event, and keeps memory level', async () => {
    const statuses = new Map<number, number>();
    let predictions = 0;
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
    const predict = (i: number) => ({
      method: 'POST' as const,
      path: `/v1/models/${MODEL}/predict`,
      headers,
      body: JSON.stringify({ instances: [rows[i % rows.length]] }),
      onResponse: (status: number) => {
        count(status);
        if (status === 200) predictions += 1;
      },
    });
    const read = (path: string) => ({ method: 'GET' as const, path, headers: { 'x-api-key': key }, onResponse: count });
    const mix = [predict(0), read('/v1/models?limit=20'), predict(1), read(`/v1/models/${MODEL}`), predict(2)];
    const run = (url: string, amount: number, connections: number) => autocannon({ url, amount, connections, requests: mix, timeout: 30 });

    // Warm-up (JIT, model load on each replica, caches), then the baseline for memory and usage.
    await Promise.all(cluster.urls.map((url) => run(url, 1_000, 8)));
    const warmPredictions = predictions;
    expect(await usageReaches(warmPredictions)).toBe(warmPredictions);
    const rssBefore = cluster.replicas.map((r) => rssMb(r.pid));
    statuses.clear();
    predictions = 0;

    const results = await Promise.all(cluster.urls.map((url) => run(url, TOTAL / cluster.urls.length, CONNECTIONS / cluster.urls.length)));
    const rssAfter = cluster.replicas.map((r) => rssMb(r.pid));

    const answered = [...statuses.values()].reduce((a, b) => a + b, 0);
    const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0);
    const seconds = Math.max(...results.map((r) => r.duration));
    // The figures for the README and the closing note.
    console.log(
      [
        `load: ${answered} requests in ${seconds.toFixed(1)} s on ${cluster.urls.length} replicas (${Math.round(answered / seconds)} req/s)`,
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
        `p99 ${results.map((r) => r.latency.p99).join(' / ')} ms`,
        `RSS MB before/after ${rssBefore.map((b, i) => `${b.toFixed(0)}→${rssAfter[i].toFixed(0)}`).join(', ')}`,
      ].join('; '),
    );

    expect(results.map((r) => r.errors + r.timeouts)).toEqual(results.map(() => 0));
    expect(answered).toBe(TOTAL);
    expect(fivexx).toBe(0);
    expect(Object.fromEntries(statuses)).toEqual({ 200: TOTAL });
    expect(predictions).toBe((TOTAL * 3) / 5);
    // Every answered prediction is one stored usage event: none lost, none doubled.
    expect(await usageReaches(warmPredictions + predictions)).toBe(warmPredictions + predictions);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await usageEvents()).toBe(warmPredictions + predictions);
    // Memory stays level: what 20,000 requests add is bounded (caches and pools are sized, not growing).
    rssAfter.forEach((after, i) => expect(after).toBeLessThan(rssBefore[i] * 1.25 + 50));
  }, 300_000);
});
