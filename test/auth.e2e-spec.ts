import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { DataSource } from 'typeorm';
import { AdminBootstrap, UsersService } from '@app/auth';
import { createUserCommand } from '../scripts/cli';
import { authHeader, bootstrapAdmin, createUser } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

type Inject = TestApp['app']['inject'];
type Opts = Parameters<Inject>[0];

const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('auth (e2e)', () => {
  let t: TestApp;
  const inject = (opts: Opts) => t.app.inject(opts);
  const login = (email: string, password: string, remoteAddress?: string) =>
    inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, ...(remoteAddress ? { remoteAddress } : {}) });
  const me = (token: string) => inject({ method: 'GET', url: '/v1/auth/me', headers: authHeader(token) });
  const auditEvents = async (query: string) => {
    const admin = await bootstrapAdmin(t);
    const res = await inject({ method: 'GET', url: `/v1/audit-events?${query}`, headers: authHeader(admin.accessToken) });
    expect(res.statusCode).toBe(200);
    return res.json().items as {
      action: string;
      actor: { id: string | null; kind: string; email: string | null };
      target: { id: string };
      details: Record<string, unknown>;
      ip: string;
      requestId: string;
    }[];
  };

  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  afterAll(() => t?.close());

  describe('login', () => {
    it('answers a token pair for the right password', async () => {
      const u = await createUser(t, 'ml-engineer');
      const res = await login(u.email.toUpperCase(), u.password);
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body).toEqual({
        accessToken: expect.any(String),
        refreshToken: expect.stringMatching(/^mgr_/),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ sub: u.id, roles: ['ml-engineer'], kind: 'user', iss: 'modelgate', aud: 'modelgate-api' });
      expect(claims.jti).toEqual(expect.any(String));
      expect(claims.exp - claims.iat).toBe(900);
      const who = await me(body.accessToken);
      expect(who.statusCode).toBe(200);
      expect(who.json()).toEqual({ id: u.id, kind: 'user', email: u.email, roles: ['ml-engineer'] });
    });

    it('answers the same 401 for an unknown email, a wrong password and a disabled account', async () => {
      const u = await createUser(t, 'consumer');
      const disabled = await createUser(t, 'consumer');
      const admin = await bootstrapAdmin(t);
      await inject({
        method: 'PATCH',
        url: `/v1/users/${disabled.id}`,
        headers: authHeader(admin.accessToken),
        payload: { disabled: true },
      });

      const answers = await Promise.all([
        login('nobody-here@modelgate.test', 'whatever-password'),
        login(u.email, 'the-wrong-password'),
        login(disabled.email, disabled.password),
      ]);
      for (const res of answers) {
        expect(res.statusCode).toBe(401);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
      const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
      const [a, b, c] = answers.map((r) => strip(r.json()));
      expect(a).toEqual(b);
      expect(b).toEqual(c);
      expect(a).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS', detail: 'The email or password is not correct.' });
    });

    it('rejects a missing field with a 400 problem', async () => {
      const res = await inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@b.c' } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    });

    it('audits successes and failures without the password', async () => {
      const u = await createUser(t, 'consumer');
      await login(u.email, 'not-the-password-123', '10.1.2.3');
      await login(u.email, u.password);
      const failed = await auditEvents(`action=auth.login.failed&targetId=${u.id}`);
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({
        actor: { kind: 'anonymous', id: null },
        ip: '10.1.2.3',
        details: { email: u.email, reason: 'wrong-password' },
      });
      const ok = await auditEvents(`action=auth.login.succeeded&actorId=${u.id}`);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(ok[0].actor).toEqual({ kind: 'user', id: u.id, email: u.email });
      expect(JSON.stringify([...failed, ...ok])).not.toContain('not-the-password-123');
      expect(JSON.stringify([...failed, ...ok])).not.toContain(u.password);
    });
  });

  describe('refresh tokens', () => {
    const refresh = (refreshToken: string) => inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });

    it('rotates: each refresh token works once and yields a new pair', async () => {
      const u = await createUser(t, 'consumer');
      const first = await refresh(u.refreshToken);
      expect(first.statusCode).toBe(200);
      const pair = first.json();
      expect(pair.refreshToken).not.toBe(u.refreshToken);
      expect((await me(pair.accessToken)).statusCode).toBe(200);
      const second = await refresh(pair.refreshToken);
      expect(second.statusCode).toBe(200);
    });

    it('detects reuse: the used token answers 401 and the whole family is revoked', async () => {
      const u = await createUser(t, 'consumer');
      const rotated = (await refresh(u.refreshToken)).json();
      const replay = await refresh(u.refreshToken);
      expect(replay.statusCode).toBe(401);
      expect(replay.json().code).toBe('REFRESH_TOKEN_REUSED');
      // The legitimate successor dies with the family: whoever holds it must sign in again.
      const successor = await refresh(rotated.refreshToken);
      expect(successor.statusCode).toBe(401);
      expect(successor.json().code).toBe('INVALID_REFRESH_TOKEN');
      const events = await auditEvents(`action=auth.refresh-token.reuse-detected&targetId=${u.id}`);
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events)).not.toContain(u.refreshToken);
    });

    it('rejects unknown and malformed refresh tokens with 401', async () => {
      expect((await refresh('mgr_' + 'A'.repeat(43))).statusCode).toBe(401);
      expect((await refresh('nonsense')).statusCode).toBe(401);
    });

    it('logout revokes the session; logging out again is still 204', async () => {
      const u = await createUser(t, 'consumer');
      const rotated = (await refresh(u.refreshToken)).json();
      const out = await inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: rotated.refreshToken } });
      expect(out.statusCode).toBe(204);
      expect((await refresh(rotated.refreshToken)).statusCode).toBe(401);
      const again = await inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: rotated.refreshToken } });
      expect(again.statusCode).toBe(204);
      expect(await auditEvents(`action=auth.logout&targetId=${u.id}`)).toHaveLength(2);
    });

    it('a disabled user cannot refresh', async () => {
      const u = await createUser(t, 'consumer');
      const admin = await bootstrapAdmin(t);
      await inject({ method: 'PATCH', url: `/v1/users/${u.id}`, headers: authHeader(admin.accessToken), payload: { disabled: true } });
      expect((await refresh(u.refreshToken)).statusCode).toBe(401);
    });
  });

  describe('access tokens', () => {
    const sign = (claims: object, header: object = { alg: 'HS256', typ: 'JWT' }, key: string | null = t.config.auth.jwt.secret) => {
      const body = `${b64(header)}.${b64(claims)}`;
      return key === null ? `${body}.` : `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
    };
    const now = () => Math.floor(Date.now() / 1000);
    let user: Awaited<ReturnType<typeof createUser>>;
    const claims = (extra: object = {}) => ({
      sub: user.id,
      roles: ['admin'],
      kind: 'user',
      jti: 'forged',
      iss: 'modelgate',
      aud: 'modelgate-api',
      iat: now(),
      exp: now() + 600,
      ...extra,
    });

    beforeAll(async () => {
      user = await createUser(t, 'consumer');
    });

    it('accepts a well-formed token signed with the server key (control)', async () => {
      expect((await me(sign(claims()))).statusCode).toBe(200);
    });

    it.each([
      ['alg none', () => sign(claims(), { alg: 'none', typ: 'JWT' }, null), 'TOKEN_INVALID'],
      ['a wrong signature', () => sign(claims(), undefined, 'not-the-server-secret'), 'TOKEN_INVALID'],
      ['an expired token', () => sign(claims({ iat: now() - 1000, exp: now() - 10 })), 'TOKEN_EXPIRED'],
      ['a token not valid yet (nbf)', () => sign(claims({ nbf: now() + 300 })), 'TOKEN_INVALID'],
      ['a wrong issuer', () => sign(claims({ iss: 'evil' })), 'TOKEN_INVALID'],
      ['a wrong audience', () => sign(claims({ aud: 'other-api' })), 'TOKEN_INVALID'],
      ['a token without our claims', () => sign(claims({ kind: 'root' })), 'TOKEN_INVALID'],
      ['garbage', () => 'a.b.c', 'TOKEN_INVALID'],
    ])('rejects %s with 401', async (_name, token, code) => {
      const res = await me(token());
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="modelgate", error="invalid_token"/);
      expect(res.json()).toMatchObject({ status: 401, code });
    });

    it('answers 401 without credentials and with an unsupported scheme', async () => {
      const none = await inject({ method: 'GET', url: '/v1/auth/me' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="modelgate"');
      expect(none.json().code).toBe('UNAUTHENTICATED');
      const basic = await inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: 'Basic Zm9vOmJhcg==' } });
      expect(basic.statusCode).toBe(401);
    });

    it('takes roles from the account, not the token: a forged admin claim gets nothing more', async () => {
      const res = await inject({ method: 'GET', url: '/v1/users', headers: authHeader(sign(claims())) });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('INSUFFICIENT_ROLE');
    });

    it('stops the tokens of a disabled and of a deleted user at once', async () => {
      const admin = await bootstrapAdmin(t);
      const a = await createUser(t, 'consumer');
      const b = await createUser(t, 'consumer');
      expect((await me(a.accessToken)).statusCode).toBe(200);
      expect((await me(b.accessToken)).statusCode).toBe(200);
      await inject({ method: 'PATCH', url: `/v1/users/${a.id}`, headers: authHeader(admin.accessToken), payload: { disabled: true } });
      await inject({ method: 'DELETE', url: `/v1/users/${b.id}`, headers: authHeader(admin.accessToken) });
      for (const token of [a.accessToken, b.accessToken]) {
        const res = await me(token);
        expect(res.statusCode).toBe(401);
        expect(res.json().code).toBe('CREDENTIALS_REVOKED');
      }
    });

    it('applies a role change to existing tokens at once: they are refused, and a refreshed one has the new roles', async () => {
      const admin = await bootstrapAdmin(t);
      const u = await createUser(t, 'admin');
      expect((await inject({ method: 'GET', url: '/v1/users', headers: authHeader(u.accessToken) })).statusCode).toBe(200);
      await inject({ method: 'PATCH', url: `/v1/users/${u.id}`, headers: authHeader(admin.accessToken), payload: { roles: ['consumer'] } });
      const old = await inject({ method: 'GET', url: '/v1/users', headers: authHeader(u.accessToken) });
      expect(old.statusCode).toBe(401);
      expect(old.json().code).toBe('TOKEN_REVOKED');
      const refreshed = await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: u.refreshToken } });
      expect((await inject({ method: 'GET', url: '/v1/users', headers: authHeader(refreshed.json().accessToken) })).statusCode).toBe(403);
    });
  });

  describe('own password', () => {
    const change = (token: string, payload: object) =>
      inject({ method: 'PATCH', url: '/v1/auth/me/password', headers: authHeader(token), payload });

    it('needs the current password, then replaces it and ends the sessions', async () => {
      const u = await createUser(t, 'consumer');
      const wrong = await change(u.accessToken, { currentPassword: 'not-my-password', newPassword: 'a-brand-new-password' });
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json().code).toBe('CURRENT_PASSWORD_INCORRECT');
      const short = await change(u.accessToken, { currentPassword: u.password, newPassword: 'short' });
      expect(short.statusCode).toBe(400);
      expect(short.json().errors[0].field).toBe('newPassword');

      const ok = await change(u.accessToken, { currentPassword: u.password, newPassword: 'a-brand-new-password' });
      expect(ok.statusCode).toBe(204);
      expect((await login(u.email, u.password)).statusCode).toBe(401);
      expect((await login(u.email, 'a-brand-new-password')).statusCode).toBe(200);
      const refreshed = await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: u.refreshToken } });
      expect(refreshed.statusCode).toBe(401);
      expect(await auditEvents(`action=user.password-changed&targetId=${u.id}`)).toHaveLength(1);
    });
  });

  describe('CLI create-user', () => {
    it('creates an admin with a generated password shown once, who can sign in', async () => {
      const users = t.app.get(UsersService);
      const result = await createUserCommand(users, ['--email', 'cli-admin@modelgate.test', '--role', 'admin'], async () => '');
      expect(result.exitCode).toBe(0);
      const password = /password \(shown once\): (\S+)/.exec(result.output)?.[1];
      expect(password).toBeDefined();
      expect((await login('cli-admin@modelgate.test', password!)).statusCode).toBe(200);
      const created = await auditEvents('action=user.created&targetType=user');
      expect(created.find((e) => e.details.email === 'cli-admin@modelgate.test')?.details.source).toBe('cli');
    });

    it('reads the password from stdin when asked, and refuses bad input', async () => {
      const users = t.app.get(UsersService);
      const ok = await createUserCommand(
        users,
        ['--email', 'cli-2@modelgate.test', '--role', 'consumer', '--password-stdin'],
        async () => 'stdin-password-123\n',
      );
      expect(ok).toEqual({ exitCode: 0, output: expect.not.stringContaining('stdin-password-123') });
      expect((await login('cli-2@modelgate.test', 'stdin-password-123')).statusCode).toBe(200);
      expect((await createUserCommand(users, ['--email', 'x@y.z', '--role', 'root'], async () => '')).exitCode).toBe(2);
      expect((await createUserCommand(users, ['--email', 'cli-2@modelgate.test', '--role', 'admin'], async () => '')).exitCode).toBe(1);
    });
  });
});

describe('auth: first admin, brute force and RS256 (e2e)', () => {
  it('creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD, once', async () => {
    const t = await startTestApp({ ADMIN_EMAIL: 'First.Admin@modelgate.test', ADMIN_PASSWORD: 'first-admin-password' });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: 'first.admin@modelgate.test', password: 'first-admin-password' },
      });
      expect(res.statusCode).toBe(200);
      const ds = t.app.get(DataSource);
      expect(await ds.query(`SELECT email, roles FROM users`)).toEqual([{ email: 'first.admin@modelgate.test', roles: ['admin'] }]);
      // Booting again (another replica, a restart) with an admin present creates nobody.
      await new AdminBootstrap(
        { ...t.config.auth, bootstrapAdmin: { email: 'second@modelgate.test', password: 'second-admin-password' } },
        t.app.get(UsersService),
      ).onApplicationBootstrap();
      expect(await ds.query(`SELECT count(*)::int AS n FROM users`)).toEqual([{ n: 1 }]);
    } finally {
      await t.close();
    }
  });

  it('answers 429 with Retry-After after AUTH_RATE_LIMIT_PER_MINUTE sign-in attempts per IP and per account', async () => {
    const t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const attempt = (email: string, remoteAddress: string) =>
        t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: 'guessing-password' }, remoteAddress });
      // Per IP: many accounts from one address.
      const fromOneIp = [];
      for (let i = 0; i < 4; i++) fromOneIp.push(await attempt(`victim-${i}@modelgate.test`, '198.51.100.7'));
      expect(fromOneIp.map((r) => r.statusCode)).toEqual([401, 401, 401, 429]);
      const limited = fromOneIp[3];
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Per account: one account from many addresses.
      const oneAccount = [];
      for (let i = 0; i < 4; i++) oneAccount.push(await attempt('target@modelgate.test', `203.0.113.${i + 1}`));
      expect(oneAccount.map((r) => r.statusCode)).toEqual([401, 401, 401, 429]);
      // Others are unaffected.
      expect((await attempt('someone-else@modelgate.test', '192.0.2.55')).statusCode).toBe(401);
      // The token endpoint has the same protection.
      const token = [];
      for (let i = 0; i < 4; i++) {
        token.push(
          await t.app.inject({
            method: 'POST',
            url: '/v1/auth/token',
            payload: { grant_type: 'client_credentials', client_id: 'mgc_x', client_secret: 'y' },
            remoteAddress: '198.51.100.99',
          }),
        );
      }
      expect(token.map((r) => r.statusCode)).toEqual([401, 401, 401, 429]);
      expect(token[3].headers['retry-after']).toBeDefined();
    } finally {
      await t.close();
    }
  });

  it('limits each caller to RATE_LIMIT_PER_MINUTE requests, separately', async () => {
    const t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const a = await createUser(t, 'consumer');
      const b = await createUser(t, 'consumer');
      const get = (token: string) => t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: authHeader(token) });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await get(a.accessToken)).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect((await get(b.accessToken)).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('signs with RS256 when a key pair is configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgate-rs256-'));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    writeFileSync(join(dir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'public.pem'), publicPem);
    const t = await startTestApp({ JWT_PRIVATE_KEY_FILE: join(dir, 'private.pem'), JWT_PUBLIC_KEY_FILE: join(dir, 'public.pem') });
    try {
      const u = await createUser(t, 'consumer');
      expect(JSON.parse(Buffer.from(u.accessToken.split('.')[0], 'base64url').toString()).alg).toBe('RS256');
      expect((await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: authHeader(u.accessToken) })).statusCode).toBe(200);
      // The classic confusion attack: HS256 "signed" with the public key.
      const hs = new JwtService({ secret: publicPem }).sign(
        { roles: ['consumer'], kind: 'user' },
        { algorithm: 'HS256', subject: u.id, jwtid: 'x', issuer: 'modelgate', audience: 'modelgate-api', expiresIn: 60 },
      );
      const res = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: authHeader(hs) });
      expect(res.statusCode).toBe(401);
    } finally {
      await t.close();
    }
  });
});
