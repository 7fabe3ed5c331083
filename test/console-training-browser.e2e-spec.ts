import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { authHeader, createUser, type TestUser } from './support/auth';
import { type ConsoleHarness, openSignedIn, SCREENSHOTS, seriousViolations, startConsole } from './support/console';
import type { TestApp } from './support/test-app';
import { seededRandom } from '../libs/training/src/trainer/seeded-random';
import { createJob, csvText, uploadDataset, waitForJob } from './support/training';

/**
 * The console's Training area (issue 14) in a real browser: datasets uploaded with a preview, a job
 * started from the form and followed live over its event stream, cancellation, and who may see it.
 * Jobs run in the app's own worker threads (no Redis), one at a time (TRAINING_CONCURRENCY=1).
 */

jest.setTimeout(240_000);

const FLOWERS = join(__dirname, 'fixtures', 'flowers.csv');
const COLUMNS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width', 'in_bloom', 'garden', 'species'];
const NUMERIC = COLUMNS.slice(0, 4);

describe('The Training area of the web console in a browser (e2e)', () => {
  let h: ConsoleHarness;
  let t: TestApp;
  let base: string;
  let context: BrowserContext;
  let engineer: TestUser;
  let consumer: TestUser;
  /** A dataset uploaded through the API, for the job tests. */
  let gardenId: string;

  beforeAll(async () => {
    h = await startConsole({
      TRAINING_CONCURRENCY: '1',
      TRAINING_MAX_UNITS: '64',
      TRAINING_MAX_EPOCHS: '2000',
      TRAINING_MAX_CATEGORIES: '50',
    });
    ({ t, base } = h);
    engineer = await createUser(t, 'ml-engineer');
    consumer = await createUser(t, 'consumer');
    const uploaded = await uploadDataset(t, engineer.accessToken, readFileSync(FLOWERS), 'garden-flowers', 'flowers.csv');
    expect(uploaded.statusCode).toBe(201);
    gardenId = uploaded.json().id;
  });

  beforeEach(async () => {
    context = await h.browser.newContext({ viewport: { width: 1280, height: 800 } });
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(async () => {
    await h?.close();
  });

  /** A long job (through the API) that keeps the one training slot busy until it is cancelled. */
  async function startLongJob(datasetId: string, modelName: string): Promise<string> {
    const res = await createJob(t, engineer.accessToken, {
      modelName,
      datasetId,
      task: 'classification',
      features: NUMERIC,
      target: 'species',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 2000, batchSize: 2, seed: 1 },
    });
    expect(res.statusCode).toBe(202);
    const id: string = res.json().id;
    await waitForJob(t, engineer.accessToken, id, (j) => j.status === 'running');
    return id;
  }

  async function cancelAndWait(id: string): Promise<void> {
    const res = await t.app.inject({ method: 'POST', url: `/v1/training-jobs/${id}/cancel`, headers: authHeader(engineer.accessToken) });
    expect(res.statusCode).toBe(202);
    expect((await waitForJob(t, engineer.accessToken, id)).status).toBe('cancelled');
  }

  /** Picks `option` in the react-aria Select labelled `label`. */
  async function pick(page: Page, label: string, option: string | RegExp): Promise<void> {
    await page
      .locator('.field', { has: page.getByText(label, { exact: true }) })
      .getByRole('button')
      .click();
    await page.getByRole('option', { name: option }).click();
  }

  /** The rows of a table (by its caption), cell texts, header row left out. */
  async function rowsOf(page: Page, caption: string): Promise<string[][]> {
    const table = page.getByRole('table', { name: caption });
    await table.waitFor();
    return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
  }

  it('an ML engineer picks a CSV, sees its first rows parsed in the browser, uploads it and sees the inferred column types', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Training' }).click();
    await page.getByRole('heading', { name: 'Training', level: 1 }).waitFor();
    await page.getByText('No training job yet').waitFor();

    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose a file…' }).click();
    await (await chooser).setFiles(FLOWERS);

    // The preview: the header and the first ten rows, quoted fields (commas, doubled quotes) as written.
    const preview = page.getByRole('table', { name: 'Preview of flowers.csv' });
    await preview.waitFor();
    expect(await preview.getByRole('columnheader').allTextContents()).toEqual(COLUMNS);
    const rows = await rowsOf(page, 'Preview of flowers.csv');
    const expected = readFileSync(FLOWERS, 'utf8').split('\n').slice(1, 11);
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual(expected[0].split(','));
    expect(rows.map((r) => r[5])).toContain('Kew "Palm House", London');
    expect(rows.map((r) => r[5])).toContain('North bed, row 1');
    expect(await page.getByLabel('Dataset name').inputValue()).toBe('flowers');
    expect(await seriousViolations(page)).toEqual([]);
    // Nothing is sent before the person asks.
    expect(w.calls.filter((c) => c.path === '/v1/datasets' && c.method === 'POST')).toEqual([]);

    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('Uploaded flowers').waitFor();
    const types = await rowsOf(page, 'Columns of flowers and their inferred types');
    expect(types).toEqual([...NUMERIC.map((c) => [c, 'number']), ['in_bloom', 'boolean'], ['garden', 'string'], ['species', 'string']]);
    expect(w.calls.filter((c) => c.path === '/v1/datasets' && c.method === 'POST')).toEqual([
      { method: 'POST', path: '/v1/datasets', status: 201 },
    ]);

    // The list has it (name, rows, columns, size, created), and its page shows the columns with their types.
    const listed = (await rowsOf(page, 'Datasets')).find((r) => r[0] === 'flowers');
    expect(listed?.slice(1, 3)).toEqual(['150', '7']);
    await page.getByRole('link', { name: 'Open the dataset' }).click();
    await page.getByRole('heading', { name: 'flowers', level: 1 }).waitFor();
    expect(await rowsOf(page, 'Columns of flowers and their inferred types')).toEqual(types);
    await page.getByText('No training job has used this dataset yet.').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    const stored = await t.app.inject({ method: 'GET', url: '/v1/datasets', headers: authHeader(engineer.accessToken) });
    expect(stored.json().items.find((d: { name: string }) => d.name === 'flowers')).toMatchObject({ rows: 150, format: 'csv' });
    expect(w.problems).toEqual([]);
  });

  it('deletes a dataset after a confirmation', async () => {
    const uploaded = await uploadDataset(t, engineer.accessToken, readFileSync(FLOWERS), 'flowers-old', 'flowers.csv');
    const id: string = uploaded.json().id;
    const { page, w } = await openSignedIn(h, context, engineer);
    await page.goto(`${base}/console/training`);
    await page.getByRole('link', { name: 'flowers-old' }).click();
    await page.getByRole('heading', { name: 'flowers-old', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('heading', { name: 'Delete the dataset flowers-old?' }).waitFor();
    await dialog.getByRole('button', { name: 'Delete the dataset' }).click();
    await page.getByRole('heading', { name: 'Training', level: 1 }).waitFor();
    await page.getByRole('table', { name: 'Datasets' }).getByRole('link', { name: 'garden-flowers' }).waitFor();
    expect(await page.getByRole('link', { name: 'flowers-old' }).count()).toBe(0);
    expect(w.calls.filter((c) => c.method === 'DELETE')).toEqual([{ method: 'DELETE', path: `/v1/datasets/${id}`, status: 204 }]);
    const gone = await t.app.inject({ method: 'GET', url: `/v1/datasets/${id}`, headers: authHeader(engineer.accessToken) });
    expect(gone.statusCode).toBe(404);
    expect(w.problems).toEqual([]);
  });

  it('shows the server’s problems: a 422 by field on the new-job form, a 409 when deleting a dataset in use', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    await page.goto(`${base}/console/training/jobs/new?dataset=${gardenId}`);
    await page.getByRole('heading', { name: 'New training job', level: 1 }).waitFor();

    // A name the API would refuse is caught in the browser, without a request.
    const model = page.getByRole('combobox', { name: 'Model' });
    await model.fill('Not A Valid Name');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByText('Lower-case letters, digits').waitFor();
    expect(w.calls.filter((c) => c.path === '/v1/training-jobs')).toEqual([]);

    // A layer wider than TRAINING_MAX_UNITS (64) only the server knows about: 422, shown at the field.
    await model.fill('flowers-wide');
    await page.getByLabel('Hidden layers').fill('128');
    await page.getByRole('button', { name: 'Start training' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The job was not started' });
    await alert.getByText('does not fit the dataset or the configured limits').waitFor();
    const layersField = page.locator('.field', { has: page.getByLabel('Hidden layers') });
    await layersField.getByText('at most 64 units').waitFor();
    expect(await page.getByLabel('Hidden layers').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);

    // A dataset a queued or running job uses cannot be deleted: the dialog says why.
    const busy = await startLongJob(gardenId, 'flowers-busy');
    await page.goto(`${base}/console/training/datasets/${gardenId}`);
    await page.getByRole('heading', { name: 'garden-flowers', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Delete the dataset' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Delete failed' }).waitFor();
    expect(await dialog.getByRole('alert').innerText()).toContain('is used by unfinished training jobs');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    await cancelAndWait(busy);

    expect(w.calls.filter((c) => c.status >= 400).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual([
      'POST /v1/training-jobs 422',
      `DELETE /v1/datasets/${gardenId} 409`,
    ]);
    // Exactly those two answers, and the console lines Chromium writes for them.
    expect(w.problems.filter((p) => !/status of (422|409)/.test(p))).toEqual([
      'answer 422: POST /v1/training-jobs',
      `answer 409: DELETE /v1/datasets/${gardenId}`,
    ]);
  });

  it('starts a job from the form and draws its curves live until it succeeds; a long job is cancelled; the version link works', async () => {
    // A long job holds the one training slot: the new job waits, queued, while its page is already open.
    const longId = await startLongJob(gardenId, 'flowers-long');

    const { page, w } = await openSignedIn(h, context, engineer);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Training' }).click();
    await page.getByRole('link', { name: 'New training job' }).click();
    await page.getByRole('heading', { name: 'New training job', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Model' }).fill('flowers-classifier');
    await pick(page, 'Dataset', /^garden-flowers/);

    // The dataset's columns are offered: every one but the target checked (text and boolean ones too), the target (its last column) not offered as a feature.
    const features = page.getByRole('group', { name: 'Features' });
    await features.waitFor();
    for (const c of COLUMNS.slice(0, -1))
      expect(await features.getByRole('checkbox', { name: new RegExp(`^${c}`) }).isChecked()).toBe(true);
    expect(await features.getByRole('checkbox', { name: /^species/ }).isChecked()).toBe(false);
    expect(await features.getByRole('checkbox', { name: /^species/ }).isDisabled()).toBe(true);
    expect(await page.getByRole('radio', { name: 'Classification' }).isChecked()).toBe(true);

    await page.getByLabel('Epochs').fill('30');
    await page.getByLabel('Batch size').fill('8');
    await page.getByLabel('Learning rate').fill('0.05');
    await page.getByLabel('Seed').fill('7');
    await page.getByRole('button', { name: 'Start training' }).click();

    await page.waitForURL(/\/console\/training\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    await page.getByRole('heading', { name: /Training flowers-classifier/, level: 1 }).waitFor();
    await page.getByText('Queued: waiting for a free worker.').waitFor();
    await page.getByRole('img', { name: /Loss per epoch: no epoch has finished yet/ }).waitFor();
    const created = w.calls.find((c) => c.method === 'POST' && c.path === '/v1/training-jobs');
    expect(created?.status).toBe(202);

    // Count the rows of the numbers' table each time the page changes, to see it grow epoch by epoch.
    await page.getByText(/Numbers per epoch/).click();
    const table = page.getByRole('table', { name: 'Loss and accuracy per epoch' });
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(0);
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { rowCounts: number[] }).rowCounts = seen;
      new MutationObserver(() => {
        const n = document.querySelectorAll('.epochs tbody tr').length;
        if (seen.at(-1) !== n) seen.push(n);
      }).observe(document.body, { childList: true, subtree: true });
    });

    // The long job is cancelled from its own page, in a second tab (signed in on its own: the session is per tab).
    const { page: other, w: w2 } = await openSignedIn(h, context, engineer);
    await other.goto(`${base}/console/training/jobs/${longId}`);
    await other.getByRole('heading', { name: /Training flowers-long/, level: 1 }).waitFor();
    await other.getByText(/Running: epoch \d+ of 2000\./).waitFor();
    await other.getByRole('button', { name: 'Cancel' }).click();
    await other.getByRole('alertdialog').getByRole('button', { name: 'Cancel the job' }).click();
    await other.getByText(/Cancelled after \d+ epochs\./).waitFor();
    await other
      .getByRole('heading', { name: /Training flowers-long/ })
      .getByText('cancelled')
      .waitFor();
    expect(await other.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect((await waitForJob(t, engineer.accessToken, longId)).status).toBe('cancelled');
    expect(w2.calls.filter((c) => c.path.startsWith('/v1/training-jobs') && c.method === 'POST')).toEqual([
      { method: 'POST', path: `/v1/training-jobs/${longId}/cancel`, status: 202 },
    ]);
    expect(w2.problems).toEqual([]);

    // The queued job now runs: its epochs arrive one by one over the event stream.
    await page.waitForFunction(() => document.querySelectorAll('.epochs tbody tr').length >= 1);
    await page.getByText('Succeeded after 30 epochs.').waitFor({ timeout: 120_000 });
    await page
      .getByRole('heading', { name: /Training flowers-classifier/ })
      .getByText('succeeded')
      .waitFor();
    const epochRows = await rowsOf(page, 'Loss and accuracy per epoch');
    expect(epochRows.map((r) => r[0])).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
    for (const r of epochRows) expect(r.slice(1, 5).every((v) => Number.isFinite(Number(v)))).toBe(true);
    const counts = await page.evaluate(() => (window as unknown as { rowCounts: number[] }).rowCounts);
    // It grew while running (not all at once when the job ended), up to every epoch.
    expect(counts.filter((n) => n > 0 && n < 30).length).toBeGreaterThanOrEqual(2);
    expect(counts.at(-1)).toBe(30);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts);

    // Followed with fetch (the SDK's trainingEvents), no polling: one stream, a GET before and after.
    expect(w.calls.filter((c) => c.path === `/v1/training-jobs/${jobId}/events`)).toEqual([
      { method: 'GET', path: `/v1/training-jobs/${jobId}/events`, status: 200 },
    ]);
    const job = await waitForJob(t, engineer.accessToken, jobId);
    expect(job).toMatchObject({ status: 'succeeded', modelVersion: 1, progress: { epoch: 30, epochs: 30 } });
    expect(await page.getByRole('img', { name: /Loss per epoch: 30 of 30 epochs/ }).count()).toBe(1);
    expect(await page.getByRole('img', { name: /Accuracy per epoch: 30 of 30 epochs/ }).count()).toBe(1);
    const metrics = page.getByRole('definition').filter({ hasText: /^\d/ });
    expect(await metrics.count()).toBeGreaterThan(0);
    await page
      .getByRole('term')
      .filter({ hasText: /^accuracy$/ })
      .waitFor();

    expect(await seriousViolations(page)).toEqual([]);
    await page.getByText(/Numbers per epoch/).click();
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'training-job.png') });

    // The registered version, one click away.
    await page.getByRole('link', { name: 'flowers-classifier v1' }).click();
    await page.waitForURL(/\/console\/models\/flowers-classifier\?version=1$/);
    await page.getByRole('heading', { name: 'flowers-classifier', level: 1 }).waitFor();
    await page
      .getByRole('heading', { name: /Version 1/ })
      .getByText('staging')
      .waitFor();
    expect(w.problems).toEqual([]);
  });

  it('an ML engineer sets the training controls (optimizer, early stopping, class weights, missing indicator, max categories) and the job runs with them', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    await page.goto(`${base}/console/training/jobs/new?dataset=${gardenId}`);
    await page.getByRole('heading', { name: 'New training job', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Model' }).fill('flowers-controls');

    // Every column but the target is a feature to start with; the text column says how many values it has.
    const features = page.getByRole('group', { name: 'Features' });
    await features.waitFor();
    await features.getByText('Text and boolean columns are encoded as categories').waitFor();
    for (const c of COLUMNS.slice(0, -1))
      expect(await features.getByRole('checkbox', { name: new RegExp(`^${c}`) }).isChecked()).toBe(true);
    await features
      .locator('label', { hasText: /^garden/ })
      .getByText('4 values')
      .waitFor();
    await features
      .locator('label', { hasText: /^species/ })
      .getByText('3 values')
      .waitFor();
    // flowers.csv has no empty cell: no column says "missing".
    expect(await features.getByText(/\d+ missing/).count()).toBe(0);

    // The controls: the optimizer, early stopping (its fields appear when ticked), balanced class weights, the indicator, max categories.
    const controls = page.getByRole('group', { name: 'Training controls' });
    expect(await controls.getByLabel('Patience').count()).toBe(0);
    await pick(page, 'Optimizer', /^sgd/);
    await controls.getByText('SGD with momentum 0.9').waitFor();
    // Clicked by their labels, as a person does (the inputs themselves are visually hidden).
    const stopEarly = controls.getByRole('checkbox', { name: 'Stop when the validation loss stops improving' });
    await controls.locator('label', { hasText: 'Stop when the validation loss stops improving' }).click();
    expect(await stopEarly.isChecked()).toBe(true);
    expect(await controls.getByLabel('Patience').inputValue()).toBe('5');
    await controls.getByLabel('Patience').fill('3');
    expect(await controls.getByLabel('Min delta').inputValue()).toBe('');
    await controls.locator('label', { hasText: 'Balanced' }).click();
    expect(await controls.getByRole('radio', { name: 'Balanced' }).isChecked()).toBe(true);
    await controls.locator('label', { hasText: /^Missing indicator/ }).click();
    expect(await controls.getByRole('checkbox', { name: /^Missing indicator/ }).isChecked()).toBe(true);
    await controls.getByText('None of the chosen numeric features has empty cells').waitFor();
    await controls.getByLabel('Max categories').fill('5');
    await page.getByLabel('Epochs').fill('20');
    await page.getByLabel('Seed').fill('11');
    await page.getByLabel('Seed').blur();
    expect(await seriousViolations(page)).toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.getByRole('region', { name: 'New training job' }).screenshot({ path: join(SCREENSHOTS, 'new-job.png') });

    // More categories than the server's TRAINING_MAX_CATEGORIES (50): 422, shown at the field.
    await controls.getByLabel('Max categories').fill('51');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByRole('alert').filter({ hasText: 'The job was not started' }).waitFor();
    const maxField = controls.locator('.field', { has: page.getByLabel('Max categories') });
    await maxField.getByText('at most 50 categories per feature (TRAINING_MAX_CATEGORIES)').waitFor();
    expect(await controls.getByLabel('Max categories').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousViolations(page)).toEqual([]);

    // Corrected, the field's server error goes once the person leaves it (and the form may be sent again).
    await controls.getByLabel('Max categories').fill('5');
    await controls.getByLabel('Max categories').press('Tab');
    await maxField.getByText('at most 50 categories').waitFor({ state: 'detached' });
    expect(await controls.getByLabel('Max categories').getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.waitForURL(/\/console\/training\/jobs\/[0-9a-f-]{36}$/);
    const jobId = page.url().split('/').pop()!;
    await page.getByRole('heading', { name: /Training flowers-controls/, level: 1 }).waitFor();

    // The job as the API has it: the controls chosen, minDelta filled in with its default, the text and boolean features kept.
    const res = await t.app.inject({ method: 'GET', url: `/v1/training-jobs/${jobId}`, headers: authHeader(engineer.accessToken) });
    expect(res.statusCode).toBe(200);
    const created = res.json();
    expect(created.features).toEqual(COLUMNS.slice(0, -1));
    expect(created.hyperparameters).toMatchObject({
      epochs: 20,
      seed: 11,
      optimizer: 'sgd',
      earlyStopping: { patience: 3, minDelta: 0 },
      classWeight: 'balanced',
      missingIndicator: true,
      maxCategories: 5,
    });
    expect((await waitForJob(t, engineer.accessToken, jobId)).status).toBe('succeeded');
    await page
      .getByRole('status')
      .filter({ hasText: /Succeeded after \d+/ })
      .waitFor();

    // A dataset with empty cells: the checklist counts them, and the indicator names the numeric features it applies to.
    const withGaps = await uploadDataset(
      t,
      engineer.accessToken,
      csvText(
        ['height', 'colour', 'label'],
        Array.from({ length: 20 }, (_, i) => [i % 5 === 0 ? '' : String(i), i % 2 ? 'red' : 'blue', i % 3 ? 'a' : 'b']),
      ),
      'gaps',
      'gaps.csv',
    );
    expect(withGaps.statusCode).toBe(201);
    await page.goto(`${base}/console/training/jobs/new?dataset=${withGaps.json().id}`);
    await page.getByRole('heading', { name: 'New training job', level: 1 }).waitFor();
    await page
      .getByRole('group', { name: 'Features' })
      .locator('label', { hasText: /^height/ })
      .getByText('4 missing')
      .waitFor();
    await page.getByText('Chosen numeric features with empty cells: height (4 missing).').waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    expect(w.calls.filter((c) => c.status >= 400).map((c) => `${c.method} ${c.path} ${c.status}`)).toEqual(['POST /v1/training-jobs 422']);
    expect(w.problems.filter((p) => !/status of 422/.test(p))).toEqual(['answer 422: POST /v1/training-jobs']);
  });

  it('shows the evaluation report and the early stop on the job page and on the version page', async () => {
    // Two features and a noisy boundary: a model that learns it well, not perfectly, and whose validation loss levels off.
    const random = seededRandom(17);
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const rows = Array.from({ length: 300 }, () => {
      const [a, b] = [normal(), normal()];
      return [a.toFixed(3), b.toFixed(3), a + b + 0.8 * normal() > 0 ? 'yes' : 'no'];
    });
    const uploaded = await uploadDataset(t, engineer.accessToken, csvText(['a', 'b', 'approved'], rows), 'approvals', 'approvals.csv');
    const res = await createJob(t, engineer.accessToken, {
      modelName: 'approvals',
      datasetId: uploaded.json().id,
      task: 'classification',
      features: ['a', 'b'],
      target: 'approved',
      architecture: { hiddenLayers: [8] },
      hyperparameters: { epochs: 300, batchSize: 16, learningRate: 0.02, seed: 3, earlyStopping: { patience: 4, minDelta: 0.001 } },
    });
    expect(res.statusCode).toBe(202);
    const job = await waitForJob(t, engineer.accessToken, res.json().id);
    expect(job).toMatchObject({ status: 'succeeded', stopReason: 'early-stopping' });
    const report = job.report as { classes: string[]; confusionMatrix: number[][]; perClass: { class: string; support: number }[] };
    expect(report.classes).toEqual(['no', 'yes']);
    const matrixCaption = 'Rows: the true class. Columns: the class predicted.';
    /** The matrix as the page shows it: true class, its counts per predicted class, its total. */
    const expectedMatrix = report.confusionMatrix.map((row, i) => [
      report.classes[i],
      ...row.map(String),
      String(row.reduce((a, b) => a + b, 0)),
    ]);
    const matrixRows = (page: Page) =>
      page
        .getByRole('table', { name: matrixCaption })
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));

    const { page, w } = await openSignedIn(h, context, engineer);
    await page.goto(`${base}/console/training/jobs/${job.id}`);
    await page.getByRole('heading', { name: /Training approvals/, level: 1 }).waitFor();
    await page.getByText(`Succeeded after ${job.stoppedEpoch} of 300 epochs: stopped early`).waitFor();
    const section = page.getByRole('region', { name: 'Evaluation report' });
    await section.getByRole('heading', { name: 'Evaluation report', level: 2 }).waitFor();
    await section.getByText(`Stopped early at epoch ${job.stoppedEpoch} of 300`).waitFor();
    await section.getByText(`The weights of epoch ${job.metrics!.bestEpoch}, its lowest validation loss, were kept.`).waitFor();
    expect(await matrixRows(page)).toEqual(expectedMatrix);
    expect(await page.getByRole('table', { name: matrixCaption }).getByRole('columnheader').allTextContents()).toEqual([
      'True \\ predicted',
      'no',
      'yes',
      'Total',
    ]);
    // tbody and tfoot: each class with its support, then the two averages over every validation row.
    const total = String(report.perClass.reduce((a, c) => a + c.support, 0));
    const perClass = await page
      .getByRole('table', { name: 'Precision, recall and F1 per class, with the macro and weighted averages' })
      .locator('tbody tr, tfoot tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())));
    expect(perClass.map((r) => [r[0], r[4]])).toEqual([
      ...report.perClass.map((c) => [c.class, String(c.support)]),
      ['Macro average', total],
      ['Weighted average', total],
    ]);
    await section
      .getByRole('term')
      .filter({ hasText: /^ROC AUC$/ })
      .waitFor();
    await section
      .getByRole('term')
      .filter({ hasText: /^Accuracy$/ })
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await section.screenshot({ path: join(SCREENSHOTS, 'training-report.png') });

    // The version the job registered shows the same report with its metrics.
    await page.getByRole('link', { name: 'approvals v1' }).click();
    await page.getByRole('heading', { name: 'approvals', level: 1 }).waitFor();
    const versionReport = page.getByRole('region', { name: 'Evaluation report' });
    await versionReport.getByRole('heading', { name: 'Evaluation report', level: 3 }).waitFor();
    await versionReport.getByText(`Stopped early at epoch ${job.stoppedEpoch}:`).waitFor();
    expect(await matrixRows(page)).toEqual(expectedMatrix);
    // The report is not repeated as one JSON figure among the metrics.
    expect(
      await page
        .getByRole('term')
        .filter({ hasText: /^report$/ })
        .count(),
    ).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    await versionReport.screenshot({ path: join(SCREENSHOTS, 'version-report.png') });
    expect(w.problems).toEqual([]);
  });

  it('a consumer has no Training section, and an address typed by hand leads to the models without a request', async () => {
    const { page, w } = await openSignedIn(h, context, consumer);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts()).toEqual(['Models']);
    for (const path of ['training', `training/datasets/${gardenId}`, 'training/jobs/new']) {
      await page.goto(`${base}/console/${path}`);
      await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/console/models');
    }
    expect(w.calls.filter((c) => /^\/v1\/(datasets|training-jobs)/.test(c.path))).toEqual([]);
    expect(w.calls.every((c) => c.status < 400)).toBe(true);
    expect(w.problems).toEqual([]);
  });
});
