import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { S3TestServer, startS3Server, uniqueBucket } from './s3-server';
import { freshDatabase } from './test-app';

/**
 * Several real API processes (and optionally a worker) sharing one Postgres database, one Redis
 * and one S3-compatible artifact store (s3rver, started here: test/support/s3-server.ts), as
 * replicas behind a load balancer would: for tests and load runs of what only shows with more
 * than one process (shared rate limits, cross-replica invalidation, jobs run once, artifacts
 * stored by one replica served by another). Each process has a data directory of its own, as
 * pods have their own disks. Processes start from the TypeScript sources (@swc-node/register).
 * Everything created here (database, Redis keys under unique prefixes, S3 server and its
 * directory, data directories, processes) is removed by stop().
 */

const ROOT = join(__dirname, '..', '..');
const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

export interface ClusterOptions {
  /** API processes to start (default 2). */
  replicas?: number;
  /** Also start one apps/worker process (training jobs). */
  worker?: boolean;
  /** Extra environment for every process (e.g. RATE_LIMIT_PER_MINUTE). */
  env?: Record<string, string>;
  /** Postgres server on which a fresh database is created (default TEST_DATABASE_URL, else 127.0.0.1:5432). */
  postgresUrl?: string;
  /** Redis the processes connect to, e.g. through a tcp-proxy (default TEST_REDIS_URL, else 127.0.0.1:6379). */
  redisUrl?: string;
  /** Redis used for clean-up, when `redisUrl` goes through a proxy that may be cut (default: `redisUrl`). */
  cleanupRedisUrl?: string;
  /**
   * Where artifacts and datasets live: `s3` (default) a bucket on an s3rver started for the
   * cluster; `filesystem` each process's own DATA_DIR (not shared: other replicas answer 503).
   */
  storage?: 's3' | 'filesystem';
  startTimeoutMs?: number;
}

export interface ClusterProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** The last lines it wrote (stdout and stderr), for failure messages. */
  output(): string;
}

export interface Cluster {
  /** Base URLs of the API replicas, e.g. http://127.0.0.1:41234. */
  readonly urls: string[];
  readonly replicas: ClusterProcess[];
  readonly worker?: ClusterProcess;
  /** The bootstrap admin every replica knows (ADMIN_EMAIL / ADMIN_PASSWORD). */
  readonly admin: { email: string; password: string };
  readonly databaseUrl: string;
  readonly redisKeyPrefix: string;
  readonly queuePrefix: string;
  /** Parent of the processes' data directories (api-0, api-1, …, worker-0). */
  readonly dataDir: string;
  /** The S3 server and bucket the processes store artifacts in (storage `s3`). */
  readonly s3?: { readonly server: S3TestServer; readonly bucket: string };
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const replicaCount = options.replicas ?? 2;
  const redisUrl = options.redisUrl ?? process.env.TEST_REDIS_URL ?? DEFAULT_REDIS;
  const id = randomBytes(6).toString('hex');
  const redisKeyPrefix = `mg-test-${id}:`;
  const queuePrefix = `mg-test-${id}`;
  const admin = { email: `admin-${id}@example.test`, password: `Admin-${randomBytes(12).toString('hex')}` };
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-cluster-'));
  const database = (await freshDatabase(options.postgresUrl ?? process.env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES))!;
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const processes: ClusterProcess[] = [];
  let s3: Cluster['s3'];
  try {
    if ((options.storage ?? 's3') === 's3') s3 = { server: await startS3Server(), bucket: uniqueBucket('cluster') };
  } catch (error) {
    await database.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: 'false',
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    TRAINING_QUEUE_PREFIX: queuePrefix,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    PASSWORD_SCRYPT_COST: '14',
    SHUTDOWN_TIMEOUT_MS: '2000',
    SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    ...(s3 ? s3.server.env(s3.bucket) : {}),
    ...options.env,
  };

  const started = { api: 0, worker: 0 };
  const spawnProcess = (app: 'api' | 'worker', extra: Record<string, string> = {}): ClusterProcess => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'apps', app, 'src', 'main.ts')], {
      cwd: ROOT,
      // A data directory per process: nothing on disk is shared, as between pods.
      env: { ...env, DATA_DIR: join(dataDir, `${app}-${started[app]++}`), ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const keep = (data: Buffer) => {
      lines.push(...data.toString().split('\n').filter(Boolean));
      if (lines.length > 200) lines.splice(0, lines.length - 200);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const proc = { pid: child.pid!, child, output: () => lines.join('\n') };
    processes.push(proc);
    return proc;
  };

  // A test runner killed mid-run must not leave servers behind.
  const killAll = () => processes.forEach((p) => p.child.exitCode === null && p.child.kill('SIGKILL'));
  process.once('exit', killAll);

  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(processes.map(terminate));
    await database.drop().catch(() => undefined);
    await deleteRedisKeys(options.cleanupRedisUrl ?? redisUrl, [`${redisKeyPrefix}*`, `${queuePrefix}:*`]);
    await s3?.server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const ports = await Promise.all(Array.from({ length: replicaCount }, freePort));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const startApi = async (i: number) => {
      const proc = spawnProcess('api', { PORT: String(ports[i]), HOST: '127.0.0.1' });
      await waitUntilReady(urls[i], proc, timeoutMs);
      return proc;
    };
    // The first replica migrates the fresh database and creates the admin; the others then start together.
    const replicas = [await startApi(0)];
    const [worker, ...rest] = await Promise.all([
      options.worker ? startWorker(spawnProcess('worker', { LOG_LEVEL: 'info' }), timeoutMs) : Promise.resolve(undefined),
      ...ports.slice(1).map((_, i) => startApi(i + 1)),
    ]);
    replicas.push(...(rest as ClusterProcess[]));
    return { urls, replicas, worker, admin, databaseUrl: database.url, redisKeyPrefix, queuePrefix, dataDir, s3, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntilReady(url: string, proc: ClusterProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`API process ${proc.pid} exited (${proc.child.exitCode}):\n${proc.output()}`);
    const ok = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`API process ${proc.pid} not ready at ${url} within ${timeoutMs} ms:\n${proc.output()}`);
}

/** Ready when it says it consumes the queue (an info line: the worker runs at LOG_LEVEL info). */
async function startWorker(proc: ClusterProcess, timeoutMs: number): Promise<ClusterProcess> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${proc.pid} did not start in time:\n${proc.output()}`)), timeoutMs);
    const onLine = (data: Buffer) => {
      if (data.toString().includes('consuming training jobs')) done();
    };
    const done = () => {
      clearTimeout(timer);
      proc.child.stdout!.off('data', onLine);
      resolve();
    };
    proc.child.stdout!.on('data', onLine);
    proc.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${proc.pid} exited (${code}) before it was ready:\n${proc.output()}`));
    });
  });
  return proc;
}

async function terminate(proc: ClusterProcess): Promise<void> {
  const { child } = proc;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function deleteRedisKeys(url: string, patterns: string[]): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (const match of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } catch {
    // best effort: keys under a unique prefix harm nobody
  } finally {
    redis.disconnect();
  }
}
