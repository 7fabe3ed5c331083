import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './exit-codes';

/**
 * The profile file: `$XDG_CONFIG_HOME/modelgate/config.json`, else `~/.config/modelgate/config.json`,
 * written with mode 0600 (its directory 0700). `login` stores a profile's URL and session there.
 */
export interface Profile {
  url?: string;
  /** The signed-in user (shown, never a secret). */
  email?: string;
  /** A service account's key (`login --api-key-stdin`). */
  apiKey?: string;
  /** The session's single-use refresh token, replaced at every refresh. */
  refreshToken?: string;
  /** The current access token and when it expires (ISO): reused until then, so that not every command refreshes. */
  accessToken?: string;
  accessTokenExpiresAt?: string;
}

export interface ConfigFile {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

export interface Environment {
  [name: string]: string | undefined;
}

export function configPath(env: Environment, homedir: string): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(homedir, '.config');
  return join(base, 'modelgate', 'config.json');
}

export function readConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    return { ...parsed, profiles: parsed.profiles && typeof parsed.profiles === 'object' ? parsed.profiles : {} };
  } catch {
    throw new UsageError(`${path} is not valid JSON: fix or remove it`);
  }
}

/** Writes the whole file atomically (temporary file + rename), readable by its owner only. */
export function writeConfig(path: string, config: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Changes one profile (read, change, write): `undefined` removes it. The caller holds the lock. */
export function changeProfile(path: string, name: string, change: (profile: Profile) => Profile | undefined): void {
  const config = readConfig(path);
  const next = change({ ...(config.profiles[name] ?? {}) });
  if (next === undefined) delete config.profiles[name];
  else config.profiles[name] = stripUndefined(next);
  writeConfig(path, config);
}

/** changeProfile under the file's lock. */
export function updateProfile(path: string, name: string, change: (profile: Profile) => Profile | undefined): Promise<void> {
  return withConfigLock(path, () => changeProfile(path, name, change));
}

/**
 * Runs `work` holding `<config>.lock` (created exclusively), so that two commands sharing a profile
 * never both spend its single-use refresh token (the server would revoke the session). A lock
 * older than 30 s is a crashed command's and is taken over.
 */
export async function withConfigLock<T>(path: string, work: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 30_000) unlinkSync(lock);
      } catch {
        // gone meanwhile: try again
      }
      if (Date.now() > deadline)
        throw new Error(`${lock} is held by another modelgate command; remove it if none is running`, { cause: error });
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  try {
    return await work();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already removed
    }
  }
}

function stripUndefined(profile: Profile): Profile {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined && v !== '')) as Profile;
}
