import { Writable } from 'node:stream';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { REDACTED_PATHS } from '@app/common';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, createUser } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Its own file on purpose: Nest's static Logger follows the last app that called useLogger(), so
 * the log capture is only reliable with one app in the module registry.
 */
describe('auth: secrets never reach the logs (e2e)', () => {
  const lines: string[] = [];
  let t: TestApp;

  // Booting at the most verbose level logs every migration and query: on a loaded CI runner that
  // alone took most of a test's 60 s, so the boot runs in a hook with a budget of its own.
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Like the production logger (same redaction), at the most verbose level, into memory.
    const logger = pino({ level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } }, sink);
    t = await startTestApp({}, { logger });
  }, 120_000);
  afterAll(() => t?.close());

  it('logs requests, failures and database errors without passwords, hashes, tokens or keys', async () => {
    const admin = await bootstrapAdmin(t);
    const user = await createUser(t, 'consumer');
    const key = await createApiKey(t, 'consumer');
    const inject = t.app.inject.bind(t.app);
    await inject({ method: 'POST', url: '/v1/auth/login', payload: { email: user.email, password: user.password } });
    await inject({ method: 'POST', url: '/v1/auth/login', payload: { email: user.email, password: 'wrong-password-typed' } });
    await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
    await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
    await inject({ method: 'GET', url: '/v1/auth/me', headers: apiKeyHeader(key.key) });
    await inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret },
    });
    // A duplicate email fails inside the database: the failed INSERT carries the new hash.
    await inject({
      method: 'POST',
      url: '/v1/users',
      headers: authHeader(admin.accessToken),
      payload: { email: user.email, password: 'duplicate-user-password', roles: ['consumer'] },
    });
    const hashes = await t.app
      .get(DataSource)
      .query(
        `SELECT password_hash AS h FROM users UNION ALL SELECT token_hash FROM refresh_tokens UNION ALL SELECT key_hash FROM api_keys`,
      );
    const log = lines.join('');
    expect(log).toContain('request completed');
    expect(log).toContain('query failed');
    const secrets = [
      user.password,
      'wrong-password-typed',
      'duplicate-user-password',
      user.refreshToken,
      user.accessToken,
      key.key,
      key.clientSecret,
      admin.accessToken,
    ];
    for (const secret of [...secrets, ...hashes.map((r: { h: string }) => r.h)]) expect(log).not.toContain(secret);
    expect(log).not.toMatch(/\$scrypt\$/);
  });
});
