import { randomBytes } from 'node:crypto';
import type { Role } from '@app/common';
import { ApiKeysService, AuthService, UsersService } from '@app/auth';
import type { TestApp } from './test-app';

/**
 * Credentials for e2e suites. Users and keys are made through the services (not HTTP) so that
 * suites never spend the login rate limit or depend on the order of their tests; the tokens and
 * keys are the real ones the HTTP API issues.
 */

export interface TestUser {
  id: string;
  email: string;
  password: string;
  roles: Role[];
  accessToken: string;
  refreshToken: string;
}

const admins = new WeakMap<TestApp, Promise<TestUser>>();

/** The suite's first admin (created once per app), signed in. */
export function bootstrapAdmin(t: TestApp): Promise<TestUser> {
  let admin = admins.get(t);
  if (!admin) {
    const fromConfig = t.config.auth.bootstrapAdmin;
    admin = fromConfig
      ? signIn(t, fromConfig.email, fromConfig.password)
      : createUser(t, 'admin', { email: `admin-${randomBytes(4).toString('hex')}@modelgate.test` });
    admins.set(t, admin);
  }
  return admin;
}

/** A fresh user with the given role, signed in (access + refresh token). */
export function createUser(t: TestApp, role: Role, opts: { email?: string; password?: string } = {}): Promise<TestUser> {
  const email = opts.email ?? `${role}-${randomBytes(6).toString('hex')}@modelgate.test`;
  const password = opts.password ?? `pw-${randomBytes(12).toString('hex')}`;
  return t.app
    .get(UsersService)
    .create({ email, password, roles: [role] }, null)
    .then(() => signIn(t, email, password));
}

/** A bearer access token for a fresh user of that role. */
export async function tokenFor(t: TestApp, role: Role): Promise<string> {
  return (await createUser(t, role)).accessToken;
}

export interface TestApiKey {
  id: string;
  key: string;
  clientId: string;
  clientSecret: string;
}

/** A fresh service account of that role; returns the whole creation answer (key shown once). */
export async function createApiKey(t: TestApp, role: Role, opts: { expiresAt?: Date; name?: string } = {}): Promise<TestApiKey> {
  const created = await t.app
    .get(ApiKeysService)
    .create({ name: opts.name ?? `test-${role}-${randomBytes(3).toString('hex')}`, role, expiresAt: opts.expiresAt }, null);
  return { id: created.id, key: created.key, clientId: created.clientId, clientSecret: created.clientSecret };
}

/** An `X-API-Key` value for a fresh service account of that role. */
export async function apiKeyFor(t: TestApp, role: Role): Promise<string> {
  return (await createApiKey(t, role)).key;
}

export function authHeader(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export function apiKeyHeader(key: string): { 'x-api-key': string } {
  return { 'x-api-key': key };
}

async function signIn(t: TestApp, email: string, password: string): Promise<TestUser> {
  const pair = await t.app.get(AuthService).login({ email, password }, { ip: '127.0.0.1', requestId: 'test-support' });
  const me = await t.app.get(UsersService).findByEmail(email);
  if (!me) throw new Error(`test user ${email} vanished`);
  return { id: me.id, email, password, roles: [...me.roles], accessToken: pair.accessToken, refreshToken: pair.refreshToken };
}
