import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { InferenceRuntime } from '@app/inference';
import { TrainingJobDto, TrainingRecovery } from '@app/training';
import { authHeader, createUser, tokenFor } from './support/auth';
import { readFixtureCsv } from './support/fixtures';
import { multipart } from './support/multipart';
import { startTestApp, TestApp } from './support/test-app';
import {
  BLOBS_FEATURES,
  blobsSplit,
  createJob,
  csvText,
  downloadArtifact,
  getJob,
  parseSse,
  uploadDataset,
  waitForJob,
} from './support/training';

/**
 * Datasets and training without Redis: jobs run in the API's own worker threads (the in-process
 * queue). The BullMQ path (a separate worker process) is training-bullmq.e2e-spec.ts.
 */
describe('datasets and training (e2e, in-process worker threads)', () => {
  let t: TestApp;
  let engineer: string;
  let engineerEmail: string;
  let otherEngineer: string;
  let admin: string;
  let consumer: string;
  const split = blobsSplit(120);

  const blobsJob = (datasetId: string, overrides: Record<string, unknown> = {}, hyper: Record<string, unknown> = {}) => ({
    modelName: 'iris-trained',
    datasetId,
    task: 'classification',
    features: BLOBS_FEATURES,
    target: 'species',
    architecture: { hiddenLayers: [16], activation: 'relu' },
    hyperparameters: { epochs: 12, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 7, ...hyper },
    ...overrides,
  });

  beforeAll(async () => {
    t = await startTestApp({
      MAX_DATASET_BYTES: String(64 * 1024),
      TRAINING_MAX_EPOCHS: '500',
      TRAINING_MAX_LAYERS: '3',
      TRAINING_MAX_UNITS: '64',
      TRAINING_MAX_BATCH_SIZE: '256',
      TRAINING_CONCURRENCY: '1',
      // The suite drives the recovery sweep itself.
      TRAINING_SWEEP_INTERVAL_SECONDS: '0',
      TRAINING_STALE_AFTER_SECONDS: '30',
    });
    const user = await createUser(t, 'ml-engineer');
    engineer = user.accessToken;
    engineerEmail = user.email;
    otherEngineer = await tokenFor(t, 'ml-engineer');
    admin = await tokenFor(t, 'admin');
    consumer = await tokenFor(t, 'consumer');
  });
  afterAll(() => t?.close());

  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);

  async function blobsDataset(token = engineer): Promise<string> {
    const res = await uploadDataset(t, token, split.training);
    expect(res.statusCode).toBe(201);
    return res.json().id;
  }

  describe('datasets', () => {
    it('uploads a CSV: 201 with columns and types inferred, rows counted, sha256 and size', async () => {
      const res = await uploadDataset(t, engineer, split.training, 'blobs-480');
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'blobs-480',
        format: 'csv',
        rows: 480,
        columns: [
          ...BLOBS_FEATURES.map((name) => ({ name, type: 'number', missing: 0 })),
          { name: 'species', type: 'string', missing: 0, distinct: 3 },
        ],
        sha256: createHash('sha256').update(split.training).digest('hex'),
        sizeBytes: split.training.length,
        createdAt: expect.any(String),
        createdBy: engineerEmail,
      });
      const got = await inject({ method: 'GET', url: `/v1/datasets/${body.id}`, headers: authHeader(engineer) });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(body);
    });

    it('uploads JSON lines (format from the file name or the content), booleans included', async () => {
      const jsonl = Buffer.from('{"x": 1.5, "ok": true, "label": "a"}\n{"x": 2, "ok": false, "label": "b"}\n');
      const res = await uploadDataset(t, engineer, jsonl, 'small-jsonl', 'data.bin');
      expect(res.statusCode).toBe(201);
      expect(res.json()).toMatchObject({
        format: 'jsonl',
        rows: 2,
        columns: [
          { name: 'x', type: 'number' },
          { name: 'ok', type: 'boolean' },
          { name: 'label', type: 'string' },
        ],
      });
    });

    it.each([
      ['a ragged row', 'data.csv', 'a,b,c\n1,2,3\n4,5\n', 3, 'c', 'ragged-row'],
      ['a non-numeric value in a numeric column', 'data.csv', 'a,b\n1,2\n3,oops\n', 3, 'b', 'type-mismatch'],
      ['a missing header', 'data.csv', '1,2,3\n4,5,6\n', 1, undefined, 'missing-header'],
      ['a bad JSON line', 'data.jsonl', '{"a": 1}\n{"a": 2,,}\n', 2, undefined, 'bad-json'],
      ['a JSON line missing a field', 'upload', '{"a": 1, "b": 2}\n{"a": 2}\n', 2, 'b', 'ragged-row'],
    ])('refuses %s with 422 naming the line and column', async (_what, filename, content, line, column, reason) => {
      const res = await uploadDataset(t, engineer, Buffer.from(content as string), 'malformed', filename as string);
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = res.json();
      expect(problem).toMatchObject({ status: 422, code: 'DATASET_MALFORMED', reason, line });
      expect(problem.detail).toContain(`line ${line}`);
      if (column) {
        expect(problem.column).toBe(column);
        expect(problem.detail).toContain(`column '${column}'`);
      }
      expect(problem.errors).toEqual([{ field: 'file', message: problem.detail }]);
    });

    it('refuses an empty file and bytes that are not UTF-8 with 422', async () => {
      const empty = await uploadDataset(t, engineer, Buffer.alloc(0));
      expect(empty.statusCode).toBe(422);
      expect(empty.json()).toMatchObject({ code: 'DATASET_MALFORMED', reason: 'empty-file' });
      const latin1 = Buffer.concat([
        Buffer.from('name,city\nx,'),
        Buffer.from([0x4d, 0xfc, 0x6e, 0x63, 0x68, 0x65, 0x6e]),
        Buffer.from('\n'),
      ]);
      const bad = await uploadDataset(t, engineer, latin1);
      expect(bad.statusCode).toBe(422);
      expect(bad.json()).toMatchObject({ code: 'DATASET_MALFORMED', reason: 'bad-encoding', line: 2, column: 'city' });
    });

    it('refuses a file above MAX_DATASET_BYTES with 413, and a missing file or name with 400', async () => {
      const big = Buffer.from('x\n' + '1\n'.repeat(40 * 1024));
      const tooBig = await uploadDataset(t, engineer, big);
      expect(tooBig.statusCode).toBe(413);
      expect(tooBig.json()).toMatchObject({ code: 'DATASET_TOO_LARGE' });

      const noFile = await multipart([], { name: 'x' });
      const res = await inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { ...authHeader(engineer), ...noFile.headers },
        payload: noFile.payload,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ field: 'file', message: expect.any(String) }]);
      const noName = await multipart([{ field: 'file', filename: 'a.csv', data: Buffer.from('a\n1\n') }]);
      const res2 = await inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { ...authHeader(engineer), ...noName.headers },
        payload: noName.payload,
      });
      expect(res2.statusCode).toBe(400);
      expect(res2.json().errors).toEqual([{ field: 'name', message: expect.any(String) }]);
    });

    it('lists only the caller’s datasets (admins see all); others get 404; owner or admin may delete', async () => {
      const id = await blobsDataset();
      const mine = await inject({ method: 'GET', url: '/v1/datasets?limit=100', headers: authHeader(engineer) });
      expect(mine.json().items.map((d: { id: string }) => d.id)).toContain(id);
      const theirs = await inject({ method: 'GET', url: '/v1/datasets?limit=100', headers: authHeader(otherEngineer) });
      expect(theirs.json().items.map((d: { id: string }) => d.id)).not.toContain(id);
      const all = await inject({ method: 'GET', url: '/v1/datasets?limit=100', headers: authHeader(admin) });
      expect(all.json().items.map((d: { id: string }) => d.id)).toContain(id);

      expect((await inject({ method: 'GET', url: `/v1/datasets/${id}`, headers: authHeader(otherEngineer) })).statusCode).toBe(404);
      expect((await inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: authHeader(otherEngineer) })).statusCode).toBe(404);
      expect((await inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: authHeader(engineer) })).statusCode).toBe(204);
      expect((await inject({ method: 'GET', url: `/v1/datasets/${id}`, headers: authHeader(engineer) })).statusCode).toBe(404);

      const byAdmin = await blobsDataset();
      expect((await inject({ method: 'DELETE', url: `/v1/datasets/${byAdmin}`, headers: authHeader(admin) })).statusCode).toBe(204);
    });

    it('needs the ml-engineer role: consumers get 403, anonymous callers 401', async () => {
      const body = await multipart([{ field: 'file', filename: 'a.csv', data: Buffer.from('a\n1\n') }], { name: 'x' });
      const asConsumer = await inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { ...authHeader(consumer), ...body.headers },
        payload: body.payload,
      });
      expect(asConsumer.statusCode).toBe(403);
      expect((await inject({ method: 'GET', url: '/v1/datasets', headers: authHeader(consumer) })).statusCode).toBe(403);
      expect((await inject({ method: 'GET', url: '/v1/datasets' })).statusCode).toBe(401);
      expect((await createJob(t, consumer, {})).statusCode).toBe(403);
      expect((await inject({ method: 'GET', url: '/v1/training-jobs', headers: authHeader(consumer) })).statusCode).toBe(403);
    });
  });

  describe('training request validation', () => {
    let datasetId: string;
    let regressionId: string;

    beforeAll(async () => {
      datasetId = await blobsDataset();
      const { header, rows } = readFixtureCsv('regression');
      const res = await uploadDataset(t, engineer, csvText(header, rows), 'regression');
      regressionId = res.json().id;
    });

    it('answers 400 for a body of the wrong shape', async () => {
      const res = await createJob(t, engineer, { ...blobsJob(datasetId), task: 'clustering', features: 'sepal_length' });
      expect(res.statusCode).toBe(400);
      expect([...new Set(res.json().errors.map((e: { field: string }) => e.field))].sort()).toEqual(['features', 'task']);
    });

    it('answers 422 naming every field that does not fit the dataset (a text column is a feature like any other)', async () => {
      const res = await createJob(
        t,
        engineer,
        blobsJob(datasetId, { features: ['sepal_length', 'colour', 'species'], target: 'petal_width', task: 'classification' }),
      );
      expect(res.statusCode).toBe(422);
      const errors = res.json().errors as { field: string; message: string }[];
      expect(errors).toEqual([
        { field: 'features[1]', message: expect.stringContaining("column 'colour' is not in the dataset") },
        { field: 'target', message: expect.stringContaining('must be categorical') },
      ]);
    });

    it('answers 422 for a regression target that is not numeric, and an unknown or foreign dataset', async () => {
      const regression = await createJob(t, engineer, blobsJob(datasetId, { task: 'regression', modelName: 'regression-check' }));
      expect(regression.statusCode).toBe(422);
      expect(regression.json().errors).toEqual([
        { field: 'target', message: expect.stringContaining('regression needs a numeric target') },
      ]);
      const foreign = await createJob(t, otherEngineer, blobsJob(datasetId));
      expect(foreign.statusCode).toBe(422);
      expect(foreign.json().errors).toEqual([{ field: 'datasetId', message: expect.any(String) }]);
      const ok = await createJob(t, engineer, {
        ...blobsJob(regressionId, { task: 'regression', features: ['x1', 'x2', 'x3'], target: 'y', modelName: 'regression-check' }),
        hyperparameters: { epochs: 1 },
      });
      expect(ok.statusCode).toBe(202);
      await waitForJob(t, engineer, ok.json().id);
    });

    it('answers 422 beyond the configured bounds on epochs, layers, units and batch size', async () => {
      const res = await createJob(
        t,
        engineer,
        blobsJob(datasetId, { architecture: { hiddenLayers: [8, 8, 8, 8] } }, { epochs: 501, batchSize: 257 }),
      );
      expect(res.statusCode).toBe(422);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([
        'architecture.hiddenLayers',
        'hyperparameters.epochs',
        'hyperparameters.batchSize',
      ]);
      const units = await createJob(t, engineer, blobsJob(datasetId, { architecture: { hiddenLayers: [65] } }));
      expect(units.statusCode).toBe(422);
      expect(units.json().errors).toEqual([
        { field: 'architecture.hiddenLayers[0]', message: expect.stringContaining('TRAINING_MAX_UNITS') },
      ]);
    });
  });

  describe('a training run', () => {
    let datasetId: string;
    let job: TrainingJobDto;
    let events: ReturnType<typeof parseSse>;

    beforeAll(async () => {
      datasetId = await blobsDataset();
      const created = await createJob(t, engineer, blobsJob(datasetId));
      expect(created.statusCode).toBe(202);
      job = created.json();
      // Subscribed while the job is queued or running: the stream ends by itself after the last event.
      const sse = await inject({ method: 'GET', url: `/v1/training-jobs/${job.id}/events`, headers: authHeader(engineer) });
      expect(sse.statusCode).toBe(200);
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      events = parseSse(sse.body);
    });

    it('answers 202 with the queued job, its request resolved', () => {
      expect(job).toMatchObject({
        status: 'queued',
        modelName: 'iris-trained',
        datasetId,
        task: 'classification',
        features: BLOBS_FEATURES,
        target: 'species',
        architecture: { hiddenLayers: [16], activation: 'relu', dropout: 0 },
        hyperparameters: { epochs: 12, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 7 },
        progress: { epoch: 0, epochs: 12 },
        history: [],
        metrics: null,
        modelVersion: null,
        error: null,
        createdBy: engineerEmail,
        startedAt: null,
        finishedAt: null,
      });
    });

    it('streams one progress event per epoch, then one status event, then closes', () => {
      const progress = events.filter((e) => e.event === 'progress');
      expect(progress.map((e) => e.data.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      for (const e of progress) {
        expect(e.data).toMatchObject({
          epochs: 12,
          attempt: 1,
          loss: expect.any(Number),
          valLoss: expect.any(Number),
          accuracy: expect.any(Number),
          valAccuracy: expect.any(Number),
        });
      }
      expect(events.at(-1)!.event).toBe('status');
      expect(events.filter((e) => e.event === 'status')).toHaveLength(1);
      expect(events.at(-1)!.data).toMatchObject({ id: job.id, status: 'succeeded', modelVersion: 1 });
    });

    it('records the finished job: progress, per-epoch history, validation metrics, timings, the version', async () => {
      const done = await getJob(t, engineer, job.id);
      expect(done).toMatchObject({ status: 'succeeded', progress: { epoch: 12, epochs: 12 }, modelVersion: 1, error: null, attempts: 1 });
      expect(done.history).toHaveLength(12);
      expect(done.history[0]).toEqual({
        epoch: 1,
        loss: expect.any(Number),
        valLoss: expect.any(Number),
        accuracy: expect.any(Number),
        valAccuracy: expect.any(Number),
        durationMs: expect.any(Number),
      });
      expect(done.metrics).toMatchObject({ trainingRows: 384, validationRows: 96 });
      expect(done.metrics!.accuracy).toBeGreaterThanOrEqual(0.9);
      expect(new Date(done.startedAt!).getTime()).toBeLessThanOrEqual(new Date(done.finishedAt!).getTime());
    });

    it('registers a staging version of the (new) model with lineage, labels, metrics and params', async () => {
      const res = await inject({ method: 'GET', url: '/v1/models/iris-trained/versions/1', headers: authHeader(engineer) });
      expect(res.statusCode).toBe(200);
      const done = await getJob(t, engineer, job.id);
      const dataset = (await inject({ method: 'GET', url: `/v1/datasets/${datasetId}`, headers: authHeader(engineer) })).json();
      expect(res.json()).toMatchObject({
        model: 'iris-trained',
        version: 1,
        stage: 'staging',
        framework: 'tfjs-layers',
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ datatype: 'FP32', shape: [-1, 3] }],
        labels: ['setosa', 'versicolor', 'virginica'],
        metrics: done.metrics,
        params: {
          task: 'classification',
          features: BLOBS_FEATURES,
          target: 'species',
          architecture: done.architecture,
          hyperparameters: done.hyperparameters,
        },
        createdBy: engineerEmail,
        source: { trainingJobId: job.id, datasetId, datasetSha256: dataset.sha256 },
      });
      const history = await inject({ method: 'GET', url: '/v1/models/iris-trained/versions/1/transitions', headers: authHeader(engineer) });
      expect(history.json()).toEqual([expect.objectContaining({ from: null, to: 'staging', actor: engineerEmail })]);
    });

    it('predicts the held-out rows from raw feature values through /v1 with at least 90% accuracy', async () => {
      const res = await inject({
        method: 'POST',
        url: '/v1/models/iris-trained/versions/1/predict',
        headers: authHeader(consumer),
        payload: { instances: split.heldOut.x },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-model-version']).toBe('1');
      const { labels, predictions } = res.json();
      expect(predictions).toHaveLength(split.heldOut.x.length);
      const correct = (labels as string[]).filter((label, i) => label === split.heldOut.y[i]).length;
      expect(correct / split.heldOut.y.length).toBeGreaterThanOrEqual(0.9);
    });

    it('predicts the same through /v2 (Open Inference Protocol) and from the downloaded artifact', async () => {
      const rows = split.heldOut.x.slice(0, 10);
      const v1 = (
        await inject({
          method: 'POST',
          url: '/v1/models/iris-trained/versions/1/predict',
          headers: authHeader(consumer),
          payload: { instances: rows },
        })
      ).json().predictions as number[][];
      const v2 = await inject({
        method: 'POST',
        url: '/v2/models/iris-trained/versions/1/infer',
        headers: authHeader(consumer),
        payload: { inputs: [{ name: 'features', shape: [rows.length, 4], datatype: 'FP32', data: rows.flat() }] },
      });
      expect(v2.statusCode).toBe(200);
      const flat = v2.json().outputs[0].data as number[];
      flat.forEach((p, i) => expect(p).toBeCloseTo(v1[Math.floor(i / 3)][i % 3], 5));

      const model = await t.app.get(InferenceRuntime).load(await downloadArtifact(t, engineer, 'iris-trained', 1));
      try {
        (await model.predict(rows)).forEach((p, r) => p.forEach((v, c) => expect(v).toBeCloseTo(v1[r][c], 5)));
      } finally {
        model.dispose();
      }
    });

    it('replays the history to a client that joins after the end', async () => {
      const late = parseSse(
        (await inject({ method: 'GET', url: `/v1/training-jobs/${job.id}/events`, headers: authHeader(engineer) })).body,
      );
      expect(late.filter((e) => e.event === 'progress').map((e) => e.data.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(late.map((e) => e.event).at(-1)).toBe('status');
    });

    it('shows the job to its owner and admins only', async () => {
      expect((await inject({ method: 'GET', url: `/v1/training-jobs/${job.id}`, headers: authHeader(otherEngineer) })).statusCode).toBe(
        404,
      );
      expect(
        (await inject({ method: 'GET', url: `/v1/training-jobs/${job.id}/events`, headers: authHeader(otherEngineer) })).statusCode,
      ).toBe(404);
      expect((await inject({ method: 'GET', url: `/v1/training-jobs/${job.id}`, headers: authHeader(admin) })).statusCode).toBe(200);
      const list = await inject({ method: 'GET', url: '/v1/training-jobs?status=succeeded', headers: authHeader(engineer) });
      expect(list.json().items.map((j: { id: string }) => j.id)).toContain(job.id);
      const others = await inject({ method: 'GET', url: '/v1/training-jobs', headers: authHeader(otherEngineer) });
      expect(others.json().items.map((j: { id: string }) => j.id)).not.toContain(job.id);
    });

    it('counts finished jobs and epochs in /metrics', async () => {
      const res = await inject({ method: 'GET', url: '/metrics' });
      expect(res.body).toMatch(/modelgate_training_jobs_finished_total\{status="succeeded"\} [1-9]/);
      expect(res.body).toMatch(/modelgate_training_epoch_duration_seconds_count [1-9]/);
    });

    it('fails a job whose dataset file has gone missing from storage, saying so', async () => {
      const id = await blobsDataset();
      rmSync(join(t.dataDir, 'artifacts', 'datasets', id), { recursive: true, force: true });
      const created = (await createJob(t, engineer, blobsJob(id, { modelName: 'iris-no-data' }, { epochs: 2 }))).json();
      const done = await waitForJob(t, engineer, created.id);
      expect(done).toMatchObject({ status: 'failed', modelVersion: null });
      expect(done.error).toMatch(/^The dataset cannot be read: /);
    });

    it('keeps a dataset in use by an unfinished job, and lets it go after', async () => {
      const id = await blobsDataset();
      const created = (await createJob(t, engineer, blobsJob(id, { modelName: 'iris-in-use' }, { epochs: 2 }))).json();
      const inUse = await inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: authHeader(engineer) });
      expect(inUse.statusCode).toBe(409);
      expect(inUse.json()).toMatchObject({ code: 'DATASET_IN_USE', trainingJobs: [created.id] });
      await waitForJob(t, engineer, created.id);
      expect((await inject({ method: 'DELETE', url: `/v1/datasets/${id}`, headers: authHeader(engineer) })).statusCode).toBe(204);
    });
  });

  describe('reproducibility', () => {
    it('gives the same metrics and history for the same seed (within 1e-6)', async () => {
      const datasetId = await blobsDataset();
      const body = blobsJob(
        datasetId,
        { modelName: 'iris-seeded', architecture: { hiddenLayers: [8, 8], activation: 'tanh', dropout: 0.1 } },
        { epochs: 5, seed: 1234 },
      );
      const a = await waitForJob(t, engineer, (await createJob(t, engineer, body)).json().id);
      const b = await waitForJob(t, engineer, (await createJob(t, engineer, body)).json().id);
      expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
      const [ma, mb] = [a.metrics!, b.metrics!];
      expect(Object.keys(mb).sort()).toEqual(Object.keys(ma).sort());
      for (const key of Object.keys(ma)) expect(Math.abs(ma[key] - mb[key])).toBeLessThanOrEqual(1e-6);
      const strip = (h: TrainingJobDto['history']) => h.map(({ durationMs: _, ...rest }) => rest);
      expect(strip(b.history)).toEqual(strip(a.history));
      expect([a.modelVersion, b.modelVersion]).toEqual([1, 2]);
    });

    it('draws and records a seed when none is given', async () => {
      const datasetId = await blobsDataset();
      const body = blobsJob(datasetId, { modelName: 'iris-unseeded' }, { epochs: 1 });
      delete (body.hyperparameters as Record<string, unknown>).seed;
      const res = await createJob(t, engineer, body);
      expect(res.json().hyperparameters.seed).toEqual(expect.any(Number));
      await waitForJob(t, engineer, res.json().id);
    });
  });

  describe('cancellation', () => {
    it('stops a running job within one epoch; a queued job is cancelled at once', async () => {
      const datasetId = await blobsDataset();
      const long = blobsJob(datasetId, { modelName: 'iris-cancelled' }, { epochs: 500, batchSize: 4 });
      const running = (await createJob(t, engineer, long)).json();
      // TRAINING_CONCURRENCY=1: the second job waits behind the first.
      const queued = (await createJob(t, engineer, long)).json();

      const cancelledQueued = await inject({ method: 'POST', url: `/v1/training-jobs/${queued.id}/cancel`, headers: authHeader(engineer) });
      expect(cancelledQueued.statusCode).toBe(202);
      expect(cancelledQueued.json()).toMatchObject({ status: 'cancelled', cancelRequested: true });

      const before = await waitForJob(t, engineer, running.id, (j) => j.status === 'running' && j.progress.epoch >= 2);
      const res = await inject({ method: 'POST', url: `/v1/training-jobs/${running.id}/cancel`, headers: authHeader(engineer) });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ cancelRequested: true });
      const after = await waitForJob(t, engineer, running.id);
      expect(after.status).toBe('cancelled');
      expect(after.modelVersion).toBeNull();
      expect(after.progress.epoch).toBeLessThanOrEqual(before.progress.epoch + 1);
      const models = await inject({ method: 'GET', url: '/v1/models/iris-cancelled', headers: authHeader(engineer) });
      expect(models.statusCode).toBe(404);

      const again = await inject({ method: 'POST', url: `/v1/training-jobs/${running.id}/cancel`, headers: authHeader(engineer) });
      expect(again.statusCode).toBe(202);
      const succeeded = (
        await inject({ method: 'GET', url: '/v1/training-jobs?status=succeeded&limit=1', headers: authHeader(engineer) })
      ).json().items[0];
      const finished = await inject({ method: 'POST', url: `/v1/training-jobs/${succeeded.id}/cancel`, headers: authHeader(engineer) });
      expect(finished.statusCode).toBe(409);
      expect(finished.json()).toMatchObject({ code: 'TRAINING_JOB_FINISHED' });
    });
  });

  describe('stale-job recovery', () => {
    /** A job that a worker claimed and then died on: running, with a heartbeat long past. */
    async function deadWorkerJob(attempts: number): Promise<string> {
      const datasetId = await blobsDataset();
      const created = (await createJob(t, engineer, blobsJob(datasetId, { modelName: 'iris-recovered' }, { epochs: 3 }))).json();
      await waitForJob(t, engineer, created.id);
      const db = t.app.get(DataSource);
      const [row] = (await db.query(
        `INSERT INTO training_jobs (status, model_name, dataset_id, dataset_sha256, task, request, epochs, progress_epoch, history,
                                    attempts, worker_id, heartbeat_at, started_at, owner_id, owner_kind, owner_email, created_by)
         SELECT 'running', model_name, dataset_id, dataset_sha256, task, request, epochs, 1, '[{"epoch":1,"loss":1,"valLoss":1,"durationMs":1}]'::jsonb,
                $2, 'dead-host:1:cafe', now() - interval '1 hour', now() - interval '1 hour', owner_id, owner_kind, owner_email, created_by
           FROM training_jobs WHERE id = $1
         RETURNING id`,
        [created.id, attempts],
      )) as { id: string }[];
      return row.id;
    }

    it('requeues a job whose worker stopped responding, and the retry succeeds', async () => {
      const id = await deadWorkerJob(1);
      const report = await t.app.get(TrainingRecovery).sweep();
      expect(report.requeued).toContain(id);
      const done = await waitForJob(t, engineer, id);
      expect(done).toMatchObject({ status: 'succeeded', attempts: 2, error: null });
      expect(done.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    });

    it('fails a job whose worker stopped responding on its last attempt, with the reason', async () => {
      const id = await deadWorkerJob(2);
      const sse = inject({ method: 'GET', url: `/v1/training-jobs/${id}/events`, headers: authHeader(engineer) });
      const report = await t.app.get(TrainingRecovery).sweep();
      expect(report.failed).toContain(id);
      const job = await getJob(t, engineer, id);
      expect(job).toMatchObject({ status: 'failed', attempts: 2, modelVersion: null });
      expect(job.error).toMatch(/stopped responding \(no heartbeat for over 30 s\) on attempt 2 of 2; giving up/);
      // An open event stream ends with the failure too.
      const events = parseSse((await sse).body);
      expect(events.at(-1)).toMatchObject({ event: 'status', data: { id, status: 'failed' } });
    });

    it('leaves jobs with a live heartbeat alone', async () => {
      const id = await deadWorkerJob(1);
      await t.app.get(DataSource).query(`UPDATE training_jobs SET heartbeat_at = now() WHERE id = $1`, [id]);
      const report = await t.app.get(TrainingRecovery).sweep();
      expect([...report.requeued, ...report.failed, ...report.cancelled]).not.toContain(id);
      expect((await getJob(t, engineer, id)).status).toBe('running');
      await t.app.get(DataSource).query(`UPDATE training_jobs SET status = 'failed', finished_at = now() WHERE id = $1`, [id]);
    });
  });
});
