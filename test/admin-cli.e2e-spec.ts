import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiProcess, startApiProcess } from './support/api-process';

const ROOT = join(__dirname, '..');
const LOCK = 'modelgate.lock';

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The admin CLI as a person runs it (`npm run cli -- …` is `node scripts/launch.mjs cli …`), in
 * child processes, next to a real API process on the same embedded database: the CLI refuses
 * while the API holds the data directory (and the API keeps working), works once it is stopped,
 * takes over the lock of a killed API, and reset-password ends the tokens issued before.
 */
describe('admin CLI and the embedded database lock (e2e)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelgate-cli-'));
  const lockFile = join(dataDir, 'pglite', LOCK);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    PASSWORD_SCRYPT_COST: '14',
  };
  const email = 'first-admin@modelgate.test';
  let api: ApiProcess | undefined;

  afterAll(async () => {
    await api?.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs the CLI with this suite's environment (no DATABASE_URL: the embedded database under dataDir). */
  function cli(args: string[], stdin = ''): Promise<CliRun> {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    for (const name of ['DATABASE_URL', 'PGLITE_DATA_DIR', 'REDIS_URL', 'ADMIN_EMAIL', 'ADMIN_PASSWORD']) delete childEnv[name];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'scripts', 'launch.mjs'), 'cli', ...args], {
        cwd: ROOT,
        env: childEnv,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }

  async function login(base: string, password: string): Promise<{ status: number; token?: string }> {
    const res = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const body = (await res.json()) as { accessToken?: string };
    return { status: res.status, token: body.accessToken };
  }

  const shownPassword = (output: string) => /password \(shown once\): (\S+)/.exec(output)?.[1];

  let firstPassword: string;
  let tokenBeforeReset: string;

  it('without arguments prints the usage, both commands included (exit 2)', async () => {
    const run = await cli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('create-user --email');
    expect(run.stderr).toContain('reset-password --email');
  }, 60_000);

  it('creates the first admin on a fresh embedded database, without building, and leaves no lock behind', async () => {
    const run = await cli(['create-user', '--email', email, '--role', 'admin']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`created admin user ${email}`);
    firstPassword = shownPassword(run.stdout)!;
    expect(firstPassword).toMatch(/^\S{20,}$/);
    expect(existsSync(lockFile)).toBe(false);
  }, 120_000);

  it('refuses while the API holds the database, naming its pid and the API route to use; the API keeps working', async () => {
    api = await startApiProcess(env);
    // The admin exists: the start-up log gives the URL and does not ask for an admin.
    expect(api.output()).toContain(`ModelGate is listening on ${api.base} (API docs: ${api.base}/docs)`);
    expect(api.output()).not.toContain('No admin user exists');
    const owner = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; role: string };
    expect(owner).toEqual(expect.objectContaining({ pid: api.child.pid, role: 'the API' }));

    const first = await login(api.base, firstPassword);
    expect(first.status).toBe(200);
    tokenBeforeReset = first.token!;

    const refused = await cli(['create-user', '--email', 'second@modelgate.test', '--role', 'consumer']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`The embedded database at ${join(dataDir, 'pglite')} is in use by process ${api.child.pid} (the API`);
    expect(refused.stderr).toContain('POST  /v1/users');
    expect(refused.stdout).toBe('');

    // The refused CLI never opened the directory: the API still signs in and is ready.
    expect((await login(api.base, firstPassword)).status).toBe(200);
    expect((await fetch(`${api.base}/health/ready`)).status).toBe(200);
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(api.child.pid);
  }, 180_000);

  it('a second API on the same directory stops at start-up with the same one-line reason', async () => {
    await expect(startApiProcess({ ...env }, 60_000)).rejects.toThrow(/is in use by process \d+ \(the API/);
  }, 90_000);

  it('reset-password (from stdin) once the API is stopped: old password and old tokens no longer work', async () => {
    api!.child.kill('SIGTERM');
    expect(await api!.exited).toBe(0);
    expect(existsSync(lockFile)).toBe(false);

    const run = await cli(['reset-password', '--email', email, '--password-stdin'], 'a-new-admin-password\n');
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`reset the password of ${email}`);
    expect(run.stdout).not.toContain('a-new-admin-password');

    api = await startApiProcess(env);
    const me = await fetch(`${api.base}/v1/auth/me`, { headers: { authorization: `Bearer ${tokenBeforeReset}` } });
    expect(me.status).toBe(401);
    expect((await login(api.base, firstPassword)).status).toBe(401);
    expect((await login(api.base, 'a-new-admin-password')).status).toBe(200);
  }, 180_000);

  it('takes over the lock of an API that was killed (its pid is gone) and generates a password shown once', async () => {
    const pid = api!.child.pid;
    await api!.kill(); // SIGKILL: no exit handler runs, the lock stays
    api = undefined;
    expect(JSON.parse(readFileSync(lockFile, 'utf8')).pid).toBe(pid);

    const run = await cli(['reset-password', '--email', email]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const generated = shownPassword(run.stdout);
    expect(generated).toMatch(/^\S{20,}$/);
    expect(existsSync(lockFile)).toBe(false);

    api = await startApiProcess(env);
    expect((await login(api.base, generated!)).status).toBe(200);
  }, 180_000);

  it('reset-password for an unknown email fails with a reason (exit 1)', async () => {
    await api?.kill();
    api = undefined;
    const run = await cli(['reset-password', '--email', 'nobody@modelgate.test']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('No user has the email nobody@modelgate.test');
  }, 120_000);
});
