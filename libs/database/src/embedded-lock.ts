import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';

/** The file, inside the embedded data directory, naming the process that has it open. */
export const EMBEDDED_LOCK_FILE = 'modelgate.lock';

/** Who holds an embedded data directory: enough to tell a live owner from a stale file. */
export interface EmbeddedLockOwner {
  pid: number;
  host: string;
  /** What the process runs ("the API", "the CLI", or its script), for the message another process prints. */
  role: string;
  startedAt: string;
  /** Linux: the kernel's boot id and the process's start time in clock ticks, so a reused pid is not mistaken for the owner. */
  bootId?: string;
  procStart?: string;
  /** This acquisition's own mark: a release removes only the lock it wrote. */
  token: string;
}

/**
 * PGlite is Postgres in this process's memory, over files that only one process may have open:
 * a second process opening the same directory corrupts it or fails its logins. Raised, with the
 * owner's pid, when another live process holds the directory.
 */
export class EmbeddedDatabaseInUseError extends Error {
  override readonly name = 'EmbeddedDatabaseInUseError';

  constructor(
    readonly dataDir: string,
    readonly owner: EmbeddedLockOwner,
  ) {
    const who = owner.host === hostname() ? `process ${owner.pid}` : `process ${owner.pid} on host ${owner.host}`;
    super(
      `The embedded database at ${dataDir} is in use by ${who} (${owner.role}, since ${owner.startedAt}); ` +
        'only one process may open it at a time. Stop that process first, or set DATABASE_URL to a Postgres server ' +
        `that several processes can share. If no such process runs any more, delete ${join(dataDir, EMBEDDED_LOCK_FILE)}.`,
    );
  }
}

/** Directories this process holds, with how many data sources use each (a process may open its own directory again). */
const held = new Map<string, { token: string; users: number }>();
let exitHookInstalled = false;

/**
 * Takes the embedded data directory for this process, or throws EmbeddedDatabaseInUseError when
 * another live process holds it. A lock whose process is gone (killed, crashed, a reboot, a pid
 * reused by an unrelated process) is taken over. Returns the release, which is idempotent; the
 * lock is also released when the process exits.
 */
export function lockEmbeddedDataDir(dataDir: string): () => void {
  const mine = held.get(dataDir);
  if (mine) {
    mine.users += 1;
  } else {
    held.set(dataDir, { token: acquire(dataDir), users: 1 });
    installExitHook();
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const entry = held.get(dataDir);
    if (!entry || --entry.users > 0) return;
    held.delete(dataDir);
    removeIfOurs(dataDir, entry.token);
  };
}

function acquire(dataDir: string): string {
  const path = join(dataDir, EMBEDDED_LOCK_FILE);
  const owner = describeThisProcess();
  // Written whole to a private file, then linked into place: link() fails if the lock exists, so
  // exactly one process wins, and nobody ever reads a half-written lock.
  const draft = `${path}.${process.pid}.${owner.token}`;
  writeFileSync(draft, JSON.stringify(owner, null, 2) + '\n', { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(draft, path);
        return owner.token;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readOwner(path);
      if (current && isAlive(current)) throw new EmbeddedDatabaseInUseError(dataDir, current);
      takeOverStale(path, current);
    }
    throw new Error(`Could not take the lock ${path}: it keeps changing hands.`);
  } finally {
    unlinkQuietly(draft);
  }
}

/**
 * Moves a stale lock aside (rename is atomic: of two processes doing this, one moves it), checks
 * that what was moved is the stale lock read before and not a fresh one another process just took,
 * and deletes it; a fresh one is put back.
 */
function takeOverStale(path: string, stale: EmbeddedLockOwner | undefined): void {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else removed it: try again
    throw error;
  }
  const moved = readOwner(aside);
  if (moved && stale && moved.token !== stale.token) {
    try {
      linkSync(aside, path);
    } catch {
      // Another process holds it now: the next attempt reads its lock.
    }
  }
  unlinkQuietly(aside);
}

function removeIfOurs(dataDir: string, token: string): void {
  const path = join(dataDir, EMBEDDED_LOCK_FILE);
  if (readOwner(path)?.token === token) unlinkQuietly(path);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process that exits without closing its data source (process.exit, an uncaught error) leaves
  // no lock behind; a killed one (SIGKILL) does, and the next process finds its pid gone.
  process.on('exit', () => {
    for (const [dataDir, { token }] of held) removeIfOurs(dataDir, token);
    held.clear();
  });
}

function readOwner(path: string): EmbeddedLockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<EmbeddedLockOwner>;
    if (typeof parsed.pid !== 'number' || typeof parsed.token !== 'string') return undefined;
    return {
      pid: parsed.pid,
      host: String(parsed.host ?? ''),
      role: String(parsed.role ?? 'unknown'),
      startedAt: String(parsed.startedAt ?? 'unknown'),
      bootId: parsed.bootId,
      procStart: parsed.procStart,
      token: parsed.token,
    };
  } catch {
    return undefined; // gone, or not a lock we wrote: treated as stale
  }
}

/** Whether the process that wrote the lock still runs (on another host: assumed so). */
function isAlive(owner: EmbeddedLockOwner): boolean {
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) {
    // This pid wrote it: this very process (another copy of this module), or an earlier one whose
    // pid came round again (a container's pid 1 after a restart), told apart by the start time.
    const start = procStartOf(process.pid);
    return start !== undefined && owner.procStart === start && owner.bootId === bootId();
  }
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists: is it still the process that wrote the lock (not one that reuses its pid after a reboot or a restart)?
  const now = bootId();
  if (owner.bootId && now && owner.bootId !== now) return false;
  const start = procStartOf(owner.pid);
  if (owner.procStart && start && owner.procStart !== start) return false;
  return true;
}

function describeThisProcess(): EmbeddedLockOwner {
  return {
    pid: process.pid,
    host: hostname(),
    role: roleOf(process.argv[1] ?? ''),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    bootId: bootId(),
    procStart: procStartOf(process.pid),
    token: randomBytes(12).toString('hex'),
  };
}

function roleOf(script: string): string {
  const normalized = script.replace(/\\/g, '/');
  if (/apps\/api\/src\/main(\.[jt]s)?$/.test(normalized)) return 'the API';
  if (/apps\/worker\/src\/main(\.[jt]s)?$/.test(normalized)) return 'the worker';
  if (/scripts\/cli(\.[jt]s)?$/.test(normalized)) return 'the CLI';
  return script ? basename(script) : 'node';
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in clock ticks after boot (Linux only). */
function procStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
