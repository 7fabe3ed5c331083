import { Socket } from 'node:net';
import { Client } from 'pg';

/**
 * The real servers some suites need (Postgres, Redis on 127.0.0.1, or TEST_DATABASE_URL /
 * TEST_REDIS_URL). Jest's global setup probes them once per run and leaves the answer in
 * process.env[SERVERS_ENV] for every worker; a suite that needs one declares it with
 * describeWithServers(['postgres', 'redis'], …). When one is not reachable the suite is skipped with
 * one line saying why and how to run it, except under CI=true, where it fails: CI must run them all.
 */
export type TestServer = 'postgres' | 'redis';

export const SERVERS_ENV = 'MODELGATE_TEST_SERVERS';

export interface ServerStatus {
  /** Where the suites reach it. */
  url: string;
  reachable: boolean;
  /** Why not, when not reachable. */
  reason?: string;
}

export type ServersStatus = Record<TestServer, ServerStatus>;

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The addresses the suites use, and the ones probed: TEST_PROBE_POSTGRES_URL / TEST_PROBE_REDIS_URL
 * point only the probe elsewhere (a closed port, say, to see the skips without stopping a server
 * that other suites use).
 */
function targets(env: NodeJS.ProcessEnv): Record<TestServer, { url: string; probe: string }> {
  const postgres = env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES_URL;
  const redis = env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL;
  return {
    postgres: { url: postgres, probe: env.TEST_PROBE_POSTGRES_URL ?? postgres },
    redis: { url: redis, probe: env.TEST_PROBE_REDIS_URL ?? redis },
  };
}

/** Connects and asks each server one question (SELECT 1, PING), within `timeoutMs`. */
export async function probeServers(env: NodeJS.ProcessEnv = process.env, timeoutMs = 2_000): Promise<ServersStatus> {
  const t = targets(env);
  const [postgres, redis] = await Promise.all([probePostgres(t.postgres.probe, timeoutMs), probeRedis(t.redis.probe, timeoutMs)]);
  return {
    postgres: { url: t.postgres.probe, ...postgres },
    redis: { url: t.redis.probe, ...redis },
  };
}

async function probePostgres(url: string, timeoutMs: number): Promise<Omit<ServerStatus, 'url'>> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { reachable: true };
  } catch (error) {
    return { reachable: false, reason: describeError(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function probeRedis(url: string, timeoutMs: number): Promise<Omit<ServerStatus, 'url'>> {
  const parsed = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    let answer = '';
    const done = (result: Omit<ServerStatus, 'url'>) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ reachable: false, reason: `no answer within ${timeoutMs} ms` }));
    socket.once('error', (error) => done({ reachable: false, reason: describeError(error) }));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (!answer.includes('\r\n')) return;
      // +PONG, or -NOAUTH… (a server that wants a password still answers: it is there).
      done(answer.startsWith('+PONG') || answer.startsWith('-NOAUTH') ? { reachable: true } : { reachable: false, reason: answer.trim() });
    });
    socket.connect(Number(parsed.port || 6379), parsed.hostname || '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

function describeError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? ` (${e.message})` : ''}` : String(e.message ?? error);
}

/** Jest's global setup: probes once per run (a second project's setup finds the answer already there). */
export async function recordServerProbe(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env[SERVERS_ENV]) return;
  env[SERVERS_ENV] = JSON.stringify(await probeServers(env));
}

/** The probe's answer; undefined when no global setup ran (the suites then simply run, as before). */
export function probedServers(env: NodeJS.ProcessEnv = process.env): ServersStatus | undefined {
  const raw = env[SERVERS_ENV];
  return raw ? (JSON.parse(raw) as ServersStatus) : undefined;
}

const HOW_TO = {
  postgres:
    'start PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres), or point TEST_DATABASE_URL at one, e.g. ' +
    '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`',
  redis:
    'start Redis on 127.0.0.1:6379, or point TEST_REDIS_URL at one, e.g. ' +
    '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`',
};

const NAMES: Record<TestServer, string> = { postgres: 'PostgreSQL', redis: 'Redis' };

export type ServerGuard = { action: 'run' } | { action: 'skip'; line: string } | { action: 'fail'; message: string };

/** What a suite needing `servers` does, given the probe's answer: run, skip (one line why), or fail under CI. */
export function serverGuard(suite: string, servers: readonly TestServer[], status: ServersStatus | undefined, ci: boolean): ServerGuard {
  const missing = status ? servers.filter((s) => !status[s].reachable) : [];
  if (missing.length === 0) return { action: 'run' };
  const why = missing.map((s) => `${NAMES[s]} at ${status![s].url} is not reachable (${status![s].reason ?? 'unknown'})`).join('; ');
  const how = missing.map((s) => HOW_TO[s]).join('; and ');
  if (ci) {
    return {
      action: 'fail',
      message: `"${suite}" needs ${missing.map((s) => NAMES[s]).join(' and ')}: ${why}. CI runs every suite: ${how}.`,
    };
  }
  return { action: 'skip', line: `[skipped] "${suite}": ${why}. To run it: ${how}.\n` };
}

function guard(name: string, servers: readonly TestServer[]): ServerGuard {
  return serverGuard(name, servers, probedServers(), process.env.CI === 'true');
}

/**
 * `describe` for a suite that needs real servers. Reachable: it runs. Not reachable: it is
 * skipped, with one line on stderr (why, and how to run it); with CI=true it fails instead.
 */
export function describeWithServers(servers: readonly TestServer[], name: string, fn: () => void): void {
  const g = guard(name, servers);
  if (g.action === 'run') return describe(name, fn);
  if (g.action === 'fail') {
    return describe(name, () => {
      it(`needs ${servers.join(' and ')}`, () => {
        throw new Error(g.message);
      });
    });
  }
  process.stderr.write(g.line);
  describe.skip(name, fn);
}

/** The same for one test inside a suite that otherwise needs nothing. */
export function itWithServers(servers: readonly TestServer[], name: string, fn: () => Promise<unknown>, timeoutMs?: number): void {
  const g = guard(name, servers);
  if (g.action === 'run') return it(name, fn, timeoutMs);
  if (g.action === 'fail') {
    return it(name, () => {
      throw new Error(g.message);
    });
  }
  process.stderr.write(g.line);
  it.skip(name, fn);
}
