import { DataSource } from 'typeorm';
import { loadConfigSlice } from '@app/common';
import { authConfig } from '../auth.config';
import { managerOf, TypeormUnitOfWork } from '@app/database';
import { ApiKeyEntity } from '../api-keys/entities/api-key.entity';
import { UserEntity } from '../users/entities/user.entity';
import { RefreshTokenEntity } from './entities/refresh-token.entity';
import { TypeormUsersRepository } from '../users/users.typeorm-repository';
import { RefreshTokensService } from './refresh-tokens.service';
import { TypeormRefreshTokensRepository } from './refresh-tokens.typeorm-repository';
import { IntegrationDatabase, integrationDatabase } from '@app/database/testing';

/** Rotation on its TypeORM repositories against a real (embedded) Postgres: the row locks and the family update are the point. */
describe('RefreshTokensService on TypeORM', () => {
  let db: IntegrationDatabase;
  let ds: DataSource;
  let tokens: RefreshTokensService;
  let userId: string;
  const allowed = async () => true;

  beforeAll(async () => {
    // Only what these tables need, on PGlite or (TEST_DATABASE_URL) a fresh Postgres database.
    db = await integrationDatabase({
      migrations: ['Baseline1764000000000', 'Identity1764000001100', 'CredentialVersions1764000005000'],
      entities: [UserEntity, RefreshTokenEntity, ApiKeyEntity],
    });
    ds = db.ds;
    const config = loadConfigSlice(authConfig, { JWT_REFRESH_TTL_SECONDS: '3600' });
    tokens = new RefreshTokensService(
      new TypeormRefreshTokensRepository(ds),
      new TypeormUsersRepository(ds),
      new TypeormUnitOfWork(ds),
      config,
    );
    const [row] = await ds.query(`INSERT INTO users (email, password_hash, roles) VALUES ('r@t.test', 'x', '{consumer}') RETURNING id`);
    userId = row.id;
  }, 60_000);
  afterAll(() => db?.close());

  const state = async (familyId: string) =>
    ds.query(
      `SELECT used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked FROM refresh_tokens WHERE family_id = $1 ORDER BY created_at, id`,
      [familyId],
    );

  it('issues opaque prefixed tokens and stores only their hash', async () => {
    const { token, familyId } = await tokens.issue(userId);
    expect(token).toMatch(/^mgr_[A-Za-z0-9_-]{43}$/);
    const rows = await ds.query(`SELECT token_hash FROM refresh_tokens WHERE family_id = $1`, [familyId]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('rotates: the old token is spent, the new one belongs to the same family', async () => {
    const { token, familyId } = await tokens.issue(userId);
    const result = await tokens.rotate(token, allowed);
    expect(result).toEqual({ outcome: 'rotated', userId, familyId, refreshToken: expect.stringMatching(/^mgr_/), subject: true });
    expect(await state(familyId)).toEqual([
      { used: true, revoked: false },
      { used: false, revoked: false },
    ]);
  });

  it('treats reuse of a spent token as theft: revokes the whole family, successor included', async () => {
    const first = await tokens.issue(userId);
    const second = await tokens.rotate(first.token, allowed);
    if (second.outcome !== 'rotated') throw new Error('expected a rotation');
    expect(await tokens.rotate(first.token, allowed)).toEqual({ outcome: 'reused', userId, familyId: first.familyId });
    expect((await state(first.familyId)).every((r: { revoked: boolean }) => r.revoked)).toBe(true);
    expect(await tokens.rotate(second.refreshToken, allowed)).toEqual({ outcome: 'rejected' });
  });

  it('lets only one of two concurrent refreshes with the same token win', async () => {
    const { token } = await tokens.issue(userId);
    const outcomes = (await Promise.all([tokens.rotate(token, allowed), tokens.rotate(token, allowed)])).map((r) => r.outcome).sort();
    expect(outcomes).toEqual(['reused', 'rotated']);
  });

  it('rejects expired tokens, unknown ones, and those of users who may no longer sign in', async () => {
    const expired = await tokens.issue(userId);
    await ds.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE family_id = $1`, [expired.familyId]);
    expect(await tokens.rotate(expired.token, allowed)).toEqual({ outcome: 'rejected' });
    expect(await tokens.rotate('mgr_' + 'x'.repeat(43), allowed)).toEqual({ outcome: 'rejected' });
    expect(await tokens.rotate('not-a-token', allowed)).toEqual({ outcome: 'rejected' });
    const disabled = await tokens.issue(userId);
    expect(await tokens.rotate(disabled.token, async () => false)).toEqual({ outcome: 'rejected' });
    expect((await state(disabled.familyId))[0].revoked).toBe(true);
  });

  it('revokes a family by any of its tokens (logout)', async () => {
    const first = await tokens.issue(userId);
    const second = await tokens.rotate(first.token, allowed);
    if (second.outcome !== 'rotated') throw new Error('expected a rotation');
    expect(await tokens.revokeFamilyOf(first.token)).toEqual({ userId, familyId: first.familyId });
    expect(await tokens.rotate(second.refreshToken, allowed)).toEqual({ outcome: 'rejected' });
    expect(await tokens.revokeFamilyOf('mgr_' + 'y'.repeat(43))).toBeNull();
  });

  it('hands back what authorize read in the rotation, and asks it before spending the token', async () => {
    const { token } = await tokens.issue(userId);
    const seen: string[] = [];
    const result = await tokens.rotate(token, async (id, tx) => {
      seen.push(id);
      const [row] = await managerOf(tx).query(`SELECT credential_version FROM users WHERE id = $1 FOR SHARE`, [id]);
      return { credentialVersion: row.credential_version as number };
    });
    expect(seen).toEqual([userId]);
    expect(result).toMatchObject({ outcome: 'rotated', subject: { credentialVersion: 1 } });
  });

  it('starts a session only while the account is as the login found it (not disabled, same credential version)', async () => {
    const [row] = await ds.query(`INSERT INTO users (email, password_hash, roles) VALUES ('s@t.test', 'x', '{consumer}') RETURNING id`);
    const session = await tokens.startSession(row.id, 1);
    expect(session).toEqual({ token: expect.stringMatching(/^mgr_/), familyId: expect.any(String) });
    await ds.query(`UPDATE users SET credential_version = credential_version + 1 WHERE id = $1`, [row.id]);
    expect(await tokens.startSession(row.id, 1)).toBeNull();
    expect(await tokens.startSession(row.id, 2)).not.toBeNull();
    await ds.query(`UPDATE users SET disabled = true WHERE id = $1`, [row.id]);
    expect(await tokens.startSession(row.id, 2)).toBeNull();
    expect(await ds.query(`SELECT count(*)::int AS n FROM refresh_tokens WHERE user_id = $1`, [row.id])).toEqual([{ n: 2 }]);
  });
});
