import { DataSource } from 'typeorm';
import { authHeader, bootstrapAdmin, createUser, tokenFor } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

describe('users admin and audit events (e2e)', () => {
  let t: TestApp;
  let admin: string;
  let adminId: string;
  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const asAdmin = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    inject({ method, url, headers: authHeader(admin), ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    const a = await bootstrapAdmin(t);
    admin = a.accessToken;
    adminId = a.id;
  });
  afterAll(() => t?.close());

  describe('users', () => {
    it('creates a user (201) who can sign in; the answer never holds the password or its hash', async () => {
      const res = await asAdmin('POST', '/v1/users', { email: 'Grace@Example.com', password: 'grace-password-1', roles: ['ml-engineer'] });
      expect(res.statusCode).toBe(201);
      const user = res.json();
      expect(user).toEqual({
        id: expect.any(String),
        email: 'grace@example.com',
        roles: ['ml-engineer'],
        disabled: false,
        approver: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(res.body).not.toContain('grace-password-1');
      expect(res.body).not.toMatch(/scrypt|password/i);
      const login = await inject({
        method: 'POST',
        url: '/v1/auth/login',
        payload: { email: 'grace@example.com', password: 'grace-password-1' },
      });
      expect(login.statusCode).toBe(200);
      const stored = await t.app.get(DataSource).query(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
      expect(stored[0].password_hash).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$/);
    });

    it('refuses a second account for the same email in any case (409)', async () => {
      await asAdmin('POST', '/v1/users', { email: 'dup@example.com', password: 'dup-password-123', roles: ['consumer'] });
      const res = await asAdmin('POST', '/v1/users', { email: 'DUP@example.com', password: 'dup-password-123', roles: ['consumer'] });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('USER_EMAIL_TAKEN');
    });

    it('rejects fields a caller may not set (no mass assignment), never applying them', async () => {
      const create = await asAdmin('POST', '/v1/users', {
        email: 'mass@example.com',
        password: 'mass-password-123',
        roles: ['consumer'],
        id: '00000000-0000-4000-8000-000000000001',
        disabled: true,
        passwordHash: 'x',
      });
      expect(create.statusCode).toBe(400);
      expect(
        create
          .json()
          .errors.map((e: { field: string }) => e.field)
          .sort(),
      ).toEqual(['disabled', 'id', 'passwordHash']);
      expect(await t.app.get(DataSource).query(`SELECT 1 FROM users WHERE email = 'mass@example.com'`)).toEqual([]);

      const u = await createUser(t, 'consumer');
      const patch = await asAdmin('PATCH', `/v1/users/${u.id}`, { roles: ['admin'], createdAt: '2000-01-01T00:00:00Z', passwordHash: 'x' });
      expect(patch.statusCode).toBe(400);
      expect((await asAdmin('GET', `/v1/users/${u.id}`)).json().roles).toEqual(['consumer']);
    });

    it('validates roles, emails and passwords', async () => {
      const res = await asAdmin('POST', '/v1/users', { email: 'not-an-email', password: 'short', roles: ['root'] });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['email', 'password', 'roles']));
      const empty = await asAdmin('POST', '/v1/users', { email: 'e@example.com', password: 'long-enough-pass', roles: [] });
      expect(empty.statusCode).toBe(400);
    });

    it('lists with paging and filters', async () => {
      for (const n of [1, 2, 3])
        await asAdmin('POST', '/v1/users', { email: `page-${n}@list.example`, password: 'list-password-1', roles: ['consumer'] });
      const page = await asAdmin('GET', '/v1/users?q=list.example&limit=2&offset=1');
      expect(page.statusCode).toBe(200);
      expect(page.json()).toEqual({
        items: [expect.objectContaining({ email: 'page-2@list.example' }), expect.objectContaining({ email: 'page-3@list.example' })],
        page: { limit: 2, offset: 1, total: 3 },
      });
      const admins = (await asAdmin('GET', '/v1/users?role=admin&limit=100')).json();
      expect(admins.items.every((u: { roles: string[] }) => u.roles.includes('admin'))).toBe(true);
      expect((await asAdmin('GET', '/v1/users?limit=1000')).statusCode).toBe(400);
    });

    it('gets, updates and deletes; unknown ids are 404', async () => {
      const u = await createUser(t, 'consumer');
      expect((await asAdmin('GET', `/v1/users/${u.id}`)).json().email).toBe(u.email);
      const patched = await asAdmin('PATCH', `/v1/users/${u.id}`, { roles: ['ml-engineer', 'consumer'], email: 'New.Address@Example.com' });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ roles: ['ml-engineer', 'consumer'], email: 'new.address@example.com' });
      expect((await asAdmin('DELETE', `/v1/users/${u.id}`)).statusCode).toBe(204);
      for (const id of [u.id, 'not-a-uuid']) {
        const res = await asAdmin('GET', `/v1/users/${id}`);
        expect(res.statusCode).toBe(404);
        expect(res.json().code).toBe('USER_NOT_FOUND');
      }
      expect((await asAdmin('DELETE', `/v1/users/${u.id}`)).statusCode).toBe(404);
    });

    it('an admin reset of the password ends the user\u2019s sessions', async () => {
      const u = await createUser(t, 'consumer');
      expect((await asAdmin('PATCH', `/v1/users/${u.id}`, { password: 'reset-by-admin-1' })).statusCode).toBe(200);
      const refresh = await inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: u.refreshToken } });
      expect(refresh.statusCode).toBe(401);
      const login = await inject({ method: 'POST', url: '/v1/auth/login', payload: { email: u.email, password: 'reset-by-admin-1' } });
      expect(login.statusCode).toBe(200);
    });

    it('never leaves the system without an enabled admin', async () => {
      // Only the bootstrap admin is an enabled admin once the others are demoted.
      const others = (await asAdmin('GET', '/v1/users?role=admin&limit=100')).json().items.filter((u: { id: string }) => u.id !== adminId);
      for (const o of others) await asAdmin('PATCH', `/v1/users/${o.id}`, { roles: ['consumer'] });
      for (const [method, payload] of [
        ['PATCH', { roles: ['consumer'] }],
        ['PATCH', { disabled: true }],
        ['DELETE', undefined],
      ] as const) {
        const res = await asAdmin(method, `/v1/users/${adminId}`, payload);
        expect(res.statusCode).toBe(409);
        expect(res.json().code).toBe('LAST_ADMIN');
      }
      const second = await createUser(t, 'admin');
      expect((await asAdmin('PATCH', `/v1/users/${second.id}`, { disabled: true })).statusCode).toBe(200);
    });

    it('is admin-only', async () => {
      for (const role of ['consumer', 'ml-engineer'] as const) {
        const res = await inject({ method: 'GET', url: '/v1/users', headers: authHeader(await tokenFor(t, role)) });
        expect(res.statusCode).toBe(403);
      }
    });
  });

  describe('audit events', () => {
    it('records user and role changes with the acting admin, ip and request id', async () => {
      const created = (
        await asAdmin('POST', '/v1/users', { email: 'audited@example.com', password: 'audited-password', roles: ['consumer'] })
      ).json();
      await inject({
        method: 'PATCH',
        url: `/v1/users/${created.id}`,
        headers: { ...authHeader(admin), 'x-request-id': 'audit-req-123456' },
        payload: { roles: ['ml-engineer'], password: 'changed-password-1' },
        remoteAddress: '192.0.2.10',
      });
      const res = await asAdmin('GET', `/v1/audit-events?targetType=user&targetId=${created.id}`);
      expect(res.statusCode).toBe(200);
      const [updated, create] = res.json().items;
      expect(create).toMatchObject({
        action: 'user.created',
        actor: { kind: 'user', id: adminId },
        details: { email: 'audited@example.com', roles: ['consumer'], source: 'api' },
      });
      expect(updated).toMatchObject({
        action: 'user.updated',
        actor: { kind: 'user', id: adminId },
        ip: '192.0.2.10',
        requestId: 'audit-req-123456',
        target: { type: 'user', id: created.id },
        details: { changed: ['roles', 'password'], roles: { from: ['consumer'], to: ['ml-engineer'] } },
      });
      expect(res.body).not.toContain('audited-password');
      expect(res.body).not.toContain('changed-password-1');
    });

    it('filters by action, actor and time, pages, and is admin-only', async () => {
      const since = new Date().toISOString();
      const a = (
        await asAdmin('POST', '/v1/users', { email: 'filter-a@example.com', password: 'filter-password', roles: ['consumer'] })
      ).json();
      await asAdmin('POST', '/v1/users', { email: 'filter-b@example.com', password: 'filter-password', roles: ['consumer'] });
      const byAction = (
        await asAdmin('GET', `/v1/audit-events?action=user.created&actorId=${adminId}&from=${encodeURIComponent(since)}&limit=1`)
      ).json();
      expect(byAction.page).toEqual({ limit: 1, offset: 0, total: 2 });
      expect(byAction.items[0]).toMatchObject({ action: 'user.created', details: { email: 'filter-b@example.com' } });
      const before = (await asAdmin('GET', `/v1/audit-events?targetId=${a.id}&to=${encodeURIComponent(since)}`)).json();
      expect(before.page.total).toBe(0);
      expect((await asAdmin('GET', '/v1/audit-events?from=yesterday')).statusCode).toBe(400);
      const engineer = await tokenFor(t, 'ml-engineer');
      expect((await inject({ method: 'GET', url: '/v1/audit-events', headers: authHeader(engineer) })).statusCode).toBe(403);
    });
  });
});
