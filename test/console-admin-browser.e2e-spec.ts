import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, createUser, type TestUser } from './support/auth';
import { chromiumOptions } from './support/browser';
import { type ConsoleHarness, openSignedIn, SCREENSHOTS, seriousViolations, signIn, startConsole, watch } from './support/console';
import type { TestApp } from './support/test-app';

/**
 * The console's administration (issue 14): users, API keys and the audit log, in a real browser,
 * against the real app. The tests are one story, in order: what the first ones do (a user, keys)
 * is what the audit log is then expected to show.
 */

jest.setTimeout(240_000);

const VIEWPORT = { width: 1280, height: 800 };

describe('The console’s administration in a browser (e2e)', () => {
  let h: ConsoleHarness;
  let t: TestApp;
  let base: string;
  /**
   * A second chromium that treats the app's origin as secure, as it is when served over HTTPS: the
   * Clipboard API exists only in secure contexts, and the suite's origin is plain HTTP on a
   * non-loopback name (where the console falls back to selecting the text: tested too).
   */
  let secure: Browser;
  let admin: TestUser;
  let engineer: TestUser;
  let consumer: TestUser;
  const contexts: BrowserContext[] = [];

  /** What the story made, for the audit log's checks. */
  const made = { userId: '', userEmail: 'grace@modelgate.test', keyId: '', keyName: 'scoring-service' };

  async function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: VIEWPORT, ...options });
    contexts.push(context);
    return context;
  }

  /** A fresh tab (its own sessionStorage) on the sign-in page. */
  async function signInPage(): Promise<Page> {
    const page = await (await newContext(h.browser)).newPage();
    await page.goto(`${base}/console/`);
    return page;
  }

  function userRow(page: Page, email: string) {
    return page
      .locator('tbody tr')
      .filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${email.replace(/[.+]/g, '\\$&')}`) }) });
  }

  function apiUser(id: string) {
    return t.app.inject({ method: 'GET', url: `/v1/users/${id}`, headers: authHeader(admin.accessToken) });
  }

  beforeAll(async () => {
    h = await startConsole();
    ({ t, base } = h);
    admin = await bootstrapAdmin(t);
    engineer = await createUser(t, 'ml-engineer');
    consumer = await createUser(t, 'consumer');
    secure = await chromium.launch({
      ...chromiumOptions,
      args: [...chromiumOptions.args, `--unsafely-treat-insecure-origin-as-secure=${base}`],
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await secure?.close();
    await h?.close();
  });

  it('an admin creates a user, changes their roles, disables and enables them, resets their password and deletes them', async () => {
    const { page, w } = await openSignedIn(h, await newContext(h.browser), admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await userRow(page, admin.email).getByText('(you)').waitFor();

    // Create, with a generated password and the default role.
    await page.getByRole('button', { name: 'New user' }).click();
    const create = page.getByRole('dialog', { name: 'New user' });
    await create.getByLabel('Email').fill(made.userEmail);
    await create.getByRole('button', { name: 'Generate' }).click();
    const generated = await create.getByLabel('Password', { exact: true }).inputValue();
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(await create.getByLabel('Password', { exact: true }).getAttribute('type')).toBe('text');
    expect(await create.getByRole('checkbox', { name: 'consumer' }).isChecked()).toBe(true);
    await create.getByRole('button', { name: 'Create user' }).click();
    await create.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `Created ${made.userEmail} (consumer).` })
      .waitFor();
    const row = userRow(page, made.userEmail);
    await row.getByText('active').waitFor();
    const listed = await t.app.inject({ method: 'GET', url: '/v1/users?q=grace', headers: authHeader(admin.accessToken) });
    expect(listed.json().items).toEqual([expect.objectContaining({ email: made.userEmail, roles: ['consumer'], disabled: false })]);
    made.userId = listed.json().items[0].id;

    // Search and the role filter narrow the list, in the URL.
    await page.getByRole('searchbox', { name: 'Search by email' }).fill('grace');
    await page.waitForURL(/q=grace/);
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await page.getByRole('searchbox', { name: 'Search by email' }).fill('');
    await page.waitForURL((url) => !url.searchParams.has('q'));
    await page.getByLabel('Role', { exact: true }).selectOption('admin');
    await page.waitForURL(/role=admin/);
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await userRow(page, admin.email).waitFor();
    await page.getByLabel('Role', { exact: true }).selectOption('');
    await page.waitForURL((url) => url.search === '');
    await row.waitFor();

    // The generated password is the one the API stored: the new user signs in with it.
    const first = await signInPage();
    await signIn(first, { email: made.userEmail, password: generated } as TestUser);
    const firstRefresh = await first.evaluate(() => Object.values(sessionStorage)[0]);

    // Change roles.
    await page.getByRole('button', { name: `Roles of ${made.userEmail}` }).click();
    const roles = page.getByRole('dialog', { name: `Roles of ${made.userEmail}` });
    await roles.getByRole('checkbox', { name: 'ml-engineer' }).check({ force: true });
    await roles.getByRole('checkbox', { name: 'consumer' }).uncheck({ force: true });
    await roles.getByRole('button', { name: 'Save roles' }).click();
    await roles.waitFor({ state: 'detached' });
    await row.getByRole('listitem').filter({ hasText: 'ml-engineer' }).waitFor();
    expect((await row.getByRole('listitem').allInnerTexts()).map((s) => s.trim())).toEqual(['ml-engineer']);
    expect((await apiUser(made.userId)).json().roles).toEqual(['ml-engineer']);

    // Disable, after a confirmation; the user can no longer sign in, and the console says why.
    await page.getByRole('button', { name: `Disable ${made.userEmail}` }).click();
    const disable = page.getByRole('alertdialog', { name: `Disable ${made.userEmail}?` });
    await disable.getByText('can no longer sign in').waitFor();
    await disable.getByRole('button', { name: 'Disable user' }).click();
    await disable.waitFor({ state: 'detached' });
    await row.getByText('disabled', { exact: true }).waitFor();
    expect((await apiUser(made.userId)).json().disabled).toBe(true);
    const refused = await signInPage();
    const refusedWatch = watch(refused);
    await expect(signIn(refused, { email: made.userEmail, password: generated } as TestUser)).rejects.toThrow(
      /Could not sign in\s+The email or password is not correct\./,
    );
    expect(refusedWatch.problems).toEqual([
      'answer 401: POST /v1/auth/login',
      'console error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    await page.screenshot({ path: join(SCREENSHOTS, 'users.png') });

    await page.getByRole('button', { name: `Enable ${made.userEmail}` }).click();
    const enable = page.getByRole('dialog', { name: `Enable ${made.userEmail}?` });
    await enable.getByRole('button', { name: 'Enable user' }).click();
    await enable.waitFor({ state: 'detached' });
    await row.getByText('active').waitFor();

    // Reset the password: the user signs in with the new one; the old one and their sessions are gone.
    await page.getByRole('button', { name: `Reset password of ${made.userEmail}` }).click();
    const reset = page.getByRole('dialog', { name: `Reset the password of ${made.userEmail}` });
    const typed = 'a-new-password-for-grace';
    await reset.getByLabel('New password', { exact: true }).fill('too-short');
    await reset.getByRole('button', { name: 'Set password' }).click();
    // The policy (12+ characters) is checked before anything is sent.
    expect(await reset.getByLabel('New password', { exact: true }).evaluate((e: HTMLInputElement) => e.validity.tooShort)).toBe(true);
    await reset.getByLabel('New password', { exact: true }).fill(typed);
    await reset.getByRole('button', { name: 'Set password' }).click();
    await reset.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `The password of ${made.userEmail} was reset` })
      .waitFor();
    const again = await signInPage();
    await signIn(again, { email: made.userEmail, password: typed } as TestUser);
    const oldPassword = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: made.userEmail, password: generated },
    });
    expect(oldPassword.statusCode).toBe(401);
    const oldSession = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: firstRefresh } });
    expect(oldSession.statusCode).toBe(401);

    // Delete, after a confirmation.
    await page.getByRole('button', { name: `Delete ${made.userEmail}` }).click();
    const del = page.getByRole('alertdialog', { name: `Delete ${made.userEmail}?` });
    await del.getByText('This cannot be undone').waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await del.getByRole('button', { name: 'Delete user' }).click();
    await del.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    expect((await apiUser(made.userId)).statusCode).toBe(404);

    expect(w.calls.filter((c) => c.path.startsWith('/v1/users/') && c.method !== 'GET').map((c) => `${c.method} ${c.status}`)).toEqual([
      'PATCH 200',
      'PATCH 200',
      'PATCH 200',
      'PATCH 200',
      'DELETE 204',
    ]);
    expect(w.problems).toEqual([]);
  });

  it('the last enabled admin cannot disable themselves: the console shows the API’s problem detail', async () => {
    const { page, w } = await openSignedIn(h, await newContext(h.browser), admin);
    await page.goto(`${base}/console/users`);
    await page.getByRole('button', { name: `Disable ${admin.email}` }).click();
    const dialog = page.getByRole('alertdialog', { name: `Disable ${admin.email}?` });
    await dialog.getByRole('button', { name: 'Disable user' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: 'The user was not disabled' })
      .filter({ hasText: 'This is the last enabled admin; make another admin first.' })
      .waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await userRow(page, admin.email).getByText('active').waitFor();
    expect((await apiUser(admin.id)).json().disabled).toBe(false);
    // The refusal is the only failed answer (which the browser logs).
    expect(w.problems).toEqual([
      `answer 409: PATCH /v1/users/${admin.id}`,
      'console error: Failed to load resource: the server responded with a status of 409 (Conflict)',
    ]);
  });

  it('an admin creates an API key, sees and copies it once; it works and shows its last use until it is revoked', async () => {
    // The date input and the stored expiry are compared in UTC.
    const context = await newContext(secure, { permissions: ['clipboard-read', 'clipboard-write'], timezoneId: 'UTC' });
    const { page, w } = await openSignedIn(h, context, admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByText('No API key is active.').waitFor();

    await page.getByRole('button', { name: 'New API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    await dialog.getByLabel('Name').fill(made.keyName);
    await dialog.getByLabel('Role').selectOption('ml-engineer');
    const expiry = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    await dialog.getByLabel('Expires (optional)').fill(expiry);
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const reveal = page.getByRole('dialog', { name: `Copy the new key ${made.keyName}` });
    await reveal.getByText('You will not see this key again.').waitFor();
    const key = await reveal.getByLabel('API key (send as X-API-Key)').inputValue();
    const clientSecret = await reveal.getByLabel('Client secret').inputValue();
    expect(key).toMatch(/^mgk_/);
    expect(clientSecret).toMatch(/^mgs_/);
    await reveal.getByRole('button', { name: 'Copy the API key' }).click();
    await reveal.getByRole('status').filter({ hasText: 'Copied the API key' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await reveal.getByRole('button', { name: 'Copy the client secret' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientSecret);
    // Neither Escape nor a click outside loses it: only Done closes the dialog.
    await page.keyboard.press('Escape');
    await page.mouse.click(5, 795);
    expect(await reveal.isVisible()).toBe(true);
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });

    // Shown once: nowhere on the page or in storage afterwards.
    expect(await page.content()).not.toContain(key);
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(clientSecret);

    const listed = (await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: authHeader(admin.accessToken) })).json().items;
    expect(listed).toEqual([
      expect.objectContaining({ name: made.keyName, role: 'ml-engineer', expiresAt: `${expiry}T23:59:59.999Z`, lastUsedAt: null }),
    ]);
    made.keyId = listed[0].id;
    const row = page.locator('tbody tr').filter({ hasText: made.keyName });
    expect(await row.locator('td').nth(1).innerText()).toBe(listed[0].clientId);
    expect(await row.locator('td').nth(4).innerText()).toBe('Never');

    // The key works, and its last use shows.
    const me = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: apiKeyHeader(key) });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ id: made.keyId, roles: ['ml-engineer'] });
    // A second key, used too, for the screenshot.
    const nightly = await createApiKey(t, 'consumer', { name: 'nightly-batch' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: apiKeyHeader(nightly.key) })).statusCode).toBe(200);
    await page.reload();
    await row.waitFor();
    expect(await row.locator('td').nth(4).innerText()).not.toBe('Never');
    expect(await page.locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: join(SCREENSHOTS, 'api-keys.png') });

    // Revoke, after a confirmation: the very next request with the key is refused.
    await page.getByRole('button', { name: `Revoke the key ${made.keyName}` }).click();
    const revoke = page.getByRole('alertdialog', { name: `Revoke the API key ${made.keyName}?` });
    await revoke.getByText('This cannot be undone').waitFor();
    await revoke.getByRole('button', { name: 'Revoke key' }).click();
    await revoke.waitFor({ state: 'detached' });
    await row.waitFor({ state: 'detached' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: apiKeyHeader(key) })).statusCode).toBe(401);

    await page.getByText('Show revoked keys').click();
    await page.waitForURL(/revoked=true/);
    await row.getByText(/^revoked/).waitFor();
    expect(await page.getByRole('checkbox', { name: 'Show revoked keys' }).isChecked()).toBe(true);
    expect(await row.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
    expect(w.problems).toEqual([]);
  });

  it('with the keyboard alone, over plain HTTP (no Clipboard API): Copy selects the secret and says how to copy it', async () => {
    const { page, w } = await openSignedIn(h, await newContext(h.browser), admin);
    await page.goto(`${base}/console/api-keys`);
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    /** Tabs forward until the focused element reads `name`. */
    const tabTo = async (name: string) => {
      for (let i = 0; i < 15 && (await focused()) !== name; i++) await page.keyboard.press('Tab');
      expect(await focused()).toBe(name);
    };
    await tabTo('New API key');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    // The name field has the focus; Enter submits.
    await page.keyboard.type('plain-http');
    expect(await dialog.getByLabel('Name').inputValue()).toBe('plain-http');
    await page.keyboard.press('Enter');
    const reveal = page.getByRole('dialog', { name: 'Copy the new key plain-http' });
    const field = reveal.getByLabel('API key (send as X-API-Key)');
    const key = await field.inputValue();
    await tabTo('Copy the API key');
    await page.keyboard.press('Enter');
    await reveal.getByRole('status').filter({ hasText: 'Selected: press Ctrl+C (⌘C) to copy' }).waitFor();
    expect(await field.evaluate((e: HTMLInputElement) => [document.activeElement === e, e.selectionStart, e.selectionEnd])).toEqual([
      true,
      0,
      key.length,
    ]);
    await tabTo('Done');
    await page.keyboard.press('Enter');
    await reveal.waitFor({ state: 'detached' });
    // Focus is back where it was.
    expect(await focused()).toBe('New API key');

    // A confirmation starts on Cancel: Enter alone never revokes.
    await page
      .locator('tbody tr')
      .filter({ hasText: 'plain-http' })
      .getByRole('button', { name: /Revoke/ })
      .focus();
    await page.keyboard.press('Enter');
    const revoke = page.getByRole('alertdialog', { name: 'Revoke the API key plain-http?' });
    await revoke.waitFor();
    expect(await focused()).toBe('Cancel');
    await page.keyboard.press('Enter');
    await revoke.waitFor({ state: 'detached' });
    expect(w.calls.filter((c) => c.method === 'DELETE')).toEqual([]);
    expect(w.problems).toEqual([]);
  });

  it('the audit log lists those events and filters them, with the filters in the URL', async () => {
    const { page, w } = await openSignedIn(h, await newContext(h.browser), admin);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    /** Waits until the form shows `value` in the field labelled `label` (it follows the URL). */
    const formShows = async (label: string, value: string) =>
      page.waitForFunction(([input, v]) => (input as HTMLInputElement).value === v, [
        await page.getByLabel(label).elementHandle(),
        value,
      ] as const);
    const clearFilters = async () => {
      await page.getByRole('button', { name: 'Clear filters' }).click();
      await page.waitForURL((url) => url.search === '');
      for (const label of ['Action', 'Target ID', 'Actor ID (user or API key)', 'From']) await formShows(label, '');
    };
    const actionsShown = async () => (await rows.locator('td:nth-child(3)').allInnerTexts()).map((s) => s.trim());
    // Newest first: the last thing done (the plain-HTTP key) is on top, after this page's own sign-in.
    expect((await actionsShown()).slice(0, 2)).toEqual(['auth.login.succeeded', 'api-key.created']);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit.png') });

    // By action, typed in the form: the URL keeps it, a reload keeps it.
    await page.getByLabel('Action').fill('user.updated');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/[?&]action=user\.updated/);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('tbody tr td:nth-child(3)')].every((td) => td.textContent === 'user.updated'),
    );
    // Roles, disable, enable and password, newest first; the refused self-disable left nothing.
    expect(await actionsShown()).toEqual(['user.updated', 'user.updated', 'user.updated', 'user.updated']);
    await page.getByText('consumer → ml-engineer').waitFor();
    await page.getByText('false → true').waitFor();
    await page.reload();
    await page.getByText('4 events match these filters.').waitFor();
    expect(await page.getByLabel('Action').inputValue()).toBe('user.updated');

    // By target, from a link in the table: the user's whole story.
    await clearFilters();
    await page.getByLabel('Target ID').fill(made.userId);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(new RegExp(`targetId=${made.userId}`));
    await page.getByText(/events? match these filters/).waitFor();
    const story = await actionsShown();
    expect([...story].reverse().filter((a) => !a.startsWith('auth.'))).toEqual([
      'user.created',
      'user.updated',
      'user.updated',
      'user.updated',
      'user.updated',
      'user.deleted',
    ]);
    expect(story).toContain('auth.login.failed');

    // By actor: the link on an event narrows to what that admin did.
    await clearFilters();
    await page.getByLabel('Action').fill('api-key.revoked');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=api-key\.revoked/);
    await page.getByText('1 event matches these filters.').waitFor();
    await rows.first().getByRole('link', { name: admin.email }).click();
    await page.waitForURL((url) => url.searchParams.get('actorId') === admin.id && url.searchParams.get('action') === 'api-key.revoked');
    await formShows('Actor ID (user or API key)', admin.id);
    expect(await rows.locator('td:nth-child(4)').innerText()).toContain(made.keyId);

    // By time: nothing happened after 2099 began.
    await page.getByLabel('From').fill('2099-01-01T00:00');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No event matches these filters.').waitFor();

    // Pages of 20, the offset in the URL too.
    await clearFilters();
    const total = (await t.app.inject({ method: 'GET', url: '/v1/audit-events?limit=1', headers: authHeader(admin.accessToken) })).json()
      .page.total;
    expect(total).toBeGreaterThan(20);
    const pager = page.getByRole('navigation', { name: 'Pages of the audit log' });
    await pager.getByText(`1–20 of ${total}`).waitFor();
    const firstRow = await rows.first().textContent();
    await pager.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/offset=20/);
    await pager.getByText(`21–${Math.min(40, total)} of ${total}`).waitFor();
    await page.waitForFunction((before) => document.querySelector('tbody tr')?.textContent !== before, firstRow);
    expect(w.problems).toEqual([]);
  });

  it('an ML engineer and a consumer see no administration and are sent back from its addresses without a request', async () => {
    for (const user of [engineer, consumer]) {
      const { page, w } = await openSignedIn(h, await newContext(h.browser), user);
      // The models list is loaded before each next address (leaving earlier would abort its request).
      const listed = page.getByText('No model is registered yet.');
      await listed.waitFor();
      const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
      expect(links).toContain('Models');
      for (const section of ['Users', 'API keys', 'Audit']) expect(links).not.toContain(section);
      for (const path of ['users', 'api-keys', 'audit']) {
        await page.goto(`${base}/console/${path}`);
        await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
        expect(new URL(page.url()).pathname).toBe('/console/models');
        await listed.waitFor();
      }
      expect(w.calls.filter((c) => /^\/v1\/(users|api-keys|audit-events)/.test(c.path))).toEqual([]);
      expect(w.problems).toEqual([]);
    }
  });

  it('axe finds no serious or critical accessibility violation on the admin pages and their dialogs', async () => {
    const context = await newContext(h.browser);
    const { page, w } = await openSignedIn(h, context, admin);
    const check = async (what: string) => expect({ what, violations: await seriousViolations(page) }).toEqual({ what, violations: [] });

    await page.goto(`${base}/console/users`);
    await page.locator('tbody tr').first().waitFor();
    await check('users');
    await page.getByRole('button', { name: 'New user' }).click();
    await page.getByRole('dialog', { name: 'New user' }).getByRole('button', { name: 'Generate' }).click();
    await check('the new user dialog');

    await page.goto(`${base}/console/api-keys`);
    await page.locator('tbody tr').first().waitFor();
    await check('API keys');
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByRole('dialog', { name: 'New API key' }).waitFor();
    await check('the new API key dialog');

    await page.goto(`${base}/console/audit`);
    await page.locator('tbody tr').first().waitFor();
    await check('audit');
    expect(w.problems).toEqual([]);
  });
});
