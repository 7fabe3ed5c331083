import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import pino from 'pino';
import { NEST_STARTUP_CONTEXTS } from '@app/common';
import { HealthService } from '@app/observability';
import { listen, serverUrl } from '../apps/api/src/create-app';
import { startTestApp, TestApp } from './support/test-app';

interface Line {
  level: number;
  msg: string;
  context?: string;
  [key: string]: unknown;
}

function nativeBindingInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

const INFO = 30;
const WARN = 40;

/**
 * What a new user reads when the API starts: at info, a handful of lines (the inference backend,
 * the URL and the docs, how to create the first admin while none exists), never Nest's route
 * table or a missing optional module. Its own file: Nest's static Logger follows the last app that
 * called useLogger(), and nestjs-pino keeps the first logger it saw for lines outside a request, so
 * every app here logs through one pino logger whose level and lines the tests set and read.
 */
describe('start-up log (e2e)', () => {
  let lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);

  async function boot(level: 'info' | 'debug', env: Record<string, string> = {}): Promise<{ t: TestApp; url: string; startup: Line[] }> {
    lines = [];
    logger.level = level;
    // What a new user sees on the default set-up (under TEST_DATABASE_URL, Postgres with filesystem
    // artifacts would add its own, intended, start-up warning).
    const t = await startTestApp({ HOST: '127.0.0.1', PORT: '0', ...env }, { logger, embedded: true });
    const url = await listen(t.app, t.config, logger);
    return { t, url, startup: [...lines] };
  }

  it('at info: the backend, the URL with /docs, and how to create the first admin; nothing else', async () => {
    const { t, url, startup } = await boot('info');
    try {
      const port = (t.app.getHttpServer().address() as { port: number }).port;
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const messages = startup.map((l) => `${l.level} ${l.context ?? '-'} ${l.msg}`);

      // A few lines, each worth reading.
      expect(startup.length).toBeLessThanOrEqual(4);
      expect(startup.filter((l) => l.context && NEST_STARTUP_CONTEXTS.has(l.context))).toEqual([]);
      expect(messages.join('\n')).not.toMatch(/Cannot find module|tfjs-node|Mapped \{|dependencies initialized/);

      // One line names the inference backend.
      const backend = startup.filter((l) => /^TensorFlow\.js backend: (tensorflow|wasm|cpu)$/.test(l.msg));
      expect(backend).toHaveLength(1);
      expect(backend[0].level).toBe(INFO);

      // No admin yet: one warning naming both ways to make one.
      const warnings = startup.filter((l) => l.level >= WARN);
      expect(warnings).toHaveLength(1);
      expect(warnings[0].context).toBe('AdminBootstrap');
      expect(warnings[0].msg).toContain('ADMIN_EMAIL=');
      expect(warnings[0].msg).toContain('ADMIN_PASSWORD=');
      expect(warnings[0].msg).toContain('npm run cli -- create-user --email');
      expect(warnings[0].msg).toContain('--role admin');

      // After listen: where to go, last.
      const listening = startup.at(-1)!;
      expect(listening.level).toBe(INFO);
      expect(listening.msg).toBe(`ModelGate is listening on ${url} (API docs: ${url}/docs)`);
      expect(listening).toEqual(expect.objectContaining({ url, docs: `${url}/docs` }));
      const docs = await fetch(`${url}/docs`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');
    } finally {
      await t.close();
    }
  });

  it('with ADMIN_EMAIL and ADMIN_PASSWORD: the admin is created and there is no warning', async () => {
    const { t, startup } = await boot('info', { ADMIN_EMAIL: 'first@modelgate.test', ADMIN_PASSWORD: 'first-admin-password' });
    try {
      expect(startup.filter((l) => l.level >= WARN)).toEqual([]);
      expect(startup.map((l) => l.msg)).toContain('Created the first admin first@modelgate.test from ADMIN_EMAIL.');
      expect(startup.length).toBeLessThanOrEqual(4);
    } finally {
      await t.close();
    }
  });

  it('at debug: Nest’s module and route lines and the missing tfjs-node are there, at debug', async () => {
    const { t, startup } = await boot('debug');
    try {
      const debug = startup.filter((l) => l.level < INFO);
      expect(debug.filter((l) => l.context === 'RouterExplorer').length).toBeGreaterThan(50);
      expect(debug.some((l) => l.context === 'RoutesResolver')).toBe(true);
      expect(debug.some((l) => l.context === 'InstanceLoader')).toBe(true);
      // On machines without the optional native binding (this one), its absence is a debug note.
      const native = startup.filter((l) => l.backend === 'tensorflow' && /not available/.test(l.msg));
      if (!nativeBindingInstalled()) expect(native).toHaveLength(1);
      for (const line of native) expect(line.level).toBeLessThan(INFO);
      const atInfo = startup.filter((l) => l.level >= INFO);
      expect(atInfo.length).toBeLessThanOrEqual(4);
    } finally {
      await t.close();
    }
  });

  it('inside a request, a Nest log line carries the request id (the request-bound logger)', async () => {
    const { t } = await boot('info');
    try {
      const health = t.app.get(HealthService);
      const ready = health.ready.bind(health);
      health.ready = () => {
        new Logger('Probe').log('inside a request');
        return ready();
      };
      lines = [];
      const res = await t.app.inject({ method: 'GET', url: '/health/ready', headers: { 'x-request-id': 'startup-log-probe-1' } });
      expect(res.statusCode).toBe(200);
      expect(lines.filter((l) => l.msg === 'inside a request')).toEqual([
        expect.objectContaining({ context: 'Probe', reqId: 'startup-log-probe-1' }),
      ]);
    } finally {
      await t.close();
    }
  });

  it('names the address a person can open: localhost for a wildcard bind, brackets for IPv6, https with TLS', () => {
    expect(serverUrl('0.0.0.0', 3000, false)).toBe('http://localhost:3000');
    expect(serverUrl('::', 3000, false)).toBe('http://localhost:3000');
    expect(serverUrl('127.0.0.1', 8080, false)).toBe('http://127.0.0.1:8080');
    expect(serverUrl('::1', 3000, false)).toBe('http://[::1]:3000');
    expect(serverUrl('api.internal', 443, true)).toBe('https://api.internal:443');
  });
});
