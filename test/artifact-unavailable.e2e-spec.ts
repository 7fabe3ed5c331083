import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ServingWarmup } from '@app/predictions';
import { authHeader, createUser } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { createModel, versionIn } from './support/registry';
import { freshDatabase, startTestApp, TestApp } from './support/test-app';
import { blobsSplit, BLOBS_FEATURES, createJob, uploadDataset, waitForJob } from './support/training';
import { describeWithServers } from './support/servers';

/**
 * The finding this guards: two replicas on one Postgres database whose artifact storage is not
 * shared (the filesystem driver, each on its own disk). Here: two in-process apps on one fresh
 * database, each with its own DATA_DIR/artifacts. What A stores, B cannot read; B must answer a
 * 503 ARTIFACT_UNAVAILABLE problem with Retry-After wherever it reads the artifact (serving load,
 * v2 readiness, download, quantization, training's dataset), never a 500, and log the missing
 * artifact once per key, not once per request. Always on a real Postgres (PGlite cannot be shared
 * by two apps): TEST_DATABASE_URL, else 127.0.0.1:5432.
 */
const POSTGRES = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

type LogLine = Record<string, unknown> & { msg?: string; level?: number };

describeWithServers(['postgres'], 'replicas whose filesystem artifact storage is not shared (e2e)', () => {
  let database: { url: string; drop(): Promise<void> };
  let A: TestApp;
  let B: TestApp;
  let engineer: string;
  const lines: LogLine[] = [];
  const model = `unshared-${randomBytes(3).toString('hex')}`;
  const instances = readFixtureReference('classifier').inputs.slice(0, 2);

  beforeAll(async () => {
    database = (await freshDatabase(POSTGRES))!;
    // Nest's static Logger follows the last app that called useLogger(), so both apps write into
    // one sink and the assertions count lines across the two.
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const env = {
      JWT_SECRET: randomBytes(32).toString('hex'), // one deployment: a token from A is valid on B
      SERVING_RESOLVE_TTL_MS: '0', // no Redis here to relay registry changes: B reads them afresh
      TRAINING_SWEEP_INTERVAL_SECONDS: '0',
      SUNSET_SWEEP_INTERVAL_SECONDS: '0',
      PAYLOAD_PURGE_INTERVAL_SECONDS: '0',
    };
    A = await startTestApp(env, { databaseUrl: database.url, logger });
    B = await startTestApp(env, { databaseUrl: database.url, logger });
    expect(A.config.registry.storage).not.toEqual(B.config.registry.storage); // separate disks
    engineer = (await createUser(A, 'ml-engineer')).accessToken;
    await createModel(A, engineer, model, { task: 'classification' });
    await versionIn(A, engineer, model, 'production');
  }, 120_000);

  afterAll(async () => {
    await B?.close();
    await A?.close();
    await database?.drop();
  }, 60_000);

  const request = (t: TestApp, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: authHeader(engineer), ...(payload ? { payload } : {}) });

  function expectUnavailable(res: Awaited<ReturnType<typeof request>>, what: string) {
    expect({ what, status: res.statusCode, code: res.json().code }).toEqual({ what, status: 503, code: 'ARTIFACT_UNAVAILABLE' });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('30');
    expect(res.json()).toMatchObject({ status: 503, type: 'https://modelgate.dev/problems/artifact-unavailable' });
  }

  it('A, which stored the artifact, serves it', async () => {
    const res = await request(A, 'POST', `/v1/models/${model}/predict`, { instances });
    expect(res.statusCode).toBe(200);
    expect(res.json().predictions).toHaveLength(2);
  });

  it('B answers 503 ARTIFACT_UNAVAILABLE with Retry-After on every read of it, request after request', async () => {
    for (let i = 0; i < 5; i++)
      expectUnavailable(await request(B, 'POST', `/v1/models/${model}/predict`, { instances }), `v1 predict #${i}`);
    expectUnavailable(await request(B, 'POST', `/v1/models/${model}/versions/1/predict`, { instances }), 'v1 predict by version');
    const metadata = await request(B, 'GET', `/v2/models/${model}`); // from the database: B answers it
    expect(metadata.statusCode).toBe(200);
    const v2 = await request(B, 'POST', `/v2/models/${model}/infer`, {
      inputs: [{ name: metadata.json().inputs[0].name, shape: [2, 4], datatype: 'FP32', data: instances.flat() }],
    });
    expectUnavailable(v2, 'v2 infer');
    expect(v2.json().error).toEqual(expect.any(String)); // the protocol's own field
    expectUnavailable(await request(B, 'GET', `/v2/models/${model}/ready`), 'v2 model readiness');
    expectUnavailable(await request(B, 'GET', `/v1/models/${model}/versions/1/artifact`), 'artifact download');
    expectUnavailable(await request(B, 'POST', `/v1/models/${model}/versions/1/quantize`, { dtype: 'uint8' }), 'quantization');
    // …and A is unaffected.
    expect((await request(A, 'GET', `/v1/models/${model}/versions/1/artifact`)).statusCode).toBe(200);
  });

  it('a training job run by B on a dataset stored by A fails with the reason (no 500, no crash)', async () => {
    const dataset = await uploadDataset(A, engineer, blobsSplit(120).training);
    expect(dataset.statusCode).toBe(201);
    const created = await createJob(B, engineer, {
      modelName: `${model}-trained`,
      datasetId: dataset.json().id,
      task: 'classification',
      features: BLOBS_FEATURES,
      target: 'species',
      architecture: { hiddenLayers: [4], activation: 'relu' },
      hyperparameters: { epochs: 1, batchSize: 32, learningRate: 0.05, validationSplit: 0.2, seed: 7 },
    });
    expect(created.statusCode).toBe(202);
    const job = await waitForJob(B, engineer, created.json().id, undefined, 30_000);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^The dataset cannot be read: .*not available on this server/);
  });

  it('logs each missing artifact once (not per request), and never as an unexpected error', async () => {
    // B's model warm-up (as at a restart) meets the same missing artifact: no further line either.
    await B.app.get(ServingWarmup).warm();
    const keys = (await A.app
      .get(DataSource)
      .query(`SELECT artifact_key AS key FROM model_versions UNION ALL SELECT storage_key FROM datasets`)) as { key: string }[];
    const missing = lines.filter((l) => l.code === 'ARTIFACT_UNAVAILABLE' && /artifact missing/.test(String(l.msg)));
    // One line per key for the 10 requests above that read the version's artifact, one for the dataset.
    expect(missing.map((l) => l.storageKey).sort()).toEqual(keys.map((k) => k.key).sort());
    expect(missing.every((l) => l.level === 50 && l.storage === 'filesystem')).toBe(true);
    expect(lines.filter((l) => /unexpected error|could not warm/.test(String(l.msg)))).toEqual([]);
    expect(lines.filter((l) => l.statusCode === 500 || l.status === 500)).toEqual([]);
  });

  it('each replica warned once at start-up that filesystem storage is not shared across replicas', () => {
    const warnings = lines.filter((l) => /stored on the local filesystem .* while the database is Postgres/.test(String(l.msg)));
    expect(warnings).toHaveLength(2); // A and B, one line each
    expect(warnings.every((l) => l.level === 40)).toBe(true);
    expect(String(warnings[0].msg)).toMatch(/STORAGE_DRIVER=s3/);
  });
});
