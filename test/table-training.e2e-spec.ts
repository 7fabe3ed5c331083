import { InferenceRuntime, type LoadedModel } from '@app/inference';
import type { TrainingJobDto } from '@app/training';
import { deriveSeed, permutation, seededRandom } from '../libs/training/src/trainer/seeded-random';
import { authHeader, tokenFor } from './support/auth';
import { readFixtureCsv } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';
import { createJob, csvText, downloadArtifact, uploadDataset, waitForJob } from './support/training';

/**
 * Training on a real table (issue 19): text and boolean features, empty cells, rows without a
 * target, an imbalanced target. The version is then called with raw values (category strings,
 * values never seen, nulls, features left out) through v1, v2 and TF Serving's routes, and every
 * answer is checked against the registered artifact run here on inputs this test encodes itself
 * from the stored encoding, as the layout is documented (numbers, indicators, one-hot blocks, then
 * embedded blocks; each category block = vocabulary, <missing>, <other>). The vocabularies and
 * medians are recomputed from the training split, which this test reproduces from the seed.
 */

const FEATURES = ['tenure', 'monthly', 'plan', 'region', 'autopay'];
const SEED = 5;
const SPLIT = 0.2;

type Entry =
  | { name: string; type: 'number'; fill: number; indicator: boolean }
  | { name: string; type: 'string' | 'boolean'; vocabulary: string[]; encoding: 'one-hot' | 'embedding'; embeddingDim?: number };

/** The documented layout, written out independently of the server's encoder. */
function encode(encoding: Entry[], row: Record<string, unknown>): number[] {
  const numbers = encoding.filter((f) => f.type === 'number');
  const categories = encoding.filter((f): f is Extract<Entry, { vocabulary: string[] }> => f.type !== 'number');
  const value = (name: string) => (row[name] === undefined ? null : row[name]);
  const out: number[] = numbers.map((f) => (value(f.name) === null ? f.fill : (value(f.name) as number)));
  for (const f of numbers) if (f.indicator) out.push(value(f.name) === null ? 1 : 0);
  const block = (f: Extract<Entry, { vocabulary: string[] }>) => {
    const slots = new Array<number>(f.vocabulary.length + 2).fill(0);
    const v = value(f.name);
    const index = v === null ? f.vocabulary.length : f.vocabulary.indexOf(String(v));
    slots[index < 0 ? f.vocabulary.length + 1 : index] = 1;
    return slots;
  };
  for (const f of categories) if (f.encoding === 'one-hot') out.push(...block(f));
  for (const f of categories) if (f.encoding === 'embedding') out.push(...block(f));
  return out;
}

/** A CSV cell as the dataset holds it: empty → null, numbers and booleans typed. */
function cell(name: string, raw: string): unknown {
  if (raw === '') return null;
  if (name === 'tenure' || name === 'monthly' || name === 'value') return Number(raw);
  if (name === 'autopay') return raw === 'true';
  return raw;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const closeRows = (actual: number[][], expected: number[][]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, r) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[r][j], 4)));
};

describe('training on real tables: categories, missing values (e2e)', () => {
  let t: TestApp;
  let engineer: string;
  let consumer: string;
  let runtime: InferenceRuntime;
  let model: LoadedModel;
  let job: TrainingJobDto;
  let encoding: Entry[];
  const table = readFixtureCsv('customers');
  const rows = table.rows.map((r) => Object.fromEntries(table.header.map((h, j) => [h, cell(h, r[j])])));

  async function post(url: string, payload: unknown, token = consumer) {
    return t.app.inject({ method: 'POST', url, headers: authHeader(token), payload: payload as Record<string, unknown> });
  }

  /** What the artifact answers for raw rows, encoded by this test. */
  async function expected(raw: Record<string, unknown>[]): Promise<number[][]> {
    return model.predict(raw.map((r) => encode(encoding, r)));
  }

  beforeAll(async () => {
    t = await startTestApp({
      TRAINING_MAX_UNITS: '64',
      TRAINING_MAX_CATEGORIES: '30',
      TRAINING_CONCURRENCY: '1',
      TRAINING_SWEEP_INTERVAL_SECONDS: '0',
    });
    engineer = await tokenFor(t, 'ml-engineer');
    consumer = await tokenFor(t, 'consumer');
    runtime = await InferenceRuntime.create('cpu');

    const upload = await uploadDataset(t, engineer, csvText(table.header, table.rows), 'customers');
    expect(upload.statusCode).toBe(201);
    const created = await createJob(t, engineer, {
      modelName: 'churn',
      datasetId: upload.json().id,
      task: 'classification',
      features: FEATURES,
      target: 'churn',
      architecture: { hiddenLayers: [32, 16] },
      hyperparameters: {
        epochs: 6,
        batchSize: 64,
        learningRate: 0.02,
        validationSplit: SPLIT,
        seed: SEED,
        missingIndicator: true,
        classWeight: 'balanced',
      },
    });
    expect(created.statusCode).toBe(202);
    job = await waitForJob(t, engineer, created.json().id);
    expect(job).toMatchObject({ status: 'succeeded', error: null });
    const version = await t.app.inject({ method: 'GET', url: '/v1/models/churn/versions/1', headers: authHeader(engineer) });
    encoding = version.json().params.preprocessing.encoding.features;
    model = await runtime.load(await downloadArtifact(t, engineer, 'churn', 1));
  }, 300_000);

  afterAll(async () => {
    model?.dispose();
    await t?.close();
  });

  it('counts missing cells and distinct values per column at upload', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/datasets?limit=1', headers: authHeader(engineer) });
    const dataset = res.json().items[0];
    const missing = (name: string) => rows.filter((r) => r[name] === null).length;
    expect(dataset.columns).toEqual([
      { name: 'tenure', type: 'number', missing: missing('tenure') },
      { name: 'monthly', type: 'number', missing: missing('monthly') },
      { name: 'plan', type: 'string', missing: missing('plan'), distinct: 4 },
      { name: 'region', type: 'string', missing: missing('region'), distinct: 40 },
      { name: 'autopay', type: 'boolean', missing: missing('autopay') },
      { name: 'churn', type: 'string', missing: missing('churn'), distinct: 2 },
      { name: 'value', type: 'number', missing: missing('value') },
    ]);
    expect(missing('tenure')).toBeGreaterThan(300);
  });

  it('learns vocabularies and medians on the training split only, and drops the rows without a target', () => {
    const kept = rows.filter((r) => r.churn !== null);
    const order = permutation(kept.length, seededRandom(deriveSeed(SEED, 1)));
    const valCount = Math.round(kept.length * SPLIT);
    const training = Array.from(order.subarray(valCount), (i) => kept[i]);
    expect(job.report).toMatchObject({ rowsWithoutTarget: rows.length - kept.length });
    expect(job.metrics).toMatchObject({ trainingRows: training.length, validationRows: valCount });

    const frequent = (name: string) => {
      const counts = new Map<string, number>();
      for (const r of training) if (r[name] !== null) counts.set(String(r[name]), (counts.get(String(r[name])) ?? 0) + 1);
      return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([v]) => v);
    };
    const byName = Object.fromEntries(encoding.map((f) => [f.name, f]));
    expect(byName.tenure).toEqual({
      name: 'tenure',
      type: 'number',
      indicator: true,
      fill: median(training.filter((r) => r.tenure !== null).map((r) => r.tenure as number)),
    });
    expect(byName.monthly).toMatchObject({ fill: median(training.filter((r) => r.monthly !== null).map((r) => r.monthly as number)) });
    expect(byName.plan).toEqual({ name: 'plan', type: 'string', vocabulary: frequent('plan'), encoding: 'one-hot' });
    expect(byName.autopay).toEqual({ name: 'autopay', type: 'boolean', vocabulary: frequent('autopay'), encoding: 'one-hot' });
    // 40 regions, capped at TRAINING_MAX_CATEGORIES=30 (the least frequent share <other>), embedded (> 16).
    expect(byName.region).toMatchObject({ type: 'string', vocabulary: frequent('region').slice(0, 30), encoding: 'embedding' });
    expect((byName.region as { embeddingDim: number }).embeddingDim).toBeGreaterThan(1);
  });

  it('predicts raw rows through /v1: category strings, unseen values, nulls and left-out features', async () => {
    const instances = [
      { tenure: 2, monthly: 95.5, plan: 'basic', region: 'r01', autopay: false },
      { tenure: 70, plan: 'enterprise', region: 'never-seen-region', autopay: null },
      { monthly: null },
      {},
      { tenure: 12, monthly: 60, plan: 'premium', region: 'r39', autopay: true },
    ];
    const res = await post('/v1/models/churn/versions/1/predict', { instances });
    expect(res.statusCode).toBe(200);
    closeRows(res.json().predictions, await expected(instances));
    // Lists in feature order take the same raw values.
    const listed = await post('/v1/models/churn/versions/1/predict', {
      instances: [
        [2, 95.5, 'basic', 'r01', false],
        [null, null, 'zzz', null, true],
      ],
    });
    expect(listed.statusCode).toBe(200);
    closeRows(listed.json().predictions, await expected([instances[0], { plan: 'zzz', autopay: true }]));
  });

  it('answers the evaluation report from the version’s own predictions on the validation split', async () => {
    const kept = rows.filter((r) => r.churn !== null);
    const order = permutation(kept.length, seededRandom(deriveSeed(SEED, 1)));
    const validation = Array.from(order.subarray(0, Math.round(kept.length * SPLIT)), (i) => kept[i]);
    const classes = ['churned', 'stayed'];
    const matrix = [
      [0, 0],
      [0, 0],
    ];
    for (let i = 0; i < validation.length; i += 500) {
      const chunk = validation.slice(i, i + 500);
      const res = await post('/v1/models/churn/versions/1/predict', {
        instances: chunk.map(({ churn: _, value: __, ...features }) => features),
      });
      expect(res.statusCode).toBe(200);
      (res.json().predictions as number[][]).forEach((p, k) => matrix[classes.indexOf(chunk[k].churn as string)][p[0] >= p[1] ? 0 : 1]++);
    }
    expect(job.report).toMatchObject({ classes, confusionMatrix: matrix });
    const accuracy = (matrix[0][0] + matrix[1][1]) / validation.length;
    expect((job.report as { accuracy: number }).accuracy).toBeCloseTo(accuracy, 10);
    // Balanced class weights: the rare class is found more often than not.
    expect(matrix[0][0] / (matrix[0][0] + matrix[0][1])).toBeGreaterThan(0.5);
  });

  it('takes raw features through /v2 (BYTES, BOOL, FP32 tensors, any left out) and shows them as its inputs', async () => {
    const meta = await t.app.inject({ method: 'GET', url: '/v2/models/churn/versions/1', headers: authHeader(consumer) });
    expect(meta.json().inputs).toEqual([
      { name: 'tenure', datatype: 'FP32', shape: [-1, 1] },
      { name: 'monthly', datatype: 'FP32', shape: [-1, 1] },
      { name: 'plan', datatype: 'BYTES', shape: [-1, 1] },
      { name: 'region', datatype: 'BYTES', shape: [-1, 1] },
      { name: 'autopay', datatype: 'BOOL', shape: [-1, 1] },
    ]);
    const res = await post('/v2/models/churn/versions/1/infer', {
      inputs: [
        { name: 'tenure', datatype: 'FP32', shape: [2, 1], data: [3, 60] },
        { name: 'plan', datatype: 'BYTES', shape: [2, 1], data: ['basic', 'unheard-of'] },
        { name: 'autopay', datatype: 'BOOL', shape: [2, 1], data: [false, true] },
      ],
    });
    expect(res.statusCode).toBe(200);
    const data = res.json().outputs[0].data as number[];
    closeRows(
      [data.slice(0, 2), data.slice(2, 4)],
      await expected([
        { tenure: 3, plan: 'basic', autopay: false },
        { tenure: 60, plan: 'unheard-of', autopay: true },
      ]),
    );
    const wrong = await post('/v2/models/churn/versions/1/infer', {
      inputs: [{ name: 'plan', datatype: 'FP32', shape: [1, 1], data: [1] }],
    });
    // As for any v2 input: data of the wrong datatype is a malformed request (400), named.
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error).toMatch(/input "plan" is BYTES; FP32 data cannot feed it/);
  });

  it('classifies TF Serving examples and predicts its columnar and row formats with raw values', async () => {
    const examples = [
      { tenure: 1, plan: 'basic', region: 'r02' },
      { tenure: 72, plan: 'mystery' },
    ];
    const classify = await post('/v1/models/churn/versions/1:classify', { examples, context: { autopay: false } });
    expect(classify.statusCode).toBe(200);
    const scores = await expected(examples.map((e) => ({ ...e, autopay: false })));
    classify.json().results.forEach((result: [string, number][], r: number) => {
      expect(result.map(([label]) => label)).toEqual(['churned', 'stayed']);
      result.forEach(([, score], k) => expect(score).toBeCloseTo(scores[r][k], 4));
    });
    const columnar = await post('/v1/models/churn/versions/1:predict', { inputs: { tenure: [2, 70], plan: ['basic', 'premium'] } });
    expect(columnar.statusCode).toBe(200);
    closeRows(
      columnar.json().outputs,
      await expected([
        { tenure: 2, plan: 'basic' },
        { tenure: 70, plan: 'premium' },
      ]),
    );
    const rowsFormat = await post('/v1/models/churn/versions/1:predict', { instances: [{ region: 'r05', autopay: true }] });
    expect(rowsFormat.statusCode).toBe(200);
    closeRows(rowsFormat.json().predictions, await expected([{ region: 'r05', autopay: true }]));
  });

  it('refuses values that cannot be a feature, naming each row and feature (422 problem+json)', async () => {
    const res = await post('/v1/models/churn/versions/1/predict', {
      instances: [{ tenure: 'two', plan: { x: 1 }, colour: 'red' }, { monthly: Number.MAX_VALUE, region: ['r01'] }, 'row', [1, 2]],
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'instances[0].colour',
        'instances[0].tenure',
        'instances[0].plan',
        'instances[1].region',
        'instances[2]',
        'instances[3]',
      ]),
    );
    expect(res.json().detail).toContain('tenure (number), monthly (number), plan (string), region (string), autopay (boolean)');
    const empty = await post('/v1/models/churn/versions/1/predict', { instances: [] });
    expect(empty.statusCode).toBe(422);
  });

  it('a version of numbers only keeps its one input and its drift profile, and fills missing values with medians', async () => {
    const created = await createJob(t, engineer, {
      modelName: 'customer-value',
      datasetId: job.datasetId,
      task: 'regression',
      features: ['tenure', 'monthly'],
      target: 'value',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 2, seed: 3, learningRate: 0.05 },
    });
    expect(created.statusCode).toBe(202);
    const done = await waitForJob(t, engineer, created.json().id);
    expect(done).toMatchObject({ status: 'succeeded', report: { rowsWithoutTarget: rows.filter((r) => r.value === null).length } });
    const url = `/v1/models/customer-value/versions/${done.modelVersion}`;
    const version = (await t.app.inject({ method: 'GET', url, headers: authHeader(engineer) })).json();
    const [tenure, monthly] = version.params.preprocessing.encoding.features;
    expect(version.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 2] }]);
    const profile = await t.app.inject({ method: 'GET', url: `${url}/profile`, headers: authHeader(engineer) });
    expect(profile.statusCode).toBe(200);
    expect(profile.json().features.map((f: { name: string }) => f.name)).toEqual(['tenure', 'monthly']);
    // Profiled again from the dataset: only its complete rows can be sent to the version, so only they count.
    const reprofiled = await t.app.inject({
      method: 'PUT',
      url: `${url}/profile`,
      headers: authHeader(engineer),
      payload: { datasetId: job.datasetId },
    });
    expect(reprofiled.statusCode).toBe(200);
    expect(reprofiled.json().rows).toBe(rows.filter((r) => r.tenure !== null && r.monthly !== null).length);

    const predict = (instances: unknown[]) => post(`${url}/predict`, { instances });
    const filled = await predict([
      [tenure.fill, monthly.fill],
      [10, monthly.fill],
    ]);
    const missing = await predict([{ tenure: null, monthly: null }, { tenure: 10 }, [null, null]]);
    expect(missing.statusCode).toBe(200);
    closeRows(missing.json().predictions, [...filled.json().predictions, filled.json().predictions[0]]);
    // Its v2 input is still the one numeric tensor.
    const v2 = await t.app.inject({
      method: 'GET',
      url: `/v2/models/customer-value/versions/${done.modelVersion}`,
      headers: authHeader(consumer),
    });
    expect(v2.json().inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 2] }]);
  });

  it('refuses a drift profile for a version whose rows are encoded (422 PROFILE_NOT_APPLICABLE), from a dataset or from statistics', async () => {
    const url = '/v1/models/churn/versions/1/profile';
    expect((await t.app.inject({ method: 'GET', url, headers: authHeader(engineer) })).statusCode).toBe(404);
    const fromDataset = await t.app.inject({ method: 'PUT', url, headers: authHeader(engineer), payload: { datasetId: job.datasetId } });
    expect(fromDataset.statusCode).toBe(422);
    expect(fromDataset.json()).toMatchObject({
      code: 'PROFILE_NOT_APPLICABLE',
      detail: expect.stringContaining('categories or missing values'),
    });
    const statistics = await t.app.inject({
      method: 'PUT',
      url,
      headers: authHeader(engineer),
      payload: { features: [{ name: 'tenure', binEdges: [0, 1, 2], binShares: [0.5, 0.5], mean: 1, std: 0.5 }] },
    });
    expect(statistics.statusCode).toBe(422);
    expect(statistics.json().code).toBe('PROFILE_NOT_APPLICABLE');
  });

  it('bounds categories and the encoded width by configuration (422 naming the limit)', async () => {
    const datasetId = job.datasetId;
    const body = (hyperparameters: Record<string, unknown>, features = FEATURES) => ({
      modelName: 'churn-bounds',
      datasetId,
      task: 'classification',
      features,
      target: 'churn',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 1, ...hyperparameters },
    });
    const tooMany = await createJob(t, engineer, body({ maxCategories: 31 }));
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().errors).toEqual([
      { field: 'hyperparameters.maxCategories', message: 'at most 30 categories per feature (TRAINING_MAX_CATEGORIES)' },
    ]);
    const badType = await createJob(t, engineer, body({ maxCategories: 0, missingIndicator: 'yes' }));
    expect(badType.statusCode).toBe(400);
  });
});

describe('training on real tables: the encoded input is bounded (e2e)', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('refuses features that would encode wider than TRAINING_MAX_INPUT_WIDTH, and more cells than TRAINING_MAX_CELLS', async () => {
    t = await startTestApp({ TRAINING_MAX_INPUT_WIDTH: '20', TRAINING_MAX_CELLS: '20000', TRAINING_SWEEP_INTERVAL_SECONDS: '0' });
    const engineer = await tokenFor(t, 'ml-engineer');
    const table = readFixtureCsv('customers');
    const upload = await uploadDataset(t, engineer, csvText(table.header, table.rows), 'customers');
    const res = await createJob(t, engineer, {
      modelName: 'wide',
      datasetId: upload.json().id,
      task: 'classification',
      features: FEATURES,
      target: 'churn',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 1 },
    });
    expect(res.statusCode).toBe(422);
    // 2 numbers + plan (4 + 2) + region (40 + 2) + autopay (2 + 2) = 54 columns.
    expect(res.json().errors).toEqual([
      expect.objectContaining({
        field: 'features',
        message: expect.stringMatching(/up to 54 input columns; at most 20 \(TRAINING_MAX_INPUT_WIDTH\)/),
      }),
    ]);
    // Narrow enough (2 numbers + autopay's 2 values, <missing>, <other> = 6 columns), but 4,000 rows × 6 is over TRAINING_MAX_CELLS.
    const cells = await createJob(t, engineer, {
      modelName: 'wide',
      datasetId: upload.json().id,
      task: 'classification',
      features: ['tenure', 'monthly', 'autopay'],
      target: 'churn',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 1 },
    });
    expect(cells.statusCode).toBe(422);
    expect(cells.json().errors).toEqual([
      {
        field: 'datasetId',
        message: `${table.rows.length} rows × up to 6 encoded input columns exceed 20000 cells (TRAINING_MAX_CELLS): train on fewer rows or features`,
      },
    ]);
  }, 120_000);
});
