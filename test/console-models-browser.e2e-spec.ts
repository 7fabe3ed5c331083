import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { authHeader, bootstrapAdmin, createUser, type TestUser } from './support/auth';
import { type ConsoleHarness, seriousViolations, openSignedIn, SCREENSHOTS, startConsole } from './support/console';
import { createModel, FIXTURES, fixtureFiles, transition, uploadVersion } from './support/registry';

/**
 * The console's model pages (issue 14) in a real browser: upload a version by drag and drop or by
 * choosing files (with progress), try a version, set a canary and an alias, see a deprecated version's
 * sunset with its countdown and traffic and move it; the models list's request counts for admins; and
 * no serious accessibility violation (axe-core) on these pages.
 */

jest.setTimeout(180_000);

describe('Model pages of the web console in a browser (e2e)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let admin: TestUser;
  let engineer: TestUser;
  let consumer: TestUser;

  beforeAll(async () => {
    h = await startConsole();
    admin = await bootstrapAdmin(h.t);
    engineer = await createUser(h.t, 'ml-engineer');
    consumer = await createUser(h.t, 'consumer');
    const { t } = h;
    await createModel(t, engineer.accessToken, 'iris', { task: 'classification', tags: ['tabular'] });
    const labels = JSON.stringify(['setosa', 'versicolor', 'virginica']);
    for (let v = 1; v <= 2; v++) expect((await uploadVersion(t, engineer.accessToken, 'iris', undefined, { labels })).statusCode).toBe(201);
    for (const to of ['staging', 'production']) expect((await transition(t, engineer.accessToken, 'iris', 1, { to })).statusCode).toBe(200);
    expect((await transition(t, engineer.accessToken, 'iris', 2, { to: 'staging' })).statusCode).toBe(200);
    await createModel(t, engineer.accessToken, 'empty-model');
    // Three requests reach iris v1 before anyone opens the console.
    for (let i = 0; i < 3; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/models/iris/predict',
        headers: authHeader(consumer.accessToken),
        payload: { instances: [[5.1, 3.5, 1.4, 0.2]] },
      });
      expect(res.statusCode).toBe(200);
    }
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

  const openModel = async (page: Page, name: string) => {
    await page.getByRole('link', { name, exact: true }).click();
    await page.getByRole('heading', { name, level: 1 }).waitFor();
  };

  it('the sign-in page has no serious axe violation', async () => {
    const page = await context.newPage();
    await page.goto(`${h.base}/console/`);
    await page.getByRole('heading', { name: 'Sign in to ModelGate' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('an admin sees each model’s requests over the last day in the list; the list and a model page have no serious axe violation', async () => {
    const { page, w } = await openSignedIn(h, context, admin);
    const iris = page.getByRole('row', { name: /iris/ });
    await iris.getByRole('cell', { name: '3', exact: true }).waitFor();
    expect(await page.getByRole('columnheader', { name: 'Requests (24 h)' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await openModel(page, 'iris');
    await page.getByRole('heading', { name: /Version 1/ }).waitFor();
    await page.getByRole('heading', { name: 'Rollout' }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  it('an ML engineer uploads a version by choosing model.json and its weights, and sees the upload progress', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    await openModel(page, 'empty-model');
    await page.getByText('This model has no version yet').waitFor();
    // The answer is held back a moment, so that the finished upload (100 %) can be seen before it.
    await page.route('**/v1/models/empty-model/versions', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return route.continue();
    });
    await page.getByRole('button', { name: 'Upload a version' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .locator('input[type=file]')
      .setInputFiles([join(FIXTURES, 'classifier', 'model.json'), join(FIXTURES, 'classifier', 'group1-shard1of1.bin')]);
    const files = dialog.getByRole('list', { name: 'Files to upload' });
    expect(await files.getByRole('listitem').allInnerTexts()).toEqual([
      expect.stringContaining('model.json'),
      expect.stringContaining('group1-shard1of1.bin'),
    ]);
    await dialog.getByLabel(/Class labels/).fill('setosa, versicolor, virginica');
    await dialog.getByLabel('Description').fill('uploaded from the console');
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    const progress = dialog.getByRole('progressbar', { name: 'Upload progress' });
    await progress.waitFor();
    // Progress is measured (not an indeterminate bar): the body was sent in full, the server is checking the model.
    await page.waitForFunction(() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') === '100');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: /Version 1/ }).waitFor();
    await page.getByText('uploaded from the console').waitFor();
    const stored = await h.t.app.inject({
      method: 'GET',
      url: '/v1/models/empty-model/versions/1',
      headers: authHeader(engineer.accessToken),
    });
    expect(stored.json()).toMatchObject({
      stage: 'draft',
      labels: ['setosa', 'versicolor', 'virginica'],
      description: 'uploaded from the console',
    });
    expect(w.problems).toEqual([]);
  });

  it('an ML engineer drops an archive on the drop zone; a wrong set of files is explained before anything is sent', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    await openModel(page, 'iris');
    await page.getByRole('button', { name: 'Upload a version' }).click();
    const dialog = page.getByRole('dialog');
    // A weights file alone: the dialog says what is missing and does not offer to upload.
    await dialog.locator('input[type=file]').setInputFiles(join(FIXTURES, 'classifier', 'group1-shard1of1.bin'));
    await dialog.getByText('model.json is missing').waitFor();
    expect(await dialog.getByRole('button', { name: 'Upload', exact: true }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Remove group1-shard1of1.bin' }).click();

    // A real drag of a file from the desktop, through the DevTools protocol (a synthetic DataTransfer's
    // files are not file-system entries, and drop zones rightly ignore them).
    const zone = dialog.locator('.dropzone');
    const box = (await zone.boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const drag = { items: [], files: [join(FIXTURES, 'classifier.zip')], dragOperationsMask: 1 };
    for (const type of ['dragEnter', 'dragOver', 'drop'] as const)
      await cdp.send('Input.dispatchDragEvent', { type, x: box.x + box.width / 2, y: box.y + box.height / 2, data: drag });
    await dialog.getByRole('list', { name: 'Files to upload' }).getByText('classifier.zip').waitFor();
    await dialog.getByRole('button', { name: 'Upload', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: /Version 3/ }).waitFor();
    expect(w.problems).toEqual([]);
  });

  it('a consumer tries the production version from the page: answer, labels, version and time', async () => {
    const { page, w } = await openSignedIn(h, context, consumer);
    await openModel(page, 'iris');
    await page.getByRole('heading', { name: /Version 1/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Upload a version' }).count()).toBe(0);
    await page.getByLabel('Rows (JSON array)').fill('[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]');
    await page.getByRole('button', { name: 'Predict' }).click();
    const answer = page.getByLabel('Prediction answer');
    await answer.getByText(/Answered by v1 in \d+ ms/).waitFor();
    expect(await answer.innerText()).toMatch(/labels: (setosa|versicolor|virginica), (setosa|versicolor|virginica)/);
    // Bad input: the problem's detail, never a crash.
    await page.getByLabel('Rows (JSON array)').fill('[[1, 2]]');
    await page.getByRole('button', { name: 'Predict' }).click();
    await page.getByRole('alert').filter({ hasText: 'The prediction failed' }).waitFor();
    // The consumer reads the rollout but cannot change it.
    await page.getByRole('heading', { name: 'Canary' }).waitFor();
    expect(await page.getByRole('button', { name: /Start canary|Set alias/ }).count()).toBe(0);
    // The one refused prediction, as the browser reports it, and nothing else.
    expect(w.problems).toEqual([
      'answer 422: POST /v1/models/iris/versions/1/predict',
      'console error: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)',
    ]);
  });

  it('an ML engineer sends 25 % of production traffic to a canary, sets and removes an alias', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    await openModel(page, 'iris');
    await page.getByText('No canary').waitFor();
    await page.getByLabel('Share (%)').fill('25');
    await page.getByRole('button', { name: 'Start canary' }).click();
    await page.getByText(/25% of production requests go to v2/).waitFor();
    const traffic = await h.t.app.inject({ method: 'GET', url: '/v1/models/iris/traffic', headers: authHeader(engineer.accessToken) });
    expect(traffic.json()).toEqual({ canary: { version: 2, percent: 25 } });
    await page.getByRole('button', { name: 'Stop canary' }).click();
    await page.getByText('No canary').waitFor();

    await page.getByLabel('Alias', { exact: true }).fill('champion');
    await page.getByRole('button', { name: 'Set alias' }).click();
    const aliases = page.getByRole('table', { name: 'Aliases of iris' });
    await aliases.getByRole('row', { name: /champion/ }).waitFor();
    await page.getByRole('button', { name: 'Remove alias champion' }).click();
    await aliases.getByRole('row', { name: /champion/ }).waitFor({ state: 'detached' });
    expect(w.problems).toEqual([]);
  });

  it('a deprecated version shows its sunset with a countdown and its traffic; an ML engineer moves the date', async () => {
    // v2 replaces v1 in production: v1 is deprecated with the default sunset.
    expect((await transition(h.t, engineer.accessToken, 'iris', 2, { to: 'production', reason: 'better' })).statusCode).toBe(200);
    const { page: adminPage } = await openSignedIn(h, context, admin);
    await adminPage.goto(`${h.base}/console/models/iris?version=1`);
    const sunset = adminPage.getByRole('region', { name: 'Sunset' });
    await sunset.getByText(/Retires on .* \(in \d+ days?/).waitFor();
    const usage = await h.t.app.inject({ method: 'GET', url: '/v1/usage?groupBy=version', headers: authHeader(admin.accessToken) });
    const v1 = usage.json().items.find((i: { key: string }) => i.key === 'iris:1');
    expect(v1.requests).toBeGreaterThanOrEqual(3);
    await sunset.getByLabel('Traffic still reaching this version').getByText(`Last 7 days: ${v1.requests} requests`).waitFor();
    await adminPage.screenshot({ path: join(SCREENSHOTS, 'model-sunset.png'), fullPage: true });

    const { page, w } = await openSignedIn(h, context, engineer);
    await page.goto(`${h.base}/console/models/iris?version=1`);
    const moved = new Date(Date.now() + 40 * 24 * 3600_000);
    moved.setSeconds(0, 0);
    const pad = (n: number) => String(n).padStart(2, '0');
    const local = `${moved.getFullYear()}-${pad(moved.getMonth() + 1)}-${pad(moved.getDate())}T${pad(moved.getHours())}:${pad(moved.getMinutes())}`;
    const panel = page.getByRole('region', { name: 'Sunset' });
    await panel.getByLabel('New sunset date').fill(local);
    await panel.getByRole('button', { name: 'Move the sunset' }).click();
    await panel.getByText(/\(in (39|40) days/).waitFor();
    const stored = await h.t.app.inject({ method: 'GET', url: '/v1/models/iris/versions/1', headers: authHeader(engineer.accessToken) });
    expect(new Date(stored.json().sunsetAt).getTime()).toBe(moved.getTime());
    // Only admins read usage: the engineer was not sent that request.
    expect(w.calls.filter((c) => c.path === '/v1/usage')).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  it('a version whose signature differs from production’s shows the differences; an engineer cannot override them, an admin can', async () => {
    const { t } = h;
    await createModel(t, engineer.accessToken, 'guarded');
    for (const fixture of ['classifier', 'mlp-bench']) {
      const up = await uploadVersion(t, engineer.accessToken, 'guarded', fixtureFiles(fixture));
      expect(up.statusCode).toBe(201);
      expect((await transition(t, engineer.accessToken, 'guarded', up.json().version, { to: 'staging' })).statusCode).toBe(200);
    }
    expect((await transition(t, engineer.accessToken, 'guarded', 1, { to: 'production' })).statusCode).toBe(200);
    const difference = /inputs\.features\.shape: shape \[-1, 32\] differs from production's \[-1, 4\]/;

    const engineerSide = await openSignedIn(h, context, engineer);
    await engineerSide.page.goto(`${h.base}/console/models/guarded?version=2`);
    const note = engineerSide.page.getByRole('note', { name: 'Signature differences from production' });
    await note.getByText(difference).waitFor();
    await engineerSide.page.getByRole('button', { name: 'Promote to production' }).click();
    const dialog = engineerSide.page.getByRole('alertdialog');
    await dialog.getByText('Only an admin can promote it over these differences.').waitFor();
    expect(await dialog.getByRole('checkbox').count()).toBe(0);
    await dialog.getByLabel(/Reason/).fill('wider inputs');
    await dialog.getByRole('button', { name: 'Confirm: promote to production' }).click();
    await dialog
      .getByRole('alert')
      .getByText(/differs from production version 1/)
      .waitFor();
    expect(engineerSide.w.problems).toEqual([
      'answer 409: POST /v1/models/guarded/versions/2/transitions',
      'console error: Failed to load resource: the server responded with a status of 409 (Conflict)',
    ]);

    const { page, w } = await openSignedIn(h, context, admin);
    await page.goto(`${h.base}/console/models/guarded?version=2`);
    await page.getByRole('button', { name: 'Promote to production' }).click();
    const adminDialog = page.getByRole('alertdialog');
    await adminDialog.getByText(difference).waitFor();
    // The box's label is what a person clicks (the input itself is visually hidden).
    await adminDialog.getByText(/Promote anyway/).click();
    expect(await adminDialog.getByRole('checkbox', { name: /Promote anyway/ }).isChecked()).toBe(true);
    await adminDialog.getByLabel(/Reason/).fill('callers migrated to 32 features');
    await adminDialog.getByRole('button', { name: 'Confirm: promote to production' }).click();
    await adminDialog.waitFor({ state: 'detached' });
    await page
      .getByRole('heading', { name: /Version 2/ })
      .getByText('production')
      .waitFor();
    const audit = await t.app.inject({
      method: 'GET',
      url: '/v1/audit-events?action=model-version.transitioned&limit=100',
      headers: authHeader(admin.accessToken),
    });
    const forced = audit
      .json()
      .items.find((e: { details: { model?: string; forced?: boolean } }) => e.details.model === 'guarded' && e.details.forced);
    expect(forced?.details.signatureChanges).toEqual([
      { field: 'inputs.features.shape', message: "shape [-1, 32] differs from production's [-1, 4]" },
    ]);
    expect(w.problems).toEqual([]);
  });
});
