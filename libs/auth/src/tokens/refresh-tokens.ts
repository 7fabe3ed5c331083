import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { AppConfig, InjectConfig } from '@app/common';
import { RefreshTokenEntity } from './entities/refresh-token.entity';
import { looksLike, newSecret, SECRET_PREFIX, sha256 } from './secrets';

export type RotationResult =
  | { outcome: 'rotated'; userId: string; familyId: string; refreshToken: string }
  /** A token that was already used came back: someone holds a copy. The family is now revoked. */
  | { outcome: 'reused'; userId: string; familyId: string }
  | { outcome: 'rejected' };

/**
 * Opaque, single-use refresh tokens, stored as SHA-256 only. Rotation and reuse detection run
 * under a row lock, so two refreshes racing with the same token cannot both succeed.
 */
@Injectable()
export class RefreshTokens {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: Pick<AppConfig, 'jwt'>,
  ) {}

  /** A new token; without a family it starts one (a login). */
  async issue(userId: string, familyId: string = randomUUID(), manager?: EntityManager): Promise<{ token: string; familyId: string }> {
    const token = newSecret(SECRET_PREFIX.refreshToken);
    const repo = (manager ?? this.dataSource.manager).getRepository(RefreshTokenEntity);
    await repo.insert({
      userId,
      familyId,
      tokenHash: sha256(token),
      expiresAt: new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000),
    });
    return { token, familyId };
  }

  /**
   * Spends `token` and issues its successor in the same family. `stillAllowed` is asked inside the
   * transaction whether the user may still have sessions (exists, not disabled).
   */
  async rotate(token: string, stillAllowed: (userId: string, m: EntityManager) => Promise<boolean>): Promise<RotationResult> {
    if (!looksLike(SECRET_PREFIX.refreshToken, token)) return { outcome: 'rejected' };
    return this.dataSource.transaction(async (m) => {
      const repo = m.getRepository(RefreshTokenEntity);
      const row = await repo.findOne({ where: { tokenHash: sha256(token) }, lock: { mode: 'pessimistic_write' } });
      if (!row || row.revokedAt) return { outcome: 'rejected' } as const;
      if (row.usedAt) {
        await this.revokeFamily(row.familyId, m);
        return { outcome: 'reused', userId: row.userId, familyId: row.familyId } as const;
      }
      if (row.expiresAt.getTime() <= Date.now() || !(await stillAllowed(row.userId, m))) {
        await this.revokeFamily(row.familyId, m);
        return { outcome: 'rejected' } as const;
      }
      await repo.update({ id: row.id }, { usedAt: new Date() });
      const next = await this.issue(row.userId, row.familyId, m);
      return { outcome: 'rotated', userId: row.userId, familyId: row.familyId, refreshToken: next.token } as const;
    });
  }

  /** Ends the session the token belongs to (whether or not the token was already used). */
  async revokeFamilyOf(token: string): Promise<{ userId: string; familyId: string } | null> {
    if (!looksLike(SECRET_PREFIX.refreshToken, token)) return null;
    return this.dataSource.transaction(async (m) => {
      const row = await m.getRepository(RefreshTokenEntity).findOne({ where: { tokenHash: sha256(token) } });
      if (!row) return null;
      await this.revokeFamily(row.familyId, m);
      return { userId: row.userId, familyId: row.familyId };
    });
  }

  private async revokeFamily(familyId: string, m: EntityManager): Promise<void> {
    await m.getRepository(RefreshTokenEntity).update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }
}
