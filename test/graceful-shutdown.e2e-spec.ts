import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ApiProcess, startApiProcess } from './support/api-process';
import { readFixtureReference } from './support/fixtures';
import { multipart } from './support/multipart';
import { fixtureFiles } from './support/registry';
import { freshDatabase } from './support/test-app';
import { describeWithServers } from './support/servers';

/**
 * SIGTERM under load, on a real API process (apps/api/src/main.ts from the sources) and a fresh
 * Postgres database (TEST_DATABASE_URL or the local one), which outlives the process so its usage
 * ledger can be counted afterwards.
 */
const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SHUTDOWN_TIMEOUT_MS = 10_000;
const CLIENTS = 32;
/** Requests answered before the signal, so that it lands in the middle of real load. */
const WARM_RESPONSES = 150;

type Outcome =
  | { kind: 'answered'; status: number; complete: boolean; rows?: number }
  | { kind: 'refused'; code: string }
  | { kind: 'cut'; code: string };

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}

describeWithServers(['postgres'], 'graceful shutdown under load (e2e)', () => {
  const adminEmail = `admin-${randomBytes(4).toString('hex')}@modelgate.test`;
  const adminPassword = `pw-${randomBytes(12).toString('hex')}`;
  const reference = readFixtureReference('classifier');
  let database: { url: string; drop(): Promise<void> };
  let dataDir: string;
  let api: ApiProcess | undefined;

  const call = async (method: string, path: string, headers: Record<string, string> = {}, body?: BodyInit) => {
    const res = await fetch(api!.base + path, { method, headers, body });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  beforeAll(async () => {
    database = (await freshDatabase(POSTGRES))!;
    dataDir = mkdtempSync(join(tmpdir(), 'modelgate-shutdown-'));
    api = await startApiProcess({
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      PASSWORD_SCRYPT_COST: '14',
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: adminPassword,
      RATE_LIMIT_PER_MINUTE: '1000000',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      // Usage events are written only when 500 are waiting or at shutdown: the shutdown flush is under test.
      USAGE_FLUSH_INTERVAL_MS: '60000',
      // Batches wait a little, so some are pending when the signal arrives.
      BATCH_MAX_DELAY_MS: '10',
    });
  }, 120_000);

  afterAll(async () => {
    await api?.kill();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes every accepted request, records its usage, flushes and exits 0', async () => {
    const { accessToken } = (await call(
      'POST',
      '/v1/auth/login',
      { 'content-type': 'application/json' },
      JSON.stringify({ email: adminEmail, password: adminPassword }),
    )) as {
      accessToken: string;
    };
    const auth = { authorization: `Bearer ${accessToken}` };
    await call(
      'POST',
      '/v1/models',
      { ...auth, 'content-type': 'application/json' },
      JSON.stringify({ name: 'iris', task: 'classification' }),
    );
    const upload = await multipart(fixtureFiles('classifier'));
    await call('POST', '/v1/models/iris/versions', { ...auth, ...upload.headers }, new Uint8Array(upload.payload));
    for (const to of ['staging', 'production']) {
      await call('POST', '/v1/models/iris/versions/1/transitions', { ...auth, 'content-type': 'application/json' }, JSON.stringify({ to }));
    }
    const { id: keyId, key } = (await call(
      'POST',
      '/v1/api-keys',
      { ...auth, 'content-type': 'application/json' },
      JSON.stringify({ name: 'load', role: 'consumer' }),
    )) as {
      id: string;
      key: string;
    };

    const outcomes: Outcome[] = [];
    const body = JSON.stringify({ instances: reference.inputs.slice(0, 2) });
    let signalled = false;
    let answered = 0;
    const signalWhenWarm = () => {
      if (!signalled && answered >= WARM_RESPONSES) {
        signalled = true;
        api!.child.kill('SIGTERM');
      }
    };
    // Each client keeps its connection alive (fetch's pool) and sends until the server is gone.
    const client = async () => {
      for (;;) {
        let res: Response;
        try {
          res = await fetch(`${api!.base}/v1/models/iris/predict`, {
            method: 'POST',
            headers: { 'x-api-key': key, 'content-type': 'application/json' },
            body,
          });
        } catch (error) {
          outcomes.push({ kind: 'refused', code: errorCode(error) });
          return;
        }
        try {
          const text = await res.text();
          const rows = res.status === 200 ? (JSON.parse(text) as { predictions: number[][] }).predictions.length : undefined;
          outcomes.push({ kind: 'answered', status: res.status, complete: true, rows });
        } catch (error) {
          outcomes.push({ kind: 'cut', code: errorCode(error) });
          return;
        }
        answered++;
        signalWhenWarm();
      }
    };
    const done = Promise.all(Array.from({ length: CLIENTS }, client));
    const code = await Promise.race([
      api!.exited,
      new Promise<'late'>((r) => setTimeout(() => r('late'), SHUTDOWN_TIMEOUT_MS + 10_000).unref()),
    ]);
    await done;

    expect({ signalled, code }).toEqual({ signalled: true, code: 0 });
    const responses = outcomes.filter((o) => o.kind === 'answered');
    // Every answer is a complete 200 with a row per instance; nothing was cut after being accepted.
    expect(outcomes.filter((o) => o.kind === 'cut')).toEqual([]);
    expect(responses.filter((o) => o.status !== 200 || o.rows !== 2)).toEqual([]);
    expect(responses.length).toBeGreaterThan(WARM_RESPONSES);
    // A connection the server no longer takes is refused or closed before the request is read.
    for (const o of outcomes.filter((x) => x.kind === 'refused'))
      expect(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET']).toContain(o.code);

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const usage = await db.query<{ status: number; n: string }>(
        `SELECT status, sum(requests) AS n FROM usage_events WHERE model_name = 'iris' GROUP BY status`,
      );
      expect(usage.rows.map((r) => ({ status: r.status, n: Number(r.n) }))).toEqual([{ status: 200, n: responses.length }]);
      const keyUse = await db.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [keyId]);
      expect(keyUse.rows[0].last_used_at).not.toBeNull();
    } finally {
      await db.end();
    }
    expect(api!.output()).toMatch(/"msg":"shut down"/);
  }, 120_000);
});
