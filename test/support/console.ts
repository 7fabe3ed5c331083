import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { TestUser } from './auth';
import { BROWSER_HOST, chromiumOptions } from './browser';
import { startTestApp, type TestApp } from './test-app';

/** The web console in a real browser: one build, one app, one chromium per suite. */

const ROOT = join(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'docs', 'screenshots');

/** Builds the console into `dir` (vite, as `npm run build` does), so suites run from sources. */
export function buildConsole(dir: string): void {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'apps/console/vite.config.mts',
      '--outDir',
      dir,
      '--emptyOutDir',
      '--logLevel',
      'error',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } },
  );
}

export interface ConsoleHarness {
  t: TestApp;
  /** http://modelgate.test:<port>: a non-loopback host name over plain HTTP. */
  base: string;
  browser: Browser;
  /** The directory the console was built into. */
  consoleDir: string;
  close(): Promise<void>;
}

/** Builds the console, boots the real app (embedded database) listening on a port, and launches chromium. */
export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleHarness> {
  const consoleDir = mkdtempSync(join(tmpdir(), 'modelgate-console-'));
  buildConsole(consoleDir);
  // Every person in a suite signs in from the same address: the per-IP sign-in limit is not under test.
  const t = await startTestApp({ CONSOLE_DIR: consoleDir, AUTH_RATE_LIMIT_PER_MINUTE: '1000', ...env });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://${BROWSER_HOST}:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  const browser = await chromium.launch(chromiumOptions);
  return {
    t,
    base,
    browser,
    consoleDir,
    async close() {
      await browser.close();
      await t.close();
      rmSync(consoleDir, { recursive: true, force: true });
    },
  };
}

/** What a page did that a person should never see: console errors (CSP violations included), page errors, failed answers. */
export interface Watch {
  problems: string[];
  /** Every /v1 call: method, path, status. */
  calls: { method: string; path: string; status: number }[];
}

export function watch(page: Page): Watch {
  const w: Watch = { problems: [], calls: [] };
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') w.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A request the browser cancels because the page navigated away (or the app aborted it on unmount) is not a failure a person sees.
    if (r.failure()?.errorText === 'net::ERR_ABORTED') return;
    w.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/v1/')) w.calls.push({ method: r.request().method(), path: url.pathname, status: r.status() });
    if (r.status() >= 400) w.problems.push(`answer ${r.status()}: ${r.request().method()} ${url.pathname}`);
  });
  return w;
}

/** Fills the sign-in form on the current page and waits for the models list (or throws the alert's text). */
export async function signIn(page: Page, user: TestUser): Promise<void> {
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const signedIn = page.getByRole('heading', { name: 'Models', level: 1 });
  const failed = page.getByRole('alert');
  await signedIn.or(failed).first().waitFor();
  if (await failed.count()) throw new Error(`sign-in failed: ${await failed.first().innerText()}`);
}

/** A new page of `context`, watched, on the console, signed in as `user`. */
export async function openSignedIn(
  harness: ConsoleHarness,
  context: { newPage(): Promise<Page> },
  user: TestUser,
): Promise<{ page: Page; w: Watch }> {
  const page = await context.newPage();
  const w = watch(page);
  await page.goto(`${harness.base}/console/`);
  await signIn(page, user);
  return { page, w };
}

const AXE = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now (`id (nodes)`). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the console's CSP (scripts from 'self' only) does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
}
