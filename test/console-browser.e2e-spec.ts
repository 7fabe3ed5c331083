import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { authHeader, bootstrapAdmin, createUser, type TestUser } from './support/auth';
import { type ConsoleHarness, SCREENSHOTS, signIn, startConsole, watch } from './support/console';
import { createModel, transition, uploadVersion } from './support/registry';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The web console (issue 14) in a real browser (Debian's Chromium), served by the real app at
 * /console/ on a host name that is not localhost, over plain HTTP. The suite builds the console once
 * into a directory of its own (CONSOLE_DIR), so it runs from sources like every other suite.
 */

jest.setTimeout(180_000);

describe('The web console in a browser (e2e)', () => {
  let h: ConsoleHarness;
  let t: TestApp;
  let base: string;
  let context: BrowserContext;
  let admin: TestUser;
  let engineer: TestUser;
  let consumer: TestUser;

  /** What an app without a built console answers (asked first: two embedded databases cannot live in one process at once). */
  let unbuilt: { status: number; contentType: unknown; body: unknown };

  beforeAll(async () => {
    const bare = await startTestApp({ CONSOLE_DIR: join(tmpdir(), 'modelgate-console-not-built') });
    try {
      const res = await bare.app.inject({ method: 'GET', url: '/console/models' });
      unbuilt = { status: res.statusCode, contentType: res.headers['content-type'], body: res.json() };
    } finally {
      await bare.close();
    }
    h = await startConsole();
    ({ t, base } = h);
    admin = await bootstrapAdmin(t);
    engineer = await createUser(t, 'ml-engineer');
    consumer = await createUser(t, 'consumer');
    // A model with a version in staging, ready to promote; and a second model for the list.
    await createModel(t, engineer.accessToken, 'iris', { task: 'classification', tags: ['tabular', 'demo'], description: 'Iris species' });
    const uploaded = await uploadVersion(t, engineer.accessToken, 'iris', undefined, { metrics: JSON.stringify({ accuracy: 0.96 }) });
    expect(uploaded.statusCode).toBe(201);
    expect((await transition(t, engineer.accessToken, 'iris', 1, { to: 'staging', reason: 'offline evaluation passed' })).statusCode).toBe(
      200,
    );
    expect((await uploadVersion(t, engineer.accessToken, 'iris')).statusCode).toBe(201);
    await createModel(t, engineer.accessToken, 'house-prices', { task: 'regression', tags: ['tabular'] });
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

  describe('served at /console/', () => {
    it('GET / redirects to the console', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/' });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/console/');
    });

    it('index.html is not cached, hashed assets are cached immutably, and both carry a CSP of the console’s own files', async () => {
      const index = await t.app.inject({ method: 'GET', url: '/console/' });
      expect(index.statusCode).toBe(200);
      expect(index.headers['content-type']).toMatch(/^text\/html/);
      expect(index.headers['cache-control']).toBe('no-cache');
      const csp = String(index.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).not.toContain('upgrade-insecure-requests');

      const assets = [...index.body.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
      expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
      expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
      for (const url of assets) {
        const asset = await t.app.inject({ method: 'GET', url });
        expect({ url, status: asset.statusCode }).toEqual({ url, status: 200 });
        expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(asset.headers['content-security-policy']).toBe(csp);
      }
    });

    it('client-side routes fall back to index.html; a missing asset is a 404', async () => {
      const route = await t.app.inject({ method: 'GET', url: '/console/models/iris?version=1' });
      expect(route.statusCode).toBe(200);
      expect(route.body).toContain('<div id="root"></div>');
      expect(route.headers['cache-control']).toBe('no-cache');
      const missing = await t.app.inject({ method: 'GET', url: '/console/assets/missing-0000.js' });
      expect(missing.statusCode).toBe(404);
      expect(String(missing.headers['cache-control'] ?? '')).not.toContain('immutable');
    });

    it('without a build, /console/ is a 503 problem that says to run npm run build', () => {
      expect(unbuilt.status).toBe(503);
      expect(unbuilt.contentType).toMatch(/^application\/problem\+json/);
      expect(unbuilt.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: expect.stringContaining('npm run build') });
    });
  });

  it('a signed-out first visit over plain HTTP on a non-loopback host shows the sign-in form and makes no API request', async () => {
    const page = await context.newPage();
    const w = watch(page);
    const res = await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/console/`);
    expect(res?.status()).toBe(200);
    await page.getByRole('heading', { name: 'Sign in to ModelGate' }).waitFor();
    expect(w.calls).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  it('signs in and opens a model with the keyboard alone', async () => {
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/console/`);
    await page.getByRole('heading', { name: 'Sign in to ModelGate' }).waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.type(engineer.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(engineer.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    // The first stop is the skip link, which moves focus to the page's content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    const iris = page.getByRole('link', { name: 'iris' });
    await iris.waitFor();
    await iris.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'iris', level: 1 }).waitFor();
    expect(w.problems).toEqual([]);
  });

  it('shows the problem’s detail when the password is wrong', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/console/`);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
  });

  it('an admin signs in, browses to a model and promotes a version with a reason; the timeline shows who, when and why', async () => {
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/console/`);
    await signIn(page, admin);

    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allInnerTexts()).toEqual([
      'Models',
      'Training',
      'Approvals',
      'Sunsets',
      'Usage',
      'Users',
      'API keys',
      'Audit',
    ]);
    const rows = page.locator('table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'models.png') });

    // Search narrows the list.
    await page.getByRole('searchbox', { name: 'Search models' }).fill('iri');
    await page.waitForURL(/q=iri/);
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);

    await page.getByRole('link', { name: 'iris' }).click();
    await page.getByRole('heading', { name: 'iris', level: 1 }).waitFor();
    // No production version yet: the latest (v2, a draft) is shown first.
    await page.getByRole('heading', { name: /Version 2/ }).waitFor();
    await page.getByRole('link', { name: 'v1', exact: true }).click();
    await page.getByRole('heading', { name: /Version 1/ }).waitFor();
    await page.getByText('offline evaluation passed').waitFor();

    await page.getByRole('button', { name: 'Promote to production' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByLabel(/Reason/).fill('A/B test won: +2% accuracy');
    await dialog.getByRole('button', { name: 'Confirm: promote to production' }).click();
    await dialog.waitFor({ state: 'detached' });

    const timeline = page.getByRole('list', { name: 'Stage history of version 1' });
    await timeline.getByText('A/B test won: +2% accuracy').waitFor();
    expect(await timeline.locator('li').first().innerText()).toContain(admin.email);
    await page
      .getByRole('heading', { name: /Version 1/ })
      .getByText('production')
      .waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'model.png'), fullPage: true });

    const stored = await t.app.inject({ method: 'GET', url: '/v1/models/iris/versions/1', headers: authHeader(admin.accessToken) });
    expect(stored.json().stage).toBe('production');
    expect(w.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/transitions'))).toEqual([
      { method: 'POST', path: '/v1/models/iris/versions/1/transitions', status: 200 },
    ]);
    expect(w.problems).toEqual([]);
  });

  it('a consumer sees no administration and no stage actions, and is sent no request it may not make', async () => {
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/console/`);
    await signIn(page, consumer);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link').allInnerTexts()).toEqual(['Models']);
    expect(await page.getByRole('button', { name: 'New model' }).count()).toBe(0);

    await page.getByRole('link', { name: 'iris' }).click();
    for (const version of [1, 2]) {
      await page.getByRole('link', { name: `v${version}`, exact: true }).click();
      await page.getByRole('heading', { name: new RegExp(`Version ${version}`) }).waitFor();
      await page.getByRole('list', { name: `Stage history of version ${version}` }).waitFor();
      expect(await page.getByRole('group', { name: 'Stage actions' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /Promote|Retire|Deprecate|Roll back/ }).count()).toBe(0);
    }

    // An administration address typed by hand leads back to the models, without a call.
    await page.goto(`${base}/console/users`);
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    expect(w.calls.every((c) => c.status < 400)).toBe(true);
    expect(w.problems).toEqual([]);
  });

  it('an ML engineer creates a model from the list', async () => {
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/console/`);
    await signIn(page, engineer);
    await page.getByRole('button', { name: 'New model' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('fraud-detector');
    await dialog.getByLabel('Task').fill('classification');
    await dialog.getByLabel(/Tags/).fill('payments, tabular');
    await dialog.getByRole('button', { name: 'Create model' }).click();
    await page.getByRole('heading', { name: 'fraud-detector', level: 1 }).waitFor();
    await page.getByText('This model has no version yet').waitFor();
    expect(w.problems).toEqual([]);
  });

  it('keeps the session over a reload (refresh token in sessionStorage only), and signing out revokes it', async () => {
    const page = await context.newPage();
    const w = watch(page);
    await page.goto(`${base}/console/`);
    await signIn(page, engineer);
    const storage = await page.evaluate(() => ({
      local: Object.keys(localStorage),
      session: Object.entries(sessionStorage),
    }));
    expect(storage.local).toEqual([]);
    expect(storage.session).toHaveLength(1);
    const [, refreshToken] = storage.session[0];

    await page.reload();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    expect(w.calls.filter((c) => c.path === '/v1/auth/refresh')).toEqual([{ method: 'POST', path: '/v1/auth/refresh', status: 200 }]);
    const renewed = await page.evaluate(() => Object.values(sessionStorage)[0]);
    expect(renewed).not.toBe(refreshToken);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to ModelGate' }).waitFor();
    expect(w.calls.filter((c) => c.path === '/v1/auth/logout')).toEqual([expect.objectContaining({ status: 204 })]);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    const reuse = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: renewed } });
    expect(reuse.statusCode).toBe(401);
    expect(w.problems).toEqual([]);
  });
});
