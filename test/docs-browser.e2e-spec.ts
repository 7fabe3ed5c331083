import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { apiKeyFor, authHeader, createUser, type TestUser } from './support/auth';
import { createModel, FIXTURES } from './support/registry';
import { startTestApp, type TestApp } from './support/test-app';
import { BROWSER_HOST, chromiumOptions } from './support/browser';

/**
 * Swagger UI, in a real browser (Debian's Chromium), on a host name that is not localhost, over plain
 * HTTP: the way client teams open it on a shared environment. The page must load (no
 * upgrade-insecure-requests), and a version upload filled in as a person fills the form (labels typed
 * as `red,green,blue`, the other fields left empty, the archive input left empty) must answer 201.
 */

const HOST = BROWSER_HOST;

jest.setTimeout(180_000);

describe('Swagger UI in a browser (e2e)', () => {
  let t: TestApp;
  let base: string;
  let engineer: TestUser;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  /** Requests the page made to the API, with the headers it sent. */
  const sent: { method: string; url: string; headers: Record<string, string> }[] = [];
  const failures: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://${HOST}:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    engineer = await createUser(t, 'ml-engineer');
    await createModel(t, engineer.accessToken, 'iris');

    profile = mkdtempSync(join(tmpdir(), 'modelgate-chromium-'));
    context = await chromium.launchPersistentContext(profile, chromiumOptions);
    page = await watch(context.pages()[0] ?? (await context.newPage()));
  });

  /** Records the page's API requests and failures, and brings it to the front. */
  async function watch(opened: Page): Promise<Page> {
    opened.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/v1/'))
        sent.push({ method: request.method(), url: request.url(), headers: request.headers() });
    });
    opened.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
    opened.on('pageerror', (error) => failures.push(`page error: ${error.message}`));
    await opened.bringToFront();
    return opened;
  }

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await t?.close();
  });

  const operation = (tag: string, operationId: string) => page.locator(`#operations-${tag.replace(/ /g, '_')}-${operationId}`);

  /** Opens an operation (unless a deep link already did), switches it to "Try it out". */
  async function tryOut(op: Locator): Promise<void> {
    if (!(await op.evaluate((el) => el.classList.contains('is-open')))) await op.locator('.opblock-summary').first().click();
    await op.locator('.try-out__btn').click();
  }

  /** Executes and waits for the live response; returns its status and body. */
  async function execute(op: Locator): Promise<{ status: number; body: string }> {
    await op.locator('button.execute').click();
    const live = op.locator('.live-responses-table tbody tr.response').first();
    await live.waitFor({ timeout: 60_000 });
    const status = Number((await live.locator('.response-col_status').innerText()).trim());
    const body = await live.locator('.response-col_description .microlight, .response-col_description pre').first().innerText();
    return { status, body };
  }

  /** Authorizes one scheme in the dialog. */
  async function authorize(inputSelector: string, value: string): Promise<void> {
    await page.locator('.scheme-container button.authorize').click();
    const scheme = page.locator('.auth-container', { has: page.locator(inputSelector) });
    await scheme.locator(inputSelector).fill(value);
    await scheme.locator('button.authorize').click();
    await page.locator('.modal-ux button.close-modal').click();
  }

  it('renders over plain HTTP on a non-loopback host name: every operation, the filter, the link to the raw document', async () => {
    const response = await page.goto(`${base}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).not.toContain('upgrade-insecure-requests');
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    const expected = Object.values(buildOpenApiDocument(t.app).paths).reduce((n, item) => n + Object.keys(item as object).length, 0);
    expect(await page.locator('.opblock').count()).toBe(expected);
    await expect(page.locator('.info .title').innerText()).resolves.toContain('ModelGate');
    expect(await page.locator('.info a[href="/docs/openapi.json"]').count()).toBe(1);
    expect(await page.locator('.operation-filter-input').count()).toBe(1);
    expect(failures).toEqual([]);
  });

  it('uploads a version from the form: bearer token, model.json + weights, labels typed as red,green,blue, the rest left empty → 201', async () => {
    await authorize('#auth-bearer-value', engineer.accessToken);
    const op = operation('model versions', 'uploadModelVersion');
    await tryOut(op);
    await op.locator('tr[data-param-name="name"] input').fill('iris');
    // The optional fields start empty, and stay so.
    const texts = op.locator('tr[data-property-name] input[type=text]');
    expect(await texts.evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toEqual(['', '', '', '']);
    // `files` starts with no file input: one per file is added.
    const files = op.locator('tr[data-property-name="files"]');
    expect(await files.locator('input[type=file]').count()).toBe(0);
    for (const [i, file] of ['model.json', 'group1-shard1of1.bin'].entries()) {
      await files.locator('button.json-schema-form-item-add').click();
      await files
        .locator('input[type=file]')
        .nth(i)
        .setInputFiles(join(FIXTURES, 'classifier', file));
    }
    await op.locator('tr[data-property-name="labels"] input[type=text]').fill('red,green,blue');

    const { status, body } = await execute(op);
    expect({ status, body: status === 201 ? '' : body }).toEqual({ status: 201, body: '' });
    expect(JSON.parse(body)).toMatchObject({ model: 'iris', version: 1, stage: 'draft', labels: ['red', 'green', 'blue'], metrics: {} });
    const stored = await t.app.inject({ method: 'GET', url: '/v1/models/iris/versions/1', headers: authHeader(engineer.accessToken) });
    expect(stored.json().labels).toEqual(['red', 'green', 'blue']);
  });

  it('keeps the authorization in a new tab, and uploads one archive with the files input left empty → 201', async () => {
    // A new tab rather than page.reload(): a reloaded page in headless chromium now and then stops
    // producing animation frames, and every click then waits forever for the element to be "stable".
    const previous = page;
    page = await watch(await context.newPage());
    await previous.close();
    await page.goto(`${base}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 60_000 });
    const op = operation('model versions', 'uploadModelVersion');
    await tryOut(op);
    await op.locator('tr[data-param-name="name"] input').fill('iris');
    await op.locator('tr[data-property-name="archive"] input[type=file]').setInputFiles(join(FIXTURES, 'classifier.zip'));
    const { status, body } = await execute(op);
    expect({ status, body: status === 201 ? '' : body }).toEqual({ status: 201, body: '' });
    expect(JSON.parse(body)).toMatchObject({ model: 'iris', version: 2 });
    const upload = sent.filter((r) => r.method === 'POST' && r.url.endsWith('/v1/models/iris/versions')).at(-1);
    expect(upload?.headers.authorization).toBe(`Bearer ${engineer.accessToken}`);
  });

  it('with both schemes authorized, sends only the bearer token, and the call works', async () => {
    await authorize('#api_key_value', await apiKeyFor(t, 'consumer'));
    const op = operation('auth', 'getMe');
    await tryOut(op);
    const { status, body } = await execute(op);
    expect({ status, body: status === 200 ? '' : body }).toEqual({ status: 200, body: '' });
    // The bearer token won: the caller is the engineer, not the API key's service account.
    expect(JSON.parse(body)).toMatchObject({ email: engineer.email, roles: ['ml-engineer'] });
    const me = sent.filter((r) => r.url.endsWith('/v1/auth/me')).at(-1);
    expect(me?.headers.authorization).toBe(`Bearer ${engineer.accessToken}`);
    expect(me?.headers['x-api-key']).toBeUndefined();
    expect(failures).toEqual([]);
  });
});
