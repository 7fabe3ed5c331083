import { loadConfigSlice } from '@app/common';
import { authConfig } from '../auth.config';
import { inMemoryAuthPersistence } from '../testing/in-memory-repositories';
import { RefreshTokensService } from './refresh-tokens.service';
import { sha256 } from './secrets';

/** Refresh-token rules (sessions, rotation, reuse detection, logout) over in-memory repositories. */
describe('RefreshTokensService', () => {
  const config = loadConfigSlice(authConfig, { JWT_REFRESH_TTL_SECONDS: '3600' });
  let p: ReturnType<typeof inMemoryAuthPersistence>;
  let tokens: RefreshTokensService;
  let userId: string;
  const allowed = async () => true;

  beforeEach(async () => {
    p = inMemoryAuthPersistence();
    tokens = new RefreshTokensService(p.refreshTokens, p.users, p.transactions, config);
    userId = (await p.users.insert({ email: 'r@t.test', passwordHash: 'x', roles: ['consumer'] })).id;
  });

  const rowOf = (token: string) => p.refreshTokens.store.all().find((t) => t.tokenHash === sha256(token))!;
  const family = (familyId: string) => p.refreshTokens.store.all().filter((t) => t.familyId === familyId);

  it('issues opaque tokens stored as a hash, expiring after the refresh TTL', async () => {
    const before = Date.now();
    const { token, familyId } = await tokens.issue(userId);
    expect(token).toMatch(/^mgr_[A-Za-z0-9_-]{43}$/);
    const row = rowOf(token);
    expect(row).toMatchObject({ userId, familyId, usedAt: null, revokedAt: null });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  describe('startSession', () => {
    it('starts a family while the account is as the login found it, holding the user row (FOR SHARE)', async () => {
      const session = await tokens.startSession(userId, 1);
      expect(session).toEqual({ token: expect.stringMatching(/^mgr_/), familyId: expect.any(String) });
      expect(p.transactions.transactions.at(-1)!.locks).toEqual([`user:${userId}:share`]);
    });

    it('issues nothing when the credential version moved on, the account is disabled or gone', async () => {
      p.users.store.rows.get(userId)!.credentialVersion = 2;
      expect(await tokens.startSession(userId, 1)).toBeNull();
      p.users.store.rows.get(userId)!.disabled = true;
      expect(await tokens.startSession(userId, 2)).toBeNull();
      expect(await tokens.startSession('00000000-0000-4000-8000-000000000000', 1)).toBeNull();
      expect(p.refreshTokens.store.all()).toHaveLength(0);
    });
  });

  describe('rotate', () => {
    it('spends the token and issues its successor in the same family', async () => {
      const { token, familyId } = await tokens.issue(userId);
      const result = await tokens.rotate(token, allowed);
      expect(result).toEqual({ outcome: 'rotated', userId, familyId, refreshToken: expect.stringMatching(/^mgr_/), subject: true });
      if (result.outcome !== 'rotated') throw new Error('expected a rotation');
      expect(rowOf(token).usedAt).toBeInstanceOf(Date);
      expect(rowOf(result.refreshToken)).toMatchObject({ familyId, usedAt: null, revokedAt: null });
    });

    it("asks authorize (which locks the user's row) before locking the token's row, and hands back its answer", async () => {
      const { token } = await tokens.issue(userId);
      const result = await tokens.rotate(token, async (id, tx) => p.users.findByIdForShare(id, tx));
      expect(result).toMatchObject({ outcome: 'rotated', subject: { id: userId, email: 'r@t.test' } });
      expect(p.transactions.transactions.at(-1)!.locks).toEqual([`user:${userId}:share`, `refresh-token:${rowOf(token).id}:update`]);
    });

    it('treats reuse of a spent token as theft: the whole family is revoked, successor included', async () => {
      const first = await tokens.issue(userId);
      const second = await tokens.rotate(first.token, allowed);
      if (second.outcome !== 'rotated') throw new Error('expected a rotation');
      expect(await tokens.rotate(first.token, allowed)).toEqual({ outcome: 'reused', userId, familyId: first.familyId });
      expect(family(first.familyId).every((t) => t.revokedAt)).toBe(true);
      expect(await tokens.rotate(second.refreshToken, allowed)).toEqual({ outcome: 'rejected' });
    });

    it('leaves other families alone when one is revoked', async () => {
      const a = await tokens.issue(userId);
      const b = await tokens.issue(userId);
      await tokens.rotate(a.token, allowed);
      await tokens.rotate(a.token, allowed);
      expect(family(b.familyId).every((t) => t.revokedAt === null)).toBe(true);
      expect(await tokens.rotate(b.token, allowed)).toMatchObject({ outcome: 'rotated' });
    });

    it('rejects an expired token and revokes its family', async () => {
      const expired = await tokens.issue(userId);
      rowOf(expired.token).expiresAt = new Date(Date.now() - 1000);
      expect(await tokens.rotate(expired.token, allowed)).toEqual({ outcome: 'rejected' });
      expect(rowOf(expired.token)).toMatchObject({ usedAt: null, revokedAt: expect.any(Date) });
    });

    it('rejects (and revokes the family of) a user authorize refuses: disabled or gone', async () => {
      for (const refusal of [null, false] as const) {
        const t = await tokens.issue(userId);
        expect(await tokens.rotate(t.token, async () => refusal)).toEqual({ outcome: 'rejected' });
        expect(rowOf(t.token).revokedAt).toBeInstanceOf(Date);
      }
    });

    it('rejects malformed, unknown and revoked tokens without changing anything', async () => {
      expect(await tokens.rotate('not-a-token', allowed)).toEqual({ outcome: 'rejected' });
      expect(p.transactions.transactions).toHaveLength(0);
      expect(await tokens.rotate('mgr_' + 'x'.repeat(43), allowed)).toEqual({ outcome: 'rejected' });
      const t = await tokens.issue(userId);
      const revokedAt = new Date(Date.now() - 5000);
      rowOf(t.token).revokedAt = revokedAt;
      expect(await tokens.rotate(t.token, allowed)).toEqual({ outcome: 'rejected' });
      expect(rowOf(t.token)).toMatchObject({ usedAt: null, revokedAt });
      expect(p.refreshTokens.store.all()).toHaveLength(1);
    });
  });

  it('logout revokes the family by any of its tokens, spent or not; unknown tokens end nothing', async () => {
    const first = await tokens.issue(userId);
    const second = await tokens.rotate(first.token, allowed);
    if (second.outcome !== 'rotated') throw new Error('expected a rotation');
    expect(await tokens.revokeFamilyOf(first.token)).toEqual({ userId, familyId: first.familyId });
    expect(family(first.familyId).every((t) => t.revokedAt)).toBe(true);
    expect(await tokens.rotate(second.refreshToken, allowed)).toEqual({ outcome: 'rejected' });
    expect(await tokens.revokeFamilyOf('mgr_' + 'y'.repeat(43))).toBeNull();
    expect(await tokens.revokeFamilyOf('nope')).toBeNull();
  });
});
