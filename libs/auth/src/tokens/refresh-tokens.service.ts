import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectConfig } from '@app/common';
import { authConfig, type AuthConfig } from '../auth.config';
import { Transaction, UnitOfWork } from '@app/database';
import { UsersRepository } from '../users/users.repository';
import { RefreshTokensRepository } from './refresh-tokens.repository';
import { looksLike, newSecret, SECRET_PREFIX, sha256 } from './secrets';

export type RotationResult<T = true> =
  /** `subject`: what `authorize` answered, read in the rotation's transaction. */
  | { outcome: 'rotated'; userId: string; familyId: string; refreshToken: string; subject: T }
  /** A token that was already used came back: someone holds a copy. The family is now revoked. */
  | { outcome: 'reused'; userId: string; familyId: string }
  | { outcome: 'rejected' };

/**
 * Opaque, single-use refresh tokens, stored as SHA-256 only. Rotation and reuse detection run
 * under a row lock, so two refreshes racing with the same token cannot both succeed.
 *
 * Lock order: the user's row, then their tokens' rows, as every credential change takes them
 * (UsersService). A rotation or a new session holds the user's row (FOR SHARE) until it commits, so
 * a concurrent password change, reset or disable waits for it and then revokes the token it made,
 * or goes first and makes it fail; the two never deadlock.
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly tokens: RefreshTokensRepository,
    private readonly users: UsersRepository,
    private readonly transactions: UnitOfWork,
    @InjectConfig(authConfig) private readonly config: Pick<AuthConfig, 'jwt'>,
  ) {}

  /** A new token; without a family it starts one (a login). */
  async issue(userId: string, familyId: string = randomUUID(), tx?: Transaction): Promise<{ token: string; familyId: string }> {
    const token = newSecret(SECRET_PREFIX.refreshToken);
    await this.tokens.insert(
      {
        userId,
        familyId,
        tokenHash: sha256(token),
        expiresAt: new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000),
      },
      tx,
    );
    return { token, familyId };
  }

  /**
   * Starts a session (a new family) for a user whose password was checked against the account at
   * `credentialVersion`: null, and nothing issued, when the account was disabled or its credentials
   * changed since (a login racing a password reset must not outlive it).
   */
  async startSession(userId: string, credentialVersion: number): Promise<{ token: string; familyId: string } | null> {
    return this.transactions.run(async (tx) => {
      const user = await this.users.findSessionStandingForShare(userId, tx);
      if (!user || user.disabled || user.credentialVersion !== credentialVersion) return null;
      return this.issue(userId, undefined, tx);
    });
  }

  /**
   * Spends `token` and issues its successor in the same family. `authorize` is asked inside the
   * transaction whether the user may still have sessions (exists, not disabled), and should lock
   * the user's row (FOR SHARE) while it reads it; what it answers comes back as `subject`.
   */
  async rotate<T>(token: string, authorize: (userId: string, tx: Transaction) => Promise<T | null | false>): Promise<RotationResult<T>> {
    if (!looksLike(SECRET_PREFIX.refreshToken, token)) return { outcome: 'rejected' };
    return this.transactions.run(async (tx): Promise<RotationResult<T>> => {
      const tokenHash = sha256(token);
      // Whose token it is, unlocked: the user's row is locked (by authorize) before the token's.
      const owner = await this.tokens.findOwnerByHash(tokenHash, tx);
      if (!owner) return { outcome: 'rejected' };
      const subject = await authorize(owner.userId, tx);
      const row = await this.tokens.findByIdForUpdate(owner.id, tx);
      if (!row || row.revokedAt) return { outcome: 'rejected' };
      if (row.usedAt) {
        await this.tokens.revokeFamily(row.familyId, new Date(), tx);
        return { outcome: 'reused', userId: row.userId, familyId: row.familyId };
      }
      if (row.expiresAt.getTime() <= Date.now() || !subject) {
        await this.tokens.revokeFamily(row.familyId, new Date(), tx);
        return { outcome: 'rejected' };
      }
      await this.tokens.markUsed(row.id, new Date(), tx);
      const next = await this.issue(row.userId, row.familyId, tx);
      return { outcome: 'rotated', userId: row.userId, familyId: row.familyId, refreshToken: next.token, subject };
    });
  }

  /** Ends the session the token belongs to (whether or not the token was already used). */
  async revokeFamilyOf(token: string): Promise<{ userId: string; familyId: string } | null> {
    if (!looksLike(SECRET_PREFIX.refreshToken, token)) return null;
    return this.transactions.run(async (tx) => {
      const row = await this.tokens.findByHash(sha256(token), tx);
      if (!row) return null;
      await this.tokens.revokeFamily(row.familyId, new Date(), tx);
      return { userId: row.userId, familyId: row.familyId };
    });
  }
}
