import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { UsageRecorder } from '@app/predictions';
import { authHeader, bootstrapAdmin, createUser, type TestUser } from './support/auth';
import { readFixtureReference } from './support/fixtures';
import { type ConsoleHarness, openSignedIn, SCREENSHOTS, seriousViolations, startConsole } from './support/console';
import { createModel, transition, versionIn } from './support/registry';

/**
 * The console's governance pages (CONTRACT.md "Governance and rollout (v1)") in a real browser,
 * against the real app: an admin makes a user an approver and makes a model require approval; the
 * requester's move to production becomes a request (202) the console says is waiting, and they
 * cannot approve it themselves; the approver approves it with a comment; the version it replaced is
 * listed on the Sunsets page with its traffic. The tests are one story, in order.
 */

jest.setTimeout(240_000);

const MODEL = 'gov-iris';
const instances = readFixtureReference('classifier').inputs.slice(0, 1);

describe('Governance pages of the web console in a browser (e2e)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let admin: TestUser;
  let requester: TestUser;
  let approver: TestUser;

  const api = (method: 'GET' | 'PATCH', url: string, token: string, payload?: object) =>
    h.t.app.inject({ method, url, headers: authHeader(token), ...(payload ? { payload } : {}) });
  const stageOf = async (version: number) => (await api('GET', `/v1/models/${MODEL}/versions/${version}`, admin.accessToken)).json().stage;
  const fact = (page: Page, term: string) =>
    page
      .locator('.facts > div')
      .filter({ has: page.getByText(term, { exact: true }) })
      .locator('dd');

  beforeAll(async () => {
    h = await startConsole();
    const { t } = h;
    admin = await bootstrapAdmin(t);
    requester = await createUser(t, 'ml-engineer');
    approver = await createUser(t, 'ml-engineer');
    // The requester may approve others' requests: their own is refused for being theirs, not for a missing flag.
    expect((await api('PATCH', `/v1/users/${requester.id}`, admin.accessToken, { approver: true })).statusCode).toBe(200);
    await createModel(t, requester.accessToken, MODEL, { task: 'classification' });
    expect(await versionIn(t, requester.accessToken, MODEL, 'production')).toBe(1);
    expect(await versionIn(t, requester.accessToken, MODEL, 'staging')).toBe(2);
    // Version 1 serves two callers before it is replaced: the sunsets page counts them.
    for (const token of [admin.accessToken, requester.accessToken]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/models/${MODEL}/predict`,
        headers: authHeader(token),
        payload: { instances },
      });
      expect(res.statusCode).toBe(200);
    }
    await t.app.get(UsageRecorder).flush();
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

  it('an admin makes a user an approver on the Users page and makes a model require approval on its page', async () => {
    const { page, w } = await openSignedIn(h, context, admin);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    const row = page.locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: approver.email }) });
    await row.getByText('no', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Make approver ${approver.email}` }).click();
    const make = page.getByRole('dialog', { name: `Make ${approver.email} an approver?` });
    await make.getByRole('button', { name: 'Make approver' }).click();
    await make.waitFor({ state: 'detached' });
    await row.getByText('approver', { exact: true }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: `${approver.email} is now an approver.` })
      .waitFor();
    expect((await api('GET', `/v1/users/${approver.id}`, admin.accessToken)).json().approver).toBe(true);

    await nav.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('link', { name: MODEL, exact: true }).click();
    await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor();
    expect(await fact(page, 'Promotion approval').innerText()).toContain('Not required');
    await page.getByRole('button', { name: `Require approval for ${MODEL}` }).click();
    const require = page.getByRole('dialog', { name: `Require approval for ${MODEL}?` });
    await require.getByText('waits for an approver').waitFor();
    await require.getByRole('button', { name: 'Require approval' }).click();
    await require.waitFor({ state: 'detached' });
    await fact(page, 'Promotion approval').getByText('Required', { exact: true }).waitFor();
    await page.getByRole('button', { name: `Stop requiring approval for ${MODEL}` }).waitFor();
    expect((await api('GET', `/v1/models/${MODEL}`, admin.accessToken)).json().requireApproval).toBe(true);
    expect(w.problems).toEqual([]);
  });

  it('the requester’s move to production is a request waiting for an approver (202); approving it themselves shows why not', async () => {
    const { page, w } = await openSignedIn(h, context, requester);
    await page.getByRole('link', { name: MODEL, exact: true }).click();
    await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor();
    await page.getByRole('link', { name: 'v2', exact: true }).click();
    await page.getByRole('heading', { name: /Version 2/ }).waitFor();
    await page.getByRole('button', { name: 'Promote to production' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('This model requires an approval').waitFor();
    await dialog.getByLabel('Reason (kept in the history)').fill('beats v1 on the holdout set');
    await dialog.getByRole('button', { name: 'Confirm: promote to production' }).click();
    await dialog.getByRole('heading', { name: 'Promotion requested — waiting for an approver' }).waitFor();
    await dialog.getByRole('link', { name: 'approvals page' }).waitFor();
    expect(w.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/transitions'))).toEqual([
      { method: 'POST', path: `/v1/models/${MODEL}/versions/2/transitions`, status: 202 },
    ]);
    // The version did not move; the console does not pretend it did.
    expect(await stageOf(2)).toBe('staging');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page
      .getByRole('heading', { name: /Version 2/ })
      .getByText('staging')
      .waitFor();
    expect(await fact(page, 'Production version').first().innerText()).toBe('v1');
    const pending = page.getByRole('status').filter({ hasText: 'Promotion requested — waiting for an approver' });
    await pending.getByText(`v2 to production, requested by ${requester.email}`).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await pending.getByRole('link', { name: 'Open the approvals' }).click();
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('pending');
    const row = page.getByRole('row', { name: new RegExp(`${MODEL} v2`) });
    await row.getByText('beats v1 on the holdout set').waitFor();
    await row.getByRole('button', { name: `Approve ${MODEL} v2` }).click();
    const approve = page.getByRole('dialog', { name: `Approve the promotion of ${MODEL} v2?` });
    await approve.getByRole('button', { name: 'Approve promotion' }).click();
    await approve
      .getByRole('alert')
      .filter({ hasText: 'The promotion was not approved' })
      .getByText('You requested this promotion; another approver must decide it.')
      .waitFor();
    expect(await stageOf(2)).toBe('staging');
    const refused = w.calls.filter((c) => c.path.startsWith('/v1/promotion-requests/') && c.method === 'POST');
    expect(refused).toEqual([
      { method: 'POST', path: expect.stringMatching(/^\/v1\/promotion-requests\/[0-9a-f-]{36}\/approve$/), status: 403 },
    ]);
    expect(w.problems.filter((p) => p.startsWith('answer'))).toEqual([`answer 403: POST ${refused[0].path}`]);
  });

  it('an approver approves the request with a comment: it is listed as approved and the version is in production', async () => {
    const { page, w } = await openSignedIn(h, context, approver);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Approvals' }).click();
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(`${MODEL} v2`) });
    await row.getByText(requester.email).waitFor();
    await row.getByText('pending', { exact: true }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'approvals.png') });

    await row.getByRole('button', { name: `Approve ${MODEL} v2` }).click();
    const approve = page.getByRole('dialog', { name: `Approve the promotion of ${MODEL} v2?` });
    await approve.getByText('beats v1 on the holdout set').waitFor();
    await approve.getByLabel('Comment (optional, kept with the decision)').fill('holdout metrics reviewed');
    await approve.getByRole('button', { name: 'Approve promotion' }).click();
    await approve.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `Approved: ${MODEL} v2 is now in production.` })
      .waitFor();
    await page.getByText('No promotion is waiting for an approver.').waitFor();
    expect(await stageOf(2)).toBe('production');

    await page.getByLabel('Status').selectOption('approved');
    await page.waitForURL(/status=approved/);
    const approved = page.getByRole('row', { name: new RegExp(`${MODEL} v2`) });
    await approved.getByText('approved', { exact: true }).waitFor();
    await approved.getByText('holdout metrics reviewed').waitFor();
    await approved.getByText(approver.email).waitFor();
    expect(await approved.getByRole('button').count()).toBe(0);

    await approved.getByRole('link', { name: `${MODEL} v2` }).click();
    await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor();
    await page
      .getByRole('heading', { name: /Version 2/ })
      .getByText('production')
      .waitFor();
    expect(await fact(page, 'Production version').first().innerText()).toBe('v2');
    expect(await page.getByRole('status').filter({ hasText: 'waiting for an approver' }).count()).toBe(0);
    expect(w.problems).toEqual([]);
  });

  it('an approver rejects a request with a comment: the version stays in staging and the request is listed as rejected', async () => {
    expect(await versionIn(h.t, requester.accessToken, MODEL, 'staging')).toBe(3);
    const asked = await transition(h.t, requester.accessToken, MODEL, 3, { to: 'production', reason: 'smaller and as accurate' });
    expect([asked.statusCode, asked.json().status]).toEqual([202, 'pending']);

    const { page, w } = await openSignedIn(h, context, approver);
    await page.goto(`${h.base}/console/approvals`);
    await page.getByRole('heading', { name: 'Approvals', level: 1 }).waitFor();
    await page.getByRole('button', { name: `Reject ${MODEL} v3` }).click();
    const reject = page.getByRole('dialog', { name: `Reject the promotion of ${MODEL} v3?` });
    await reject.getByLabel('Comment (optional, kept with the decision)').fill('not enough holdout data');
    await reject.getByRole('button', { name: 'Reject promotion' }).click();
    await reject.waitFor({ state: 'detached' });
    await page
      .getByRole('status')
      .filter({ hasText: `Rejected the promotion of ${MODEL} v3.` })
      .waitFor();
    expect(await stageOf(3)).toBe('staging');

    await page.getByLabel('Status').selectOption('rejected');
    const rejected = page.getByRole('row', { name: new RegExp(`${MODEL} v3`) });
    await rejected.getByText('rejected', { exact: true }).waitFor();
    await rejected.getByText('not enough holdout data').waitFor();
    expect(w.problems).toEqual([]);
  });

  it('the Sunsets page lists the version the approval deprecated, with its callers over 7 days, linked to its model page', async () => {
    const { page, w } = await openSignedIn(h, context, approver);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sunsets' }).click();
    await page.getByRole('heading', { name: 'Sunsets', level: 1 }).waitFor();
    const row = page.getByRole('row', { name: new RegExp(`${MODEL} v1`) });
    await row.waitFor();
    // Version, sunset, deprecated, successor, requests, callers.
    const cells = (await row.locator('td').allInnerTexts()).map((s) => s.trim());
    expect(cells[2]).toBe('v2');
    expect(cells.slice(3)).toEqual(['2', '2']);
    expect(cells[0]).toMatch(/in \d+ days?/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'sunsets.png') });

    await row.getByRole('link', { name: `${MODEL} v1` }).click();
    await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor();
    await page
      .getByRole('heading', { name: /Version 1/ })
      .getByText('deprecated')
      .waitFor();
    expect(w.problems).toEqual([]);
  });

  it('a consumer sees neither section and is sent back from their addresses without a request', async () => {
    const consumer = await createUser(h.t, 'consumer');
    const { page, w } = await openSignedIn(h, context, consumer);
    await page.getByRole('link', { name: MODEL, exact: true }).waitFor();
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allInnerTexts();
    expect(links).toEqual(['Models']);
    for (const path of ['approvals', 'sunsets']) {
      await page.goto(`${h.base}/console/${path}`);
      await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/console/models');
    }
    expect(w.calls.filter((c) => /^\/v1\/(promotion-requests|sunsets)/.test(c.path))).toEqual([]);
    expect(w.problems).toEqual([]);
  });
});
