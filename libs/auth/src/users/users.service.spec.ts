import { Actor, ConflictError, ForbiddenError, loadConfigSlice, NotFoundError, Role } from '@app/common';
import { databaseConfig } from '@app/database';
import { CallerDirectory } from '../access/caller-directory';
import { PasswordHasher } from '../passwords/password-hasher';
import { inMemoryAuthPersistence } from '../testing/in-memory-repositories';
import { UsersService } from './users.service';

/** UsersService's rules over in-memory repositories: no database, no server. */
describe('UsersService', () => {
  const config = loadConfigSlice(databaseConfig, { PGLITE_DATA_DIR: 'memory' });
  const hasher = new PasswordHasher({ passwords: { scryptCost: 10 } });
  let p: ReturnType<typeof inMemoryAuthPersistence>;
  let directory: CallerDirectory;
  let users: UsersService;
  let admin: Actor;

  const actorFor = (id: string, roles: Role[] = ['admin']): Actor => ({
    caller: { id, kind: 'user', roles },
    requestId: 'r',
    ip: '127.0.0.1',
  });
  const row = (id: string) => p.users.store.rows.get(id)!;
  const issueToken = (userId: string, familyId = 'f-' + userId) =>
    p.refreshTokens.insert({ userId, familyId, tokenHash: `${familyId}-${Math.random()}`, expiresAt: new Date(Date.now() + 60_000) });

  beforeEach(async () => {
    p = inMemoryAuthPersistence();
    directory = new CallerDirectory(p.users, p.apiKeys, config);
    users = new UsersService(p.users, p.refreshTokens, p.transactions, hasher, p.audit, directory);
    const first = await users.create({ email: 'root@t.test', password: 'root-password-1', roles: ['admin'] }, null, 'bootstrap');
    admin = actorFor(first.id);
  });

  describe('create', () => {
    it('normalises the email, de-duplicates roles, stores only a hash and audits in the same unit of work', async () => {
      const dto = await users.create({ email: '  Ann@T.Test ', password: 'ann-password-1', roles: ['consumer', 'consumer'] }, admin);
      expect(dto).toEqual({
        id: expect.any(String),
        email: 'ann@t.test',
        roles: ['consumer'],
        disabled: false,
        approver: false,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(row(dto.id).passwordHash).toMatch(/^\$scrypt\$/);
      expect(await hasher.verify('ann-password-1', row(dto.id).passwordHash)).toBe(true);
      expect(row(dto.id).credentialVersion).toBe(1);
      expect(p.audit.events.at(-1)).toEqual({
        action: 'user.created',
        actor: admin,
        targetType: 'user',
        targetId: dto.id,
        details: { email: 'ann@t.test', roles: ['consumer'], source: 'api' },
      });
    });

    it('refuses a taken email (any case) with USER_EMAIL_TAKEN and leaves no audit event', async () => {
      const before = p.audit.events.length;
      await expect(users.create({ email: 'ROOT@t.test', password: 'x-password-12', roles: ['consumer'] }, admin)).rejects.toMatchObject({
        code: 'USER_EMAIL_TAKEN',
      });
      await expect(users.create({ email: 'root@t.test', password: 'x-password-12', roles: ['consumer'] }, admin)).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(p.audit.events).toHaveLength(before);
    });
  });

  describe('update', () => {
    it('a role change moves the credential version on (old access tokens are refused) but keeps sessions', async () => {
      const u = await users.create({ email: 'bob@t.test', password: 'bob-password-1', roles: ['consumer'] }, admin);
      await issueToken(u.id);
      expect(await directory.user(u.id, 't', 1)).toMatchObject({ ok: true });

      const dto = await users.update(u.id, { roles: ['ml-engineer'] }, admin);
      expect(dto.roles).toEqual(['ml-engineer']);
      expect(row(u.id).credentialVersion).toBe(2);
      expect(await directory.user(u.id, 't', 1)).toMatchObject({ ok: false, code: 'TOKEN_REVOKED' });
      expect(await directory.user(u.id, 't', 2)).toMatchObject({ ok: true, caller: { roles: ['ml-engineer'] } });
      expect(p.refreshTokens.ofUser(u.id).every((t) => t.revokedAt === null)).toBe(true);
      expect(p.audit.events.at(-1)).toMatchObject({
        action: 'user.updated',
        details: { changed: ['roles'], roles: { from: ['consumer'], to: ['ml-engineer'] } },
      });
    });

    it('an unchanged patch changes no version; an email change alone neither', async () => {
      const u = await users.create({ email: 'cy@t.test', password: 'cy-password-12', roles: ['consumer'] }, admin);
      await users.update(u.id, { roles: ['consumer'], disabled: false }, admin);
      await users.update(u.id, { email: 'Cy2@t.test' }, admin);
      expect(row(u.id)).toMatchObject({ email: 'cy2@t.test', credentialVersion: 1 });
      expect(p.audit.events.at(-2)).toMatchObject({ action: 'user.updated', details: { changed: [] } });
    });

    it('disabling ends every session and moves the version on; enabling again moves it on but revives nothing', async () => {
      const u = await users.create({ email: 'dee@t.test', password: 'dee-password-1', roles: ['consumer'] }, admin);
      await issueToken(u.id, 'f1');
      await issueToken(u.id, 'f2');

      await users.update(u.id, { disabled: true }, admin);
      expect(row(u.id)).toMatchObject({ disabled: true, credentialVersion: 2 });
      expect(p.refreshTokens.ofUser(u.id).every((t) => t.revokedAt !== null)).toBe(true);
      expect(await directory.user(u.id, 't', 2)).toMatchObject({ ok: false, code: 'CREDENTIALS_REVOKED' });

      await users.update(u.id, { disabled: false }, admin);
      expect(row(u.id)).toMatchObject({ disabled: false, credentialVersion: 3 });
      expect(p.refreshTokens.ofUser(u.id).every((t) => t.revokedAt !== null)).toBe(true);
      expect(await directory.user(u.id, 't', 3)).toMatchObject({ ok: true });
    });

    it('an admin password reset revokes every refresh token, moves the version on and audits without the password', async () => {
      const u = await users.create({ email: 'eve@t.test', password: 'eve-password-1', roles: ['consumer'] }, admin);
      await issueToken(u.id);
      await users.update(u.id, { password: 'reset-password-1' }, admin);
      expect(await hasher.verify('reset-password-1', row(u.id).passwordHash)).toBe(true);
      expect(row(u.id).credentialVersion).toBe(2);
      expect(p.refreshTokens.ofUser(u.id).every((t) => t.revokedAt !== null)).toBe(true);
      const event = p.audit.events.at(-1)!;
      expect(event).toMatchObject({ action: 'user.updated', details: { changed: ['password'] } });
      expect(JSON.stringify(event)).not.toContain('reset-password-1');
    });

    it('locks the user row first, then the enabled admins, in every change that may leave no admin', async () => {
      const second = await users.create({ email: 'adm2@t.test', password: 'adm2-password-1', roles: ['admin'] }, admin);
      await users.update(second.id, { roles: ['consumer'] }, admin);
      const tx = p.transactions.transactions.at(-1)!;
      expect(tx.locks[0]).toBe(`user:${second.id}:update`);
      expect(tx.locks.slice(1)).toEqual([admin.caller.id, second.id].sort().map((id) => `user:${id}:update`));
    });

    it('refuses to demote, disable or delete the last enabled admin, and rolls back', async () => {
      const id = admin.caller.id;
      for (const patch of [{ roles: ['consumer'] as Role[] }, { disabled: true }]) {
        await expect(users.update(id, patch, admin)).rejects.toMatchObject({ code: 'LAST_ADMIN' });
      }
      await expect(users.remove(id, admin)).rejects.toMatchObject({ code: 'LAST_ADMIN' });
      expect(row(id)).toMatchObject({ roles: ['admin'], disabled: false, credentialVersion: 1 });
      expect(p.audit.actions()).toEqual(['user.created']);
    });

    it('refuses an email another user has, and an unknown or malformed id', async () => {
      const u = await users.create({ email: 'fay@t.test', password: 'fay-password-1', roles: ['consumer'] }, admin);
      await expect(users.update(u.id, { email: 'root@t.test' }, admin)).rejects.toMatchObject({ code: 'USER_EMAIL_TAKEN' });
      expect(row(u.id).email).toBe('fay@t.test');
      await expect(users.update('00000000-0000-4000-8000-000000000000', { disabled: true }, admin)).rejects.toBeInstanceOf(NotFoundError);
      await expect(users.get('not-a-uuid')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    });
  });

  it('removes a user, audits it, and the directory forgets them', async () => {
    const u = await users.create({ email: 'gus@t.test', password: 'gus-password-1', roles: ['consumer'] }, admin);
    expect(await directory.user(u.id, 't', 1)).toMatchObject({ ok: true });
    await users.remove(u.id, admin);
    expect(p.users.store.rows.has(u.id)).toBe(false);
    expect(await directory.user(u.id, 't', 1)).toMatchObject({ ok: false, code: 'CREDENTIALS_REVOKED' });
    expect(p.audit.events.at(-1)).toMatchObject({
      action: 'user.deleted',
      targetId: u.id,
      details: { email: 'gus@t.test', roles: ['consumer'] },
    });
  });

  describe('changeOwnPassword', () => {
    it('with the right current password: new hash, version moved on, sessions ended, audited', async () => {
      const u = await users.create({ email: 'hal@t.test', password: 'hal-password-1', roles: ['consumer'] }, admin);
      await issueToken(u.id);
      await users.changeOwnPassword(actorFor(u.id, ['consumer']), 'hal-password-1', 'hal-password-2');
      expect(await hasher.verify('hal-password-2', row(u.id).passwordHash)).toBe(true);
      expect(row(u.id).credentialVersion).toBe(2);
      expect(p.refreshTokens.ofUser(u.id).every((t) => t.revokedAt !== null)).toBe(true);
      expect(p.audit.actions().at(-1)).toBe('user.password-changed');
    });

    it('refuses a wrong current password (audited) and service accounts', async () => {
      const u = await users.create({ email: 'ida@t.test', password: 'ida-password-1', roles: ['consumer'] }, admin);
      await expect(users.changeOwnPassword(actorFor(u.id, ['consumer']), 'wrong-password', 'ida-password-2')).rejects.toMatchObject({
        code: 'CURRENT_PASSWORD_INCORRECT',
      });
      expect(p.audit.events.at(-1)).toMatchObject({ action: 'user.password-change.failed', details: { reason: 'wrong-current-password' } });
      expect(row(u.id).credentialVersion).toBe(1);
      const service: Actor = { caller: { id: u.id, kind: 'api-key', roles: ['consumer'] }, requestId: 'r', ip: '::1' };
      await expect(users.changeOwnPassword(service, 'x', 'y')).rejects.toBeInstanceOf(ForbiddenError);
    });

    it('fails when the password was changed between the check and the write (the reset wins)', async () => {
      const u = await users.create({ email: 'jo@t.test', password: 'jo-password-12', roles: ['consumer'] }, admin);
      const verify = hasher.verify.bind(hasher);
      const spy = jest.spyOn(hasher, 'verify').mockImplementationOnce(async (password, stored) => {
        const ok = await verify(password, stored);
        await users.update(u.id, { password: 'admin-reset-pw-1' }, admin);
        return ok;
      });
      await expect(users.changeOwnPassword(actorFor(u.id, ['consumer']), 'jo-password-12', 'jo-password-13')).rejects.toMatchObject({
        code: 'CURRENT_PASSWORD_INCORRECT',
      });
      spy.mockRestore();
      expect(await hasher.verify('admin-reset-pw-1', row(u.id).passwordHash)).toBe(true);
      expect(p.audit.events.at(-1)).toMatchObject({ details: { reason: 'password-changed-meanwhile' } });
    });
  });

  it('lists by email substring (LIKE characters literal) and role, oldest first', async () => {
    await users.create({ email: 'a_b@t.test', password: 'p-password-123', roles: ['consumer'] }, admin);
    await users.create({ email: 'axb@t.test', password: 'p-password-123', roles: ['ml-engineer'] }, admin);
    expect((await users.list({ q: 'A_B', limit: 10, offset: 0 })).items.map((u) => u.email)).toEqual(['a_b@t.test']);
    const engineers = await users.list({ role: 'ml-engineer', limit: 10, offset: 0 });
    expect(engineers.items.map((u) => u.email)).toEqual(['axb@t.test']);
    expect(engineers.page.total).toBe(1);
  });

  it('knows whether an enabled admin exists', async () => {
    expect(await users.anyEnabledAdmin()).toBe(true);
    p.users.store.rows.get(admin.caller.id)!.disabled = true;
    expect(await users.anyEnabledAdmin()).toBe(false);
  });
});
