import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { authHeader, createUser } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';
import { BLOBS_FEATURES, blobsSplit, createJob, getJob, parseSse, uploadDataset, waitForJob } from './support/training';
import { describeWithServers } from './support/servers';

/**
 * The Redis path: the API only enqueues (BullMQ) and listens (Redis pub/sub); jobs run in a real
 * apps/worker process started here from the TypeScript sources with @swc-node/register (no build
 * step; the worker's own training threads use the same hook). The worker must share the API's
 * database, so this suite always runs on Postgres (TEST_DATABASE_URL, or the local default), with
 * the real Redis, under a queue prefix of its own that is deleted afterwards.
 */
const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = join(__dirname, '..');

interface WorkerProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

describeWithServers(['postgres', 'redis'], 'training through BullMQ and a worker process (e2e)', () => {
  const prefix = `mg-test-${randomBytes(6).toString('hex')}`;
  let t: TestApp;
  let engineer: string;
  let engineerEmail: string;
  let datasetId: string;
  const workers: WorkerProcess[] = [];
  const split = blobsSplit(120);
  const env = {
    REDIS_URL: REDIS,
    TRAINING_QUEUE_PREFIX: prefix,
    TRAINING_CONCURRENCY: '1',
    TRAINING_SWEEP_INTERVAL_SECONDS: '0',
    TRAINING_HEARTBEAT_INTERVAL_MS: '500',
  };

  function startWorker(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'apps', 'worker', 'src', 'main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        LOG_PRETTY: 'false',
        DATABASE_URL: t.config.database.url,
        DATA_DIR: t.dataDir,
        SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker: WorkerProcess = { child, lines: [], exited: new Promise((r) => child.once('exit', (code) => r(code))) };
    workers.push(worker);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the worker did not start in time:\n${stderr}`)), 90_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          worker.lines.push(entry);
          if (entry.msg === 'consuming training jobs') {
            clearTimeout(timer);
            resolve(worker);
          }
        } catch {
          // not a log line
        }
      });
      void worker.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the worker exited (${code}) before it was ready:\n${stderr}`));
      });
    });
  }

  async function stopWorker(worker: WorkerProcess): Promise<number | null> {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
    return worker.exited;
  }

  beforeAll(async () => {
    t = await startTestApp(env, { postgresUrl: POSTGRES });
    const user = await createUser(t, 'ml-engineer');
    engineer = user.accessToken;
    engineerEmail = user.email;
    datasetId = (await uploadDataset(t, engineer, split.training)).json().id;
    await startWorker();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map(stopWorker));
    await t?.close();
    const queue = new Queue('training', { connection: { url: REDIS }, prefix });
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    const redis = new Redis(REDIS);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  }, 60_000);

  const job = (modelName: string, epochs: number, batchSize = 16) => ({
    modelName,
    datasetId,
    task: 'classification',
    features: BLOBS_FEATURES,
    target: 'species',
    architecture: { hiddenLayers: [16] },
    hyperparameters: { epochs, batchSize, learningRate: 0.05, seed: 11 },
  });

  it('runs the job in the worker process; the API streams its epochs from Redis pub/sub', async () => {
    const created = await createJob(t, engineer, job('iris-bullmq', 10));
    expect(created.statusCode).toBe(202);
    const id = created.json().id as string;
    const sse = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${id}/events`, headers: authHeader(engineer) });
    const events = parseSse(sse.body);
    expect(events.filter((e) => e.event === 'progress').map((e) => e.data.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { id, status: 'succeeded', modelVersion: 1 } });

    const [row] = (await t.app.get(DataSource).query(`SELECT worker_id FROM training_jobs WHERE id = $1`, [id])) as { worker_id: string }[];
    expect(row.worker_id).toMatch(new RegExp(`:${workers[0].child.pid}:`));
    const version = await t.app.inject({ method: 'GET', url: '/v1/models/iris-bullmq/versions/1', headers: authHeader(engineer) });
    expect(version.json()).toMatchObject({ stage: 'staging', createdBy: engineerEmail, source: { trainingJobId: id, datasetId } });
    const done = await getJob(t, engineer, id);
    expect(done.metrics!.accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('delivers a cancel from the API to the worker that runs the job', async () => {
    const id = (await createJob(t, engineer, job('iris-bullmq-cancel', 500, 4))).json().id as string;
    const before = await waitForJob(t, engineer, id, (j) => j.status === 'running' && j.progress.epoch >= 1);
    expect((await t.app.inject({ method: 'POST', url: `/v1/training-jobs/${id}/cancel`, headers: authHeader(engineer) })).statusCode).toBe(
      202,
    );
    const after = await waitForJob(t, engineer, id);
    expect(after.status).toBe('cancelled');
    expect(after.progress.epoch).toBeLessThanOrEqual(before.progress.epoch + 1);
  });

  it('hands a running job back to the queue when its worker shuts down, and another worker finishes it', async () => {
    const id = (await createJob(t, engineer, job('iris-bullmq-handover', 40, 4))).json().id as string;
    await waitForJob(t, engineer, id, (j) => j.status === 'running' && j.progress.epoch >= 1);
    const code = await stopWorker(workers[0]);
    // Nest re-raises SIGTERM after a clean shutdown.
    expect([0, null, 143]).toContain(code);
    const requeued = await getJob(t, engineer, id);
    expect(requeued).toMatchObject({ status: 'queued', attempts: 0, progress: { epoch: 0 } });

    const second = await startWorker();
    const done = await waitForJob(t, engineer, id);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1 });
    const [row] = (await t.app.get(DataSource).query(`SELECT worker_id FROM training_jobs WHERE id = $1`, [id])) as { worker_id: string }[];
    expect(row.worker_id).toMatch(new RegExp(`:${second.child.pid}:`));
  }, 180_000);
});
