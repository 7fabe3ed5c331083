import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { UsageRecorder } from '@app/predictions';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, createUser, type TestApiKey, type TestUser } from './support/auth';
import { type ConsoleHarness, seriousViolations, openSignedIn, SCREENSHOTS, startConsole, watch } from './support/console';
import { createModel, versionIn } from './support/registry';

/**
 * The console's Usage page (issue 14) in a real browser: an admin sees requests, rows, errors, latency
 * and compute over time per model, version or caller (callers by name, never by id), changes the
 * range, interval, grouping, model and metric (all kept in the URL), exports the buckets as CSV, and
 * is told, before any request, when a range holds more buckets than the API serves.
 */

jest.setTimeout(240_000);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const DAY_MS = 86_400_000;

describe('The Usage page of the web console in a browser (e2e)', () => {
  let h: ConsoleHarness;
  let context: BrowserContext;
  let admin: TestUser;
  let engineer: TestUser;
  let ada: TestUser;
  let batch: TestApiKey;

  beforeAll(async () => {
    h = await startConsole();
    const { t } = h;
    admin = await bootstrapAdmin(t);
    engineer = await createUser(t, 'ml-engineer');
    ada = await createUser(t, 'consumer', { email: 'ada.lovelace@modelgate.test' });
    batch = await createApiKey(t, 'consumer', { name: 'nightly-batch' });
    for (const model of ['iris', 'churn']) {
      await createModel(t, engineer.accessToken, model, { task: 'classification' });
      await versionIn(t, engineer.accessToken, model, 'production');
    }

    // Now: Ada asks iris three times (two rows each), once with a malformed row (an error), churn once;
    // the batch key asks churn twice and iris once (one row each).
    const predict = async (model: string, instances: number[][], headers: Record<string, string>, status = 200) => {
      const res = await t.app.inject({ method: 'POST', url: `/v1/models/${model}/predict`, headers, payload: { instances } });
      expect({ model, status: res.statusCode }).toEqual({ model, status });
    };
    const two = [
      [5.1, 3.5, 1.4, 0.2],
      [6.2, 2.9, 4.3, 1.3],
    ];
    const one = [[7.7, 3.0, 6.1, 2.3]];
    for (let i = 0; i < 3; i++) await predict('iris', two, authHeader(ada.accessToken));
    await predict('iris', [[1, 2]], authHeader(ada.accessToken), 422);
    await predict('churn', one, authHeader(ada.accessToken));
    for (let i = 0; i < 2; i++) await predict('churn', one, apiKeyHeader(batch.key));
    await predict('iris', one, apiKeyHeader(batch.key));

    // Earlier days (2 to 5 days ago: in the last 7 days, not in the last 24 hours), recorded as the
    // serving path records them: Ada asks iris `days` times that day, the key asks churn once.
    const recorder = t.app.get(UsageRecorder);
    for (let days = 2; days <= 5; days++) {
      const at = new Date(Date.now() - days * DAY_MS);
      const event = { at, version: 1, api: 'v1' as const, status: 200, rows: 1, latencyMs: 4 + days, computeMs: 1.5 };
      for (let i = 0; i < days; i++) recorder.record({ ...event, modelName: 'iris', callerId: ada.id, callerKind: 'user' });
      recorder.record({ ...event, modelName: 'churn', callerId: batch.id, callerKind: 'api-key' });
    }
    await recorder.flush();

    // The ledger holds exactly that (the page reads the same answers).
    const byCaller = await t.app.inject({
      method: 'GET',
      url: `/v1/usage?groupBy=caller&from=${new Date(Date.now() - DAY_MS).toISOString()}`,
      headers: authHeader(admin.accessToken),
    });
    expect(byCaller.statusCode).toBe(200);
    expect(byCaller.json().items).toEqual([
      expect.objectContaining({ key: ada.id, name: ada.email, requests: 5, errors: 1 }),
      expect.objectContaining({ key: batch.id, name: 'nightly-batch', requests: 3, errors: 0 }),
    ]);
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

  /** The totals table's cells for the row of `name`: requests, rows, errors, error rate, p50, p95, compute. */
  const cells = (page: Page, group: string, name: string) =>
    page
      .getByRole('table', { name: new RegExp(`^Totals per ${group}`) })
      .getByRole('row', { name: new RegExp(`^${name.replace(/[.]/g, '\\.')}\\b`) })
      .locator('td')
      .allInnerTexts();

  it('an admin sees a chart and the totals per model, then per caller by name; every choice is kept in the URL; the CSV holds the buckets', async () => {
    const { page, w } = await openSignedIn(h, context, admin);
    const usageCalls: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/v1/usage') usageCalls.push(url.search);
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();

    // The last 7 days, daily, per model: today's predictions and the earlier days'.
    const chart = page.getByRole('img', { name: /^Requests per day, by model/ });
    await chart.locator('canvas').first().waitFor();
    await page.getByRole('table', { name: /^Totals per model/ }).waitFor();
    expect(await cells(page, 'model', 'iris')).toEqual([
      '19',
      expect.any(String),
      '1',
      '5.3%',
      expect.stringMatching(/ ms$/),
      expect.any(String),
      expect.any(String),
    ]);
    expect((await cells(page, 'model', 'churn')).slice(0, 4)).toEqual(['7', '7', '0', '0%']);
    // The series asked for daily buckets per model (the totals, for the whole range, have no interval).
    expect(usageCalls.filter((q) => q.includes('interval='))).toEqual([
      expect.stringMatching(/groupBy=model.*interval=day|interval=day.*groupBy=model/),
    ]);
    const legend = await chart.innerText();
    expect(legend).toContain('iris');
    expect(legend).toContain('churn');
    expect(await seriousViolations(page)).toEqual([]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'usage.png') });

    // The last 24 hours: hourly, today's predictions only.
    await page.getByRole('radiogroup', { name: 'Range' }).getByText('Last 24 hours').click();
    await page.waitForURL(/range=24h/);
    // (While a view loads, neither chart nor table is shown: what is there now is the new view's.)
    await page
      .getByRole('img', { name: /^Requests per hour, by model/ })
      .locator('canvas')
      .first()
      .waitFor();
    expect((await cells(page, 'model', 'iris')).slice(0, 4)).toEqual(['5', '7', '1', '20%']);

    // The metric: no new request, the chart says what it draws.
    const before = usageCalls.length;
    await page.getByRole('button', { name: /Metric$/ }).click();
    await page.getByRole('option', { name: 'p95 latency (ms)' }).click();
    await page.waitForURL(/metric=p95Ms/);
    await page
      .getByRole('img', { name: /^p95 latency \(ms\) per hour, by model/ })
      .locator('canvas')
      .first()
      .waitFor();
    expect(usageCalls.length).toBe(before);

    // Per caller: Ada's email and the key's name, never an id.
    await page.getByRole('radiogroup', { name: 'Group by' }).getByText('Caller').click();
    await page.waitForURL(/groupBy=caller/);
    expect(page.url()).toMatch(/metric=p95Ms/);
    const byCaller = page.getByRole('img', { name: /^p95 latency \(ms\) per hour, by caller/ });
    await byCaller.locator('canvas').first().waitFor();
    await page.getByRole('table', { name: /^Totals per caller/ }).waitFor();
    expect((await cells(page, 'caller', ada.email)).slice(0, 4)).toEqual(['5', '7', '1', '20%']);
    expect((await cells(page, 'caller', 'nightly-batch')).slice(0, 4)).toEqual(['3', '3', '0', '0%']);
    expect(await byCaller.innerText()).toContain(ada.email);
    expect(await byCaller.innerText()).toContain('nightly-batch');
    const shown = await page.locator('main').innerText();
    expect(shown).not.toMatch(UUID);
    expect(shown).not.toContain(ada.id);
    expect(shown).not.toContain(batch.id);

    // One model's callers.
    await page.getByRole('button', { name: /Model$/ }).click();
    await page.getByRole('option', { name: 'churn' }).click();
    await page.waitForURL(/model=churn/);
    await page
      .getByRole('img', { name: /^p95 latency \(ms\) per hour, by caller \(model churn\)/ })
      .locator('canvas')
      .first()
      .waitFor();
    expect((await cells(page, 'caller', ada.email)).slice(0, 3)).toEqual(['1', '1', '0']);
    expect((await cells(page, 'caller', 'nightly-batch')).slice(0, 3)).toEqual(['2', '2', '0']);
    expect(usageCalls.at(-1)).toMatch(/model=churn/);

    // A shared link reproduces the view, for another admin who signs in on it.
    const colleague = await createUser(h.t, 'admin');
    const other = await context.newPage();
    const otherWatch = watch(other);
    await other.goto(page.url());
    await other.getByLabel('Email').fill(colleague.email);
    await other.getByLabel('Password').fill(colleague.password);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other
      .getByRole('img', { name: /^p95 latency \(ms\) per hour, by caller \(model churn\)/ })
      .locator('canvas')
      .first()
      .waitFor();
    expect((await cells(other, 'caller', 'nightly-batch')).slice(0, 3)).toEqual(['2', '2', '0']);
    expect(otherWatch.problems).toEqual([]);
    await other.close();

    // The CSV: every (bucket, caller) row of the range, with the caller's name.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^usage-by-caller-churn-.+-hour\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe('bucket,key,name,requests,rows,errors,p50Ms,p95Ms,computeMs');
    expect(csv.at(-1)).toBe('');
    const rows = csv.slice(1, -1).map((line) => line.split(','));
    // Hourly buckets (the predictions were made within seconds, but may straddle an hour): summed per caller.
    const perCaller = new Map<string, number[]>();
    for (const [bucket, key, name, requests, rowCount, errors] of rows) {
      expect(bucket).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
      const sum = perCaller.get(`${key},${name}`) ?? [0, 0, 0];
      perCaller.set(`${key},${name}`, [sum[0] + Number(requests), sum[1] + Number(rowCount), sum[2] + Number(errors)]);
    }
    expect(Object.fromEntries(perCaller)).toEqual({ [`${batch.id},nightly-batch`]: [2, 2, 0], [`${ada.id},${ada.email}`]: [1, 1, 0] });

    expect(w.problems).toEqual([]);
  });

  it('a custom range: an empty one says so; one with more buckets than the API serves is refused before any request', async () => {
    const { page, w } = await openSignedIn(h, context, admin);
    const usageCalls: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === '/v1/usage') usageCalls.push(url.search);
    });
    await page.goto(`${h.base}/console/usage?range=24h&groupBy=version`);
    await page
      .getByRole('table', { name: /^Totals per version/ })
      .getByRole('row', { name: /^iris v1\b/ })
      .waitFor();

    await page.getByRole('radiogroup', { name: 'Range' }).getByText('Custom').click();
    await page.getByLabel('From (UTC day)').fill('2020-01-01');
    await page.getByLabel('To (UTC day, included)').fill('2020-12-31');
    await page.waitForURL(/range=custom&from=2020-01-01&to=2020-12-31/);
    // 366 days: daily, chosen from the range.
    await page.getByText('No predictions in this range').waitFor();
    expect(usageCalls.filter((q) => q.includes('interval=')).at(-1)).toMatch(
      /from=2020-01-01T00%3A00%3A00.000Z&to=2021-01-01T00%3A00%3A00.000Z.*interval=day/,
    );
    expect(await page.getByRole('radio', { name: 'Daily' }).isChecked()).toBe(true);

    // Hourly over a year is 8,784 buckets: the page says so and asks nothing.
    const asked = usageCalls.length;
    await page.getByRole('radiogroup', { name: 'Interval' }).getByText('Hourly').click();
    await page.waitForURL(/interval=hour/);
    const alert = page.getByRole('alert');
    await alert.getByText('This range cannot be shown').waitFor();
    expect(await alert.innerText()).toContain('This range has 8,784 hourly buckets; a chart holds at most 1,000.');
    expect(usageCalls.length).toBe(asked);
    expect(await page.getByRole('link', { name: 'Download CSV' }).count()).toBe(0);
    // What the API itself answers for that range.
    const refused = await h.t.app.inject({
      method: 'GET',
      url: '/v1/usage?from=2020-01-01T00:00:00.000Z&to=2021-01-01T00:00:00.000Z&interval=hour',
      headers: authHeader(admin.accessToken),
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().detail).toContain('8784');

    // Back to daily: the view is served again.
    await page.getByRole('radiogroup', { name: 'Interval' }).getByText('Daily').click();
    await page.getByText('No predictions in this range').waitFor();
    expect(w.problems).toEqual([]);
  });

  it('a link the API refuses shows the problem’s detail', async () => {
    const { page, w } = await openSignedIn(h, context, admin);
    await page.goto(`${h.base}/console/usage?range=7d&groupBy=model&model=Not_A_Model&metric=requests`);
    const alert = page.getByRole('alert').filter({ hasText: 'Could not load the usage' });
    await alert.waitFor();
    const answer = await h.t.app.inject({ method: 'GET', url: '/v1/usage?model=Not_A_Model', headers: authHeader(admin.accessToken) });
    expect(answer.statusCode).toBe(400);
    expect(await alert.innerText()).toContain(answer.json().detail);
    // The only problems are the refused answers themselves (and the browser's note of them).
    expect(w.problems.length).toBeGreaterThan(0);
    for (const problem of w.problems) {
      expect(problem).toMatch(
        /^answer 400: GET \/v1\/usage$|^console error: Failed to load resource: the server responded with a status of 400/,
      );
    }
  });

  it('an ML engineer has no Usage section, and its address leads back to the models without a request', async () => {
    const { page, w } = await openSignedIn(h, context, engineer);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).count()).toBe(0);
    await page.goto(`${h.base}/console/usage?groupBy=caller`);
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    expect(w.calls.filter((c) => c.path === '/v1/usage')).toEqual([]);
    expect(w.problems).toEqual([]);
  });
});
