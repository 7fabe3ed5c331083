import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * Helpers for the suites that use @modelgate/sdk as its users do: built, packed with `npm pack`,
 * installed from the tarball into scratch projects outside the repository, run as child processes.
 * Child processes are always asynchronous: the API they talk to runs in the test's own event loop.
 */

export const REPO_ROOT = join(__dirname, '..', '..');
export const SDK_DIR = join(REPO_ROOT, 'libs', 'sdk');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** The environment for child processes: this one without npm's per-script variables (a child npm would take them as its config). */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !/^MODELGATE_/.test(k)));
  return { ...env, PATH: [dirname(process.execPath), process.env.PATH].join(delimiter), NO_COLOR: '1', ...extra };
}

/** Runs a program to its end (never blocking the event loop) and returns its exit code and output. */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? childEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 120_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Like run(), but a non-zero exit is an error carrying the output. */
export async function runOk(command: string, args: string[], options: RunOptions = {}): Promise<Ran> {
  const ran = await run(command, args, options);
  if (ran.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${ran.code}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`);
  return ran;
}

export interface PackedSdk {
  tarball: string;
  /** Paths inside the tarball (without the leading `package/`). */
  files: string[];
}

/**
 * Builds the SDK (`npm run build` in libs/sdk) and packs it into `destination`. Suites running at
 * the same time take turns (a lock directory in the temp dir), and libs/sdk/dist is removed
 * afterwards: the tarball is the suite's own snapshot, and no build output is left for the linters.
 */
export async function packSdk(destination: string): Promise<PackedSdk> {
  return withLock(`modelgate-sdk-build-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}`, async () => {
    try {
      await runOk('npm', ['run', 'build'], { cwd: SDK_DIR, timeoutMs: 180_000 });
      const packed = await runOk('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], { cwd: SDK_DIR });
      const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
      return { tarball: join(destination, info.filename), files: info.files.map((f) => f.path).sort() };
    } finally {
      rmSync(join(SDK_DIR, 'dist'), { recursive: true, force: true });
    }
  });
}

/** A scratch npm project in `dir` with the tarball installed (from the npm cache the repo's install filled). */
export async function scratchProject(dir: string, tarball: string, packageJson: Record<string, unknown>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, version: '0.0.0', ...packageJson }, null, 2));
  await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], {
    cwd: dir,
    timeoutMs: 180_000,
  });
}

async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), `${name}.lock`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      if (Date.now() > deadline) throw new Error(`${lock}: still held after 10 minutes`, { cause: error });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
