import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { CLUSTER_EVENTS, ClusterEvents } from '@app/common';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, createUser, TestUser } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';
import { parseSse, SseEvent } from './support/training';

/**
 * "Revocation that holds": a credential change takes effect on every token and every open stream
 * issued before it, not just on the next sign-in; guessing the current password while holding a
 * stolen token is limited and audited like guessing it at sign-in.
 */

type Inject = TestApp['app']['inject'];
type Opts = Parameters<Inject>[0];

interface OpenStream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Resolves with the events once the server ends the stream. */
  ended: Promise<SseEvent[]>;
  /** The client goes away. */
  close(): void;
}

/** Fails with a message instead of hanging when the server never ends the stream. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))),
  ]);
}

describe('revocation that holds (e2e)', () => {
  let t: TestApp;
  let admin: TestUser;
  let port: number;
  const inject = (opts: Opts) => t.app.inject(opts);
  const me = (token: string) => inject({ method: 'GET', url: '/v1/auth/me', headers: authHeader(token) });
  const asAdmin = (method: 'PATCH' | 'DELETE', url: string, payload?: object) =>
    inject({ method, url, headers: authHeader(admin.accessToken), ...(payload ? { payload } : {}) });
  const login = async (email: string, password: string) => {
    const res = await inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
    expect(res.statusCode).toBe(200);
    return res.json() as { accessToken: string; refreshToken: string };
  };
  const expectRevoked = async (token: string, code: 'TOKEN_REVOKED' | 'CREDENTIALS_REVOKED') => {
    const res = await me(token);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="modelgate", error="invalid_token"/);
    expect(res.json()).toMatchObject({ status: 401, code });
  };

  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '1000', SSE_MAX_STREAMS_PER_CALLER: '2', TRAINING_SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    admin = await bootstrapAdmin(t);
  });
  afterAll(() => t?.close());

  describe('access tokens', () => {
    it('an own password change refuses every access token issued before (the one used included) and tells the other replicas', async () => {
      const u = await createUser(t, 'consumer');
      const otherSession = await login(u.email, u.password);
      const publish = jest.spyOn(t.app.get<ClusterEvents>(CLUSTER_EVENTS), 'publish');
      try {
        const changed = await inject({
          method: 'PATCH',
          url: '/v1/auth/me/password',
          headers: authHeader(u.accessToken),
          payload: { currentPassword: u.password, newPassword: 'a-brand-new-password' },
        });
        expect(changed.statusCode).toBe(204);
        expect(publish).toHaveBeenCalledWith('caller-directory', { kind: 'user', id: u.id });
      } finally {
        publish.mockRestore();
      }
      await expectRevoked(u.accessToken, 'TOKEN_REVOKED');
      await expectRevoked(otherSession.accessToken, 'TOKEN_REVOKED');
      for (const refreshToken of [u.refreshToken, otherSession.refreshToken]) {
        expect((await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } })).statusCode).toBe(401);
      }
      const fresh = await login(u.email, 'a-brand-new-password');
      expect((await me(fresh.accessToken)).statusCode).toBe(200);
    });

    it('an admin password reset refuses the access tokens issued before', async () => {
      const u = await createUser(t, 'consumer');
      expect((await asAdmin('PATCH', `/v1/users/${u.id}`, { password: 'reset-by-the-admin' })).statusCode).toBe(200);
      await expectRevoked(u.accessToken, 'TOKEN_REVOKED');
      expect((await me((await login(u.email, 'reset-by-the-admin')).accessToken)).statusCode).toBe(200);
    });

    it('re-enabling a disabled user does not revive the access tokens issued before the disable', async () => {
      const u = await createUser(t, 'consumer');
      expect((await asAdmin('PATCH', `/v1/users/${u.id}`, { disabled: true })).statusCode).toBe(200);
      await expectRevoked(u.accessToken, 'CREDENTIALS_REVOKED');
      expect((await asAdmin('PATCH', `/v1/users/${u.id}`, { disabled: false })).statusCode).toBe(200);
      await expectRevoked(u.accessToken, 'TOKEN_REVOKED');
      // The sessions ended with the disable; signing in again works.
      expect((await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: u.refreshToken } })).statusCode).toBe(401);
      expect((await me((await login(u.email, u.password)).accessToken)).statusCode).toBe(200);
    });

    it('a role change refuses the access tokens issued before; the session refreshes into a token with the new roles', async () => {
      const u = await createUser(t, 'ml-engineer');
      expect((await asAdmin('PATCH', `/v1/users/${u.id}`, { roles: ['consumer'] })).statusCode).toBe(200);
      await expectRevoked(u.accessToken, 'TOKEN_REVOKED');
      const refreshed = await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: u.refreshToken } });
      expect(refreshed.statusCode).toBe(200);
      expect((await me(refreshed.json().accessToken)).json()).toMatchObject({ id: u.id, roles: ['consumer'] });
    });

    it('keeps the version in the users table (a constraint keeps it positive); an email change does not move it', async () => {
      const u = await createUser(t, 'consumer');
      const db = t.app.get(DataSource);
      const version = async () => (await db.query(`SELECT credential_version AS v FROM users WHERE id = $1`, [u.id]))[0].v as number;
      expect(await version()).toBe(1);
      await asAdmin('PATCH', `/v1/users/${u.id}`, { email: `renamed-${randomBytes(3).toString('hex')}@modelgate.test` });
      expect(await version()).toBe(1);
      await asAdmin('PATCH', `/v1/users/${u.id}`, { roles: ['consumer', 'ml-engineer'] });
      expect(await version()).toBe(2);
      const invalid = db.query(`UPDATE users SET credential_version = 0 WHERE id = $1`, [u.id]);
      await expect(invalid).rejects.toThrow(/chk_users_credential_version/);
    });

    it('a refresh racing a password reset never outlives it: no session and no access token from before survive', async () => {
      const u = await createUser(t, 'consumer');
      const sessions = await Promise.all([1, 2, 3].map(() => login(u.email, u.password)));
      const [reset, ...refreshes] = await Promise.all([
        asAdmin('PATCH', `/v1/users/${u.id}`, { password: 'reset-during-refresh' }),
        ...sessions.map((s) => inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: s.refreshToken } })),
      ]);
      expect(reset.statusCode).toBe(200);
      for (const refreshed of refreshes) {
        expect([200, 401]).toContain(refreshed.statusCode);
        if (refreshed.statusCode === 200) await expectRevoked(refreshed.json().accessToken, 'TOKEN_REVOKED');
      }
      const live = `SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL`;
      expect(await t.app.get(DataSource).query(live, [u.id])).toEqual([{ n: 0 }]);
    });

    it('counts a token without a version (issued before versions existed) as version 1', async () => {
      const u = await createUser(t, 'consumer');
      const legacy = new JwtService({ secret: t.config.auth.jwt.secret }).sign(
        { roles: ['consumer'], kind: 'user' },
        { algorithm: 'HS256', subject: u.id, jwtid: 'legacy', issuer: 'modelgate', audience: 'modelgate-api', expiresIn: 60 },
      );
      expect((await me(legacy)).statusCode).toBe(200);
      await asAdmin('PATCH', `/v1/users/${u.id}`, { password: 'reset-by-the-admin' });
      await expectRevoked(legacy, 'TOKEN_REVOKED');
    });
  });

  describe('event streams', () => {
    /** A training job that stays running (no worker has it), owned by `owner`: its stream only ends if the server ends it. */
    async function runningJob(owner: { id: string; kind: 'user' | 'api-key'; email?: string }): Promise<string> {
      const db = t.app.get(DataSource);
      const sha = 'a'.repeat(64);
      const [dataset] = await db.query(
        `INSERT INTO datasets (name, format, row_count, columns, sha256, size_bytes, storage_key, owner_id, created_by)
         VALUES ('revocation', 'csv', 1, '[]'::jsonb, $1, 1, $2, $3, $3) RETURNING id`,
        [sha, `revocation/${randomBytes(8).toString('hex')}`, owner.id],
      );
      const [job] = await db.query(
        `INSERT INTO training_jobs (status, model_name, dataset_id, dataset_sha256, task, request, epochs, attempts, worker_id,
                                    heartbeat_at, started_at, owner_id, owner_kind, owner_email, created_by)
         VALUES ('running', 'revocation-model', $1, $2, 'classification', '{}'::jsonb, 10, 1, 'nowhere:1:0', now(), now(), $3, $4, $5, $3)
         RETURNING id`,
        [dataset.id, sha, owner.id, owner.kind, owner.email ?? null],
      );
      return job.id as string;
    }

    /** GET the job's event stream over a real connection, resolved once the status line is in. */
    function openStream(jobId: string, headers: Record<string, string>): Promise<OpenStream> {
      return new Promise((resolve, reject) => {
        const path = `/v1/training-jobs/${jobId}/events`;
        const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          const ended = new Promise<SseEvent[]>((done, fail) => {
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () => done(res.headers['content-type']?.startsWith('text/event-stream') ? parseSse(body) : [JSON.parse(body)]));
            res.on('error', fail);
          });
          ended.catch(() => undefined);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, ended, close: () => req.destroy() });
        });
        req.on('error', reject);
        req.end();
      });
    }

    const revokedEvent = async (stream: OpenStream) => (await within(5_000, 'the stream to end', stream.ended)).at(-1);

    const revokedCredentials = { status: 401, code: 'CREDENTIALS_REVOKED' };
    const revokedToken = { status: 401, code: 'TOKEN_REVOKED' };
    it.each([
      ['the user is disabled', revokedCredentials, (u: TestUser) => asAdmin('PATCH', `/v1/users/${u.id}`, { disabled: true })],
      ['the user is deleted', revokedCredentials, (u: TestUser) => asAdmin('DELETE', `/v1/users/${u.id}`)],
      [
        'an admin resets the password',
        revokedToken,
        (u: TestUser) => asAdmin('PATCH', `/v1/users/${u.id}`, { password: 'reset-by-the-admin' }),
      ],
      [
        'the user changes their password (from another session)',
        revokedToken,
        async (u: TestUser) => {
          const other = await login(u.email, u.password);
          const payload = { currentPassword: u.password, newPassword: 'a-brand-new-password' };
          return inject({ method: 'PATCH', url: '/v1/auth/me/password', headers: authHeader(other.accessToken), payload });
        },
      ],
      [
        'the role that gives access is removed',
        revokedToken,
        (u: TestUser) => asAdmin('PATCH', `/v1/users/${u.id}`, { roles: ['consumer'] }),
      ],
    ])('ends an open stream with a revoked event when %s', async (_what, expected, change) => {
      const u = await createUser(t, 'ml-engineer');
      const stream = await openStream(await runningJob({ id: u.id, kind: 'user', email: u.email }), authHeader(u.accessToken));
      expect(stream.status).toBe(200);
      const res = await change(u);
      expect(res.statusCode).toBeLessThan(300);
      expect(await revokedEvent(stream)).toMatchObject({ event: 'revoked', data: expected });
    });

    it('ends an admin’s stream of someone else’s job when the admin is demoted', async () => {
      const owner = await createUser(t, 'ml-engineer');
      const jobId = await runningJob({ id: owner.id, kind: 'user', email: owner.email });
      const other = await createUser(t, 'admin');
      const stream = await openStream(jobId, authHeader(other.accessToken));
      expect(stream.status).toBe(200);
      await asAdmin('PATCH', `/v1/users/${other.id}`, { roles: ['ml-engineer'] });
      expect(await revokedEvent(stream)).toMatchObject({ event: 'revoked', data: { status: 401, code: 'TOKEN_REVOKED' } });
    });

    it('ends an open stream when its API key is revoked, both for X-API-Key and for a client-credentials token', async () => {
      const key = await createApiKey(t, 'ml-engineer');
      const token = await inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: { grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret },
      });
      const jobId = await runningJob({ id: key.id, kind: 'api-key' });
      const byKey = await openStream(jobId, apiKeyHeader(key.key));
      const byToken = await openStream(jobId, authHeader(token.json().access_token));
      expect([byKey.status, byToken.status]).toEqual([200, 200]);
      expect((await asAdmin('DELETE', `/v1/api-keys/${key.id}`)).statusCode).toBe(204);
      for (const stream of [byKey, byToken]) {
        expect(await revokedEvent(stream)).toMatchObject({ event: 'revoked', data: { status: 401, code: 'CREDENTIALS_REVOKED' } });
      }
    });

    it('keeps a stream whose caller keeps access open (another user’s change does not touch it)', async () => {
      const u = await createUser(t, 'ml-engineer');
      const bystander = await createUser(t, 'ml-engineer');
      const stream = await openStream(await runningJob({ id: u.id, kind: 'user', email: u.email }), authHeader(u.accessToken));
      await asAdmin('PATCH', `/v1/users/${bystander.id}`, { disabled: true });
      await expect(within(1_000, 'the stream to end', stream.ended)).rejects.toThrow(/not within/);
      stream.close();
    });

    it('caps the streams a caller holds open: the next is a 429 problem with Retry-After until one is closed', async () => {
      const u = await createUser(t, 'ml-engineer');
      const jobId = await runningJob({ id: u.id, kind: 'user', email: u.email });
      const first = await openStream(jobId, authHeader(u.accessToken));
      const second = await openStream(jobId, authHeader(u.accessToken));
      expect([first.status, second.status]).toEqual([200, 200]);

      const refused = await openStream(jobId, authHeader(u.accessToken));
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await refused.ended)[0]).toMatchObject({ status: 429, code: 'TOO_MANY_STREAMS' });

      // Another caller has slots of its own.
      const admin2 = await openStream(jobId, authHeader(admin.accessToken));
      expect(admin2.status).toBe(200);
      admin2.close();

      // Closed by the client: its slot is released.
      first.close();
      let next: OpenStream | undefined;
      for (const deadline = Date.now() + 3_000; Date.now() < deadline; ) {
        next = await openStream(jobId, authHeader(u.accessToken));
        if (next.status === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(next?.status).toBe(200);
      next?.close();
      second.close();
    });
  });
});

describe('guessing the current password with a stolen token (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
  });
  afterAll(() => t?.close());

  const auditEvents = async (query: string) => {
    const admin = await bootstrapAdmin(t);
    const res = await t.app.inject({ method: 'GET', url: `/v1/audit-events?${query}`, headers: authHeader(admin.accessToken) });
    expect(res.statusCode).toBe(200);
    type Event = {
      action: string;
      actor: { id: string | null };
      target: { id: string | null };
      details: Record<string, unknown>;
      ip: string;
    };
    return { items: res.json().items as Event[], body: res.body };
  };

  it('counts change-password attempts against the account’s sign-in limit (429), and audits the failures and the refusals', async () => {
    const u = await createUser(t, 'consumer');
    const guess = (password: string, remoteAddress: string) =>
      t.app.inject({
        method: 'PATCH',
        url: '/v1/auth/me/password',
        headers: authHeader(u.accessToken),
        payload: { currentPassword: password, newPassword: 'what-the-thief-wants' },
        remoteAddress,
      });
    // From different addresses, so only the per-account budget can stop it.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await guess(`guess-number-${i}`, `198.51.100.${i + 1}`));
    expect(statuses.map((r) => r.statusCode)).toEqual([403, 403, 403, 429]);
    expect(statuses[3].headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(statuses[3].json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(statuses[3].headers['retry-after'])).toBeGreaterThan(0);
    // The right password does not get through either now, and the budget is the one sign-in uses.
    expect((await guess(u.password, '198.51.100.9')).statusCode).toBe(429);
    const signIn = (remoteAddress: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: u.email, password: u.password }, remoteAddress });
    expect((await signIn('203.0.113.7')).statusCode).toBe(429);
    expect((await signIn('203.0.113.8')).statusCode).toBe(429);

    const failed = await auditEvents(`action=user.password-change.failed&targetId=${u.id}`);
    expect(failed.items).toHaveLength(3);
    expect(failed.items[0]).toMatchObject({ actor: { id: u.id }, target: { id: u.id }, details: { reason: 'wrong-current-password' } });
    const throttled = await auditEvents(`action=user.password-change.throttled&actorId=${u.id}`);
    expect(throttled.items).toHaveLength(1);
    expect(throttled.items[0]).toMatchObject({
      ip: '198.51.100.4',
      details: { limit: 'per-account', retryAfterSeconds: expect.any(Number) },
    });
    // A refused sign-in is audited too: once per account and window, however many were refused.
    const login = await auditEvents('action=auth.login.throttled');
    expect(login.items).toHaveLength(1);
    expect(login.items[0]).toMatchObject({ ip: '203.0.113.7', details: { email: u.email, limit: 'per-account' } });
    for (const { body } of [failed, throttled, login]) {
      expect(body).not.toContain('guess-number-');
      expect(body).not.toContain(u.password);
      expect(body).not.toContain('what-the-thief-wants');
    }
  });

  it('audits a sign-in refused by the per-IP limit', async () => {
    const attempt = (i: number) => {
      const payload = { email: `victim-${i}@modelgate.test`, password: 'guessing-password' };
      return t.app.inject({ method: 'POST', url: '/v1/auth/login', payload, remoteAddress: '192.0.2.200' });
    };
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await attempt(i)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const events = (await auditEvents('action=auth.login.throttled')).items.filter((e) => e.ip === '192.0.2.200');
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ limit: 'per-ip', email: 'victim-3@modelgate.test' });
  });
});
