import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_LOCK_FILE, EmbeddedDatabaseInUseError, lockEmbeddedDataDir } from './embedded-lock';

/** The embedded data directory's lock file, on a real filesystem, against real (child) processes. */
describe('lockEmbeddedDataDir', () => {
  let dir: string;
  const lockFile = () => join(dir, EMBEDDED_LOCK_FILE);
  const owner = () => JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number; role: string; token: string };
  const writeLock = (fields: Record<string, unknown>) =>
    writeFileSync(
      lockFile(),
      JSON.stringify({ host: hostname(), role: 'the API', startedAt: '2026-01-01T00:00:00.000Z', token: 't', ...fields }),
    );

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'modelgate-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes this pid; the same process may take it again; the last release removes it', () => {
    const first = lockEmbeddedDataDir(dir);
    expect(owner().pid).toBe(process.pid);
    const second = lockEmbeddedDataDir(dir);
    first();
    first(); // idempotent
    expect(existsSync(lockFile())).toBe(true);
    second();
    expect(existsSync(lockFile())).toBe(false);
  });

  describe('held by another live process', () => {
    let other: ChildProcess;
    beforeAll(() => {
      other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    });
    afterAll(() => {
      other.kill('SIGKILL');
    });

    it('refuses, naming the pid and what it runs; the lock stays as it was', () => {
      writeLock({ pid: other.pid, token: 'theirs' });
      let error: unknown;
      try {
        lockEmbeddedDataDir(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(EmbeddedDatabaseInUseError);
      expect((error as Error).message).toContain(`The embedded database at ${dir} is in use by process ${other.pid} (the API,`);
      expect(owner()).toEqual(expect.objectContaining({ pid: other.pid, token: 'theirs' }));
    });

    it('takes it over when that pid now belongs to a process started later (a reused pid)', () => {
      if (!existsSync(`/proc/${process.pid}/stat`)) return; // start times are read from /proc (Linux)
      writeLock({ pid: other.pid, procStart: '1', token: 'stale' });
      const release = lockEmbeddedDataDir(dir);
      expect(owner().pid).toBe(process.pid);
      release();
    });
  });

  it('takes over the lock of a process that is gone', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeLock({ pid: Number(gone.stdout), token: 'dead' });
    const release = lockEmbeddedDataDir(dir);
    expect(owner()).toEqual(expect.objectContaining({ pid: process.pid }));
    release();
    expect(existsSync(lockFile())).toBe(false);
  });

  it('treats an unreadable lock file as stale', () => {
    writeFileSync(lockFile(), 'not json');
    const release = lockEmbeddedDataDir(dir);
    expect(owner().pid).toBe(process.pid);
    release();
  });

  it('a release never removes a lock another process has taken since', () => {
    const release = lockEmbeddedDataDir(dir);
    writeLock({ pid: 1, token: 'someone-else' });
    release();
    expect(owner().token).toBe('someone-else');
  });
});
