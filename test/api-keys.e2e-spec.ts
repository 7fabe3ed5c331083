import { DataSource } from 'typeorm';
import { createHash } from 'node:crypto';
import { ApiKeyUsage, CallerDirectory } from '@app/auth';
import { apiKeyHeader, authHeader, bootstrapAdmin, createApiKey, tokenFor } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

describe('API keys and OAuth2 client credentials (e2e)', () => {
  let t: TestApp;
  let admin: string;
  const inject = (opts: Parameters<TestApp['app']['inject']>[0]) => t.app.inject(opts);
  const me = (headers: Record<string, string>) => inject({ method: 'GET', url: '/v1/auth/me', headers });
  const createKey = (payload: object, token = admin) =>
    inject({ method: 'POST', url: '/v1/api-keys', headers: authHeader(token), payload });
  const token = (payload: string | object, headers: Record<string, string> = {}) =>
    inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: typeof payload === 'string' ? { 'content-type': 'application/x-www-form-urlencoded', ...headers } : headers,
      payload,
    });

  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    admin = (await bootstrapAdmin(t)).accessToken;
  });
  afterAll(() => t?.close());

  describe('create, use, list, revoke', () => {
    it('creates a key shown once, which then authenticates with its role', async () => {
      const res = await createKey({ name: 'scoring-service', role: 'consumer' });
      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(created).toEqual({
        id: expect.any(String),
        name: 'scoring-service',
        role: 'consumer',
        key: expect.stringMatching(/^mgk_[A-Za-z0-9_-]{43}$/),
        clientId: expect.stringMatching(/^mgc_[0-9a-f]{24}$/),
        clientSecret: expect.stringMatching(/^mgs_[A-Za-z0-9_-]{43}$/),
        expiresAt: null,
        createdAt: expect.any(String),
      });
      const who = await me(apiKeyHeader(created.key));
      expect(who.statusCode).toBe(200);
      expect(who.json()).toEqual({ id: created.id, kind: 'api-key', email: null, roles: ['consumer'], name: 'scoring-service' });
      // The key's role is enforced like a user's.
      const users = await inject({ method: 'GET', url: '/v1/users', headers: apiKeyHeader(created.key) });
      expect(users.statusCode).toBe(403);

      const list = await inject({ method: 'GET', url: '/v1/api-keys', headers: authHeader(admin) });
      expect(list.statusCode).toBe(200);
      const listed = list.json().items.find((k: { id: string }) => k.id === created.id);
      expect(listed).toMatchObject({
        name: 'scoring-service',
        role: 'consumer',
        keyPrefix: created.key.slice(0, 10),
        clientId: created.clientId,
        revokedAt: null,
      });
      expect(listed.lastUsedAt).not.toBeNull();
      expect(JSON.stringify(list.json())).not.toContain(created.key);
      expect(JSON.stringify(list.json())).not.toContain(created.clientSecret);
    });

    it('stores only hashes of the secrets', async () => {
      const created = await createApiKey(t, 'consumer');
      const rows = await t.app.get(DataSource).query(`SELECT * FROM api_keys WHERE id = $1`, [created.id]);
      const row = JSON.stringify(rows);
      expect(row).not.toContain(created.key);
      expect(row).not.toContain(created.clientSecret.slice(4));
    });

    it('revokes at once: the very next request with the key is 401 (the lookup cache included)', async () => {
      const created = await createApiKey(t, 'ml-engineer');
      expect((await me(apiKeyHeader(created.key))).statusCode).toBe(200); // now cached
      const del = await inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: authHeader(admin) });
      expect(del.statusCode).toBe(204);
      const after = await me(apiKeyHeader(created.key));
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('API_KEY_INVALID');
      // Idempotent; unknown ids are 404.
      expect((await inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: authHeader(admin) })).statusCode).toBe(204);
      const unknown = await inject({
        method: 'DELETE',
        url: '/v1/api-keys/00000000-0000-4000-8000-000000000000',
        headers: authHeader(admin),
      });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json().code).toBe('API_KEY_NOT_FOUND');
      // Revoked keys leave the default listing but stay visible on request.
      const active = (await inject({ method: 'GET', url: '/v1/api-keys', headers: authHeader(admin) })).json().items;
      expect(active.some((k: { id: string }) => k.id === created.id)).toBe(false);
      const all = (await inject({ method: 'GET', url: '/v1/api-keys?includeRevoked=true&limit=100', headers: authHeader(admin) })).json()
        .items;
      expect(all.find((k: { id: string }) => k.id === created.id).revokedAt).not.toBeNull();
    });

    it('audits creation and revocation without secrets', async () => {
      const res = await createKey({ name: 'audited', role: 'consumer' });
      const created = res.json();
      await inject({ method: 'DELETE', url: `/v1/api-keys/${created.id}`, headers: authHeader(admin) });
      const events = (
        await inject({ method: 'GET', url: `/v1/audit-events?targetType=api-key&targetId=${created.id}`, headers: authHeader(admin) })
      ).json().items;
      expect(events.map((e: { action: string }) => e.action)).toEqual(['api-key.revoked', 'api-key.created']);
      expect(events[1].actor.kind).toBe('user');
      const text = JSON.stringify(events);
      expect(text).not.toContain(created.key);
      expect(text).not.toContain(created.clientSecret);
    });

    it('honours an expiry', async () => {
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const res = await createKey({ name: 'temporary', role: 'consumer', expiresAt: future });
      expect(res.statusCode).toBe(201);
      expect(res.json().expiresAt).toBe(future);
      const past = await createKey({ name: 'temporary', role: 'consumer', expiresAt: new Date(Date.now() - 1000).toISOString() });
      expect(past.statusCode).toBe(400);
      expect(past.json().errors[0].field).toBe('expiresAt');
      // Let the key run out (set the clock of the row back) and wait out the lookup cache.
      const key = res.json();
      await t.app.get(DataSource).query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [key.id]);
      t.app.get(CallerDirectory).forgetApiKey({ id: key.id, keyHash: createHash('sha256').update(key.key).digest('hex') });
      expect((await me(apiKeyHeader(key.key))).statusCode).toBe(401);
      const viaToken = await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret });
      expect(viaToken.statusCode).toBe(401);
    });

    it('rejects unknown keys, malformed keys and two credentials at once', async () => {
      expect((await me(apiKeyHeader('mgk_' + 'A'.repeat(43)))).statusCode).toBe(401);
      expect((await me(apiKeyHeader('whatever'))).statusCode).toBe(401);
      const created = await createApiKey(t, 'consumer');
      const both = await me({ ...apiKeyHeader(created.key), ...authHeader(admin) });
      expect(both.statusCode).toBe(401);
      expect(both.json().code).toBe('AMBIGUOUS_CREDENTIALS');
    });

    it('validates the creation body and refuses non-admins', async () => {
      const bad = await createKey({ name: '', role: 'root', extra: 1 });
      expect(bad.statusCode).toBe(400);
      const fields = bad.json().errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['name', 'role', 'extra']));
      const engineer = await tokenFor(t, 'ml-engineer');
      expect((await createKey({ name: 'x', role: 'consumer' }, engineer)).statusCode).toBe(403);
    });

    it('tracks last use in memory and writes it in one batch', async () => {
      const created = await createApiKey(t, 'consumer');
      await me(apiKeyHeader(created.key));
      const ds = t.app.get(DataSource);
      const before = await ds.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [created.id]);
      expect(before[0].last_used_at).toBeNull();
      expect(await t.app.get(ApiKeyUsage).flush()).toBeGreaterThanOrEqual(1);
      const after = await ds.query(`SELECT last_used_at FROM api_keys WHERE id = $1`, [created.id]);
      expect(after[0].last_used_at).not.toBeNull();
    });
  });

  describe('POST /v1/auth/token (client credentials)', () => {
    it('issues a bearer token for form-encoded credentials, which acts as the key', async () => {
      const key = await createApiKey(t, 'ml-engineer');
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret });
      const res = await token(form.toString());
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      const body = res.json();
      expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900 });
      const who = await me(authHeader(body.access_token));
      expect(who.statusCode).toBe(200);
      expect(who.json()).toMatchObject({ id: key.id, kind: 'api-key', roles: ['ml-engineer'] });
    });

    it('accepts JSON and HTTP Basic client authentication too', async () => {
      const key = await createApiKey(t, 'consumer');
      const json = await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret });
      expect(json.statusCode).toBe(200);
      const basic = Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64');
      const viaBasic = await token('grant_type=client_credentials', { authorization: `Basic ${basic}` });
      expect(viaBasic.statusCode).toBe(200);
    });

    it('answers RFC 6749 §5.2 errors, not problem documents', async () => {
      const key = await createApiKey(t, 'consumer');
      const wrongSecret = await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: 'mgs_wrong' });
      expect(wrongSecret.statusCode).toBe(401);
      expect(wrongSecret.headers['content-type']).toMatch(/^application\/json/);
      expect(wrongSecret.headers['www-authenticate']).toMatch(/^Basic/);
      expect(wrongSecret.json()).toEqual({ error: 'invalid_client', error_description: expect.any(String) });

      const unknownClient = await token({
        grant_type: 'client_credentials',
        client_id: 'mgc_000000000000000000000000',
        client_secret: key.clientSecret,
      });
      expect(unknownClient.json()).toEqual(wrongSecret.json());

      const noCredentials = await token({ grant_type: 'client_credentials' });
      expect(noCredentials.statusCode).toBe(401);
      expect(noCredentials.json().error).toBe('invalid_client');

      const grant = await token('grant_type=password&username=a&password=b');
      expect(grant.statusCode).toBe(400);
      expect(grant.json().error).toBe('unsupported_grant_type');

      const missing = await token({ client_id: key.clientId, client_secret: key.clientSecret });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toBe('invalid_request');

      const unknownField = await token({
        grant_type: 'client_credentials',
        client_id: key.clientId,
        client_secret: key.clientSecret,
        admin: true,
      });
      expect(unknownField.statusCode).toBe(400);
      expect(unknownField.json().error).toBe('invalid_request');

      const basic = Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64');
      const twoWays = await token({ grant_type: 'client_credentials', client_id: key.clientId }, { authorization: `Basic ${basic}` });
      expect(twoWays.statusCode).toBe(400);
      expect(twoWays.json().error).toBe('invalid_request');
    });

    it('stops tokens of a revoked key on the next request', async () => {
      const key = await createApiKey(t, 'consumer');
      const issued = (await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret })).json();
      expect((await me(authHeader(issued.access_token))).statusCode).toBe(200);
      await inject({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: authHeader(admin) });
      const after = await me(authHeader(issued.access_token));
      expect(after.statusCode).toBe(401);
      expect(after.json().code).toBe('CREDENTIALS_REVOKED');
      const again = await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret });
      expect(again.json().error).toBe('invalid_client');
    });

    it('audits issued and refused tokens without the secret', async () => {
      const key = await createApiKey(t, 'consumer');
      await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: key.clientSecret });
      await token({ grant_type: 'client_credentials', client_id: key.clientId, client_secret: 'mgs_guess' });
      const events = (await inject({ method: 'GET', url: `/v1/audit-events?targetId=${key.id}`, headers: authHeader(admin) })).json().items;
      const actions = events.map((e: { action: string }) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['auth.token.issued', 'auth.token.failed']));
      expect(JSON.stringify(events)).not.toContain(key.clientSecret);
      expect(JSON.stringify(events)).not.toContain('mgs_guess');
    });
  });
});
