import {
  createModel,
  createModelGateClient,
  createTrainingJob,
  getModelMetadataV2,
  getTrainingJob,
  inferV2,
  login,
  predict,
  predictWithVersion,
  streamTrainingJobEvents,
  transitionModelVersion,
  uploadDataset,
  uploadModelVersion,
} from '../libs/sdk/src';
import { bootstrapAdmin, createUser, TestUser } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { fixtureFiles } from './support/registry';
import { startTestApp, TestApp } from './support/test-app';
import { BLOBS_FEATURES, blobsSplit } from './support/training';

type Client = ReturnType<typeof createModelGateClient>;

/**
 * What a client team does with the generated SDK (libs/sdk), over real HTTP against the in-process
 * app: every call is a typed SDK function, errors included; nothing here builds a request by hand.
 */
describe('SDK flows: a client team end to end (e2e)', () => {
  let t: TestApp;
  let baseUrl: string;
  let engineerUser: TestUser;
  let engineer: Client;
  const reference = readFixtureReference('classifier');
  const asFiles = (dir: string) => fixtureFiles(dir).map((f) => new File([new Uint8Array(f.data)], f.filename));

  beforeAll(async () => {
    t = await startTestApp({ TRAINING_SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    await bootstrapAdmin(t);
    engineerUser = await createUser(t, 'ml-engineer');
  });
  afterAll(() => t?.close());

  it('signs in with the SDK and uses the token it got', async () => {
    const anonymous = createModelGateClient({ baseUrl });
    const signedIn = await login({ client: anonymous, body: { email: engineerUser.email, password: engineerUser.password } });
    expect(signedIn.response?.status).toBe(200);
    expect(signedIn.data).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), refreshToken: expect.any(String) });
    engineer = createModelGateClient({ baseUrl, accessToken: signedIn.data!.accessToken });
  });

  it('registers a model, uploads a version (multipart) and promotes it staging → production', async () => {
    const model = await createModel({ client: engineer, body: { name: 'iris', task: 'classification', description: 'from the SDK' } });
    expect(model.response?.status).toBe(201);
    expect(model.data).toMatchObject({ name: 'iris', task: 'classification' });

    const uploaded = await uploadModelVersion({ client: engineer, path: { name: 'iris' }, body: { files: asFiles('classifier') } });
    expect(uploaded.response?.status).toBe(201);
    expect(uploaded.data).toMatchObject({ model: 'iris', version: 1, stage: 'draft' });

    for (const to of ['staging', 'production'] as const) {
      const moved = await transitionModelVersion({ client: engineer, path: { name: 'iris', version: 1 }, body: { to } });
      // 200 with the version (202 would be a pending promotion request: this model needs no approval).
      const stage = moved.data && 'stage' in moved.data ? moved.data.stage : undefined;
      expect({ to, status: moved.response?.status, stage }).toEqual({ to, status: 200, stage: to });
    }
  });

  it('predicts with v1, unversioned (production) and versioned, with the same answer', async () => {
    const body = { instances: reference.inputs };
    const production = await predict({ client: engineer, path: { name: 'iris' }, body });
    expect(production.response?.status).toBe(200);
    expect(production.response?.headers.get('x-model-version')).toBe('1');
    expect(production.data).toMatchObject({ model: 'iris', version: 1 });
    expect(production.data!.predictions).toHaveLength(reference.inputs.length);
    // One output: each prediction is that output's row.
    (production.data!.predictions as number[][]).forEach((row, r) =>
      row.forEach((v, c) => expect(v).toBeCloseTo(reference.outputs[r][c], 5)),
    );

    const pinned = await predictWithVersion({ client: engineer, path: { name: 'iris', version: 1 }, body });
    expect(pinned.response?.status).toBe(200);
    expect(pinned.data!.predictions).toEqual(production.data!.predictions);
  });

  it('reads v2 model metadata and infers through the Open Inference Protocol', async () => {
    const metadata = await getModelMetadataV2({ client: engineer, path: { name: 'iris' } });
    expect(metadata.response?.status).toBe(200);
    expect(metadata.data).toMatchObject({ name: 'iris', versions: expect.arrayContaining(['1']) });
    const input = metadata.data!.inputs[0];
    expect(input.shape).toEqual([-1, 4]);

    const rows = reference.inputs.slice(0, 2);
    const inferred = await inferV2({
      client: engineer,
      path: { name: 'iris' },
      body: { id: 'sdk-1', inputs: [{ name: input.name, datatype: 'FP32', shape: [rows.length, 4], data: rows.flat() }] },
    });
    expect(inferred.response?.status).toBe(200);
    expect(inferred.data).toMatchObject({ id: 'sdk-1', model_name: 'iris', model_version: '1' });
    const output = inferred.data!.outputs[0];
    expect(output.shape).toEqual([2, reference.outputs[0].length]);
    (output.data as number[]).forEach((v, i) => expect(v).toBeCloseTo(reference.outputs.flat()[i], 5));
  });

  it('types a validation failure as a problem document', async () => {
    const refused = await predict({ client: engineer, path: { name: 'iris' }, body: { instances: [[1, 2, 3]] } });
    expect(refused.response?.status).toBe(422);
    expect(refused.data).toBeUndefined();
    expect(refused.error).toMatchObject({ status: 422, code: 'VALIDATION_FAILED', instance: '/v1/models/iris/predict' });
    expect(refused.error!.detail).toMatch(/expected shape \[-1, 4\]/);
    expect(refused.error!.errors).toEqual([{ field: expect.stringMatching(/^instances\[0\]/), message: expect.any(String) }]);
  });

  it('uploads a dataset, trains on it (polling and following events) and predicts with the trained version', async () => {
    const { training, heldOut } = blobsSplit(20);
    const dataset = await uploadDataset({
      client: engineer,
      body: { name: 'blobs', file: new File([new Uint8Array(training)], 'blobs.csv', { type: 'text/csv' }) },
    });
    expect(dataset.response?.status).toBe(201);

    const created = await createTrainingJob({
      client: engineer,
      body: {
        modelName: 'blobs-trained',
        datasetId: dataset.data!.id,
        task: 'classification',
        features: BLOBS_FEATURES,
        target: 'species',
        architecture: { hiddenLayers: [16], activation: 'relu' },
        hyperparameters: { epochs: 12, batchSize: 16, learningRate: 0.05, validationSplit: 0.2, seed: 7 },
      },
    });
    expect(created.response?.status).toBe(202);
    const jobId = created.data!.id;

    // Follow the job's event stream with the SDK's SSE client until its final status.
    const abort = new AbortController();
    const events = await streamTrainingJobEvents({ client: engineer, path: { id: jobId }, signal: abort.signal, sseMaxRetryAttempts: 1 });
    const seen: Record<string, unknown>[] = [];
    for await (const data of events.stream) {
      const event = (typeof data === 'string' ? JSON.parse(data) : data) as Record<string, unknown>;
      seen.push(event);
      if (event.id === jobId && ['succeeded', 'failed', 'cancelled'].includes(String(event.status))) break;
    }
    abort.abort();
    expect(seen.at(-1)).toMatchObject({ id: jobId, status: 'succeeded' });

    // ... and the same answer by polling, as a client without SSE would.
    const deadline = Date.now() + 120_000;
    let job = (await getTrainingJob({ client: engineer, path: { id: jobId } })).data!;
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      job = (await getTrainingJob({ client: engineer, path: { id: jobId } })).data!;
    }
    expect(job).toMatchObject({ status: 'succeeded', modelName: 'blobs-trained', modelVersion: 1 });

    const trained = await predictWithVersion({
      client: engineer,
      path: { name: 'blobs-trained', version: job.modelVersion! },
      body: { instances: heldOut.x },
    });
    expect(trained.response?.status).toBe(200);
    expect(trained.data!.labels).toHaveLength(heldOut.x.length);
    const correct = trained.data!.labels!.filter((label, i) => label === heldOut.y[i]).length;
    // The blobs are well separated: a trained model gets nearly all held-out rows right.
    expect(correct / heldOut.x.length).toBeGreaterThanOrEqual(0.8);
  });
});
