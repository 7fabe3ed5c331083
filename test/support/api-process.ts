import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface ApiProcess {
  readonly child: ChildProcess;
  readonly base: string;
  /** Resolves with the exit code once the process ends. */
  readonly exited: Promise<number | null>;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** SIGKILL if still running; waits for the exit. */
  kill(): Promise<void>;
}

/**
 * One real API process (apps/api/src/main.ts from the sources, @swc-node/register) on a free
 * loopback port, resolved once /health/ready answers 200. `env` adds to or overrides the defaults.
 */
export async function startApiProcess(env: Record<string, string>, startTimeoutMs = 90_000): Promise<ApiProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['-r', '@swc-node/register', join(ROOT, 'apps', 'api', 'src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
      SWC_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const api: ApiProcess = {
    child,
    base,
    exited,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const until = Date.now() + startTimeoutMs;
  for (;;) {
    if (
      await fetch(`${base}/health/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return api;
    if (Date.now() > until || child.exitCode !== null) {
      await api.kill();
      throw new Error(`the API did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
