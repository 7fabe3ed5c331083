import type { Transaction } from '@app/database';
import type { RefreshTokenEntity } from './entities/refresh-token.entity';

export interface NewRefreshToken {
  userId: string;
  familyId: string;
  tokenHash: string;
  expiresAt: Date;
}

/**
 * The refresh_tokens table. Lock order: a user's row (UsersRepository) before any of their tokens'
 * rows, in every transaction that takes both.
 */
export abstract class RefreshTokensRepository {
  abstract insert(token: NewRefreshToken, tx?: Transaction): Promise<void>;
  /** Whose token it is, without a lock (the owner's row must be locked before the token's). */
  abstract findOwnerByHash(tokenHash: string, tx: Transaction): Promise<Pick<RefreshTokenEntity, 'id' | 'userId'> | null>;
  abstract findByHash(tokenHash: string, tx: Transaction): Promise<RefreshTokenEntity | null>;
  /** Locks the row (FOR UPDATE) until the transaction ends. */
  abstract findByIdForUpdate(id: string, tx: Transaction): Promise<RefreshTokenEntity | null>;
  abstract markUsed(id: string, at: Date, tx: Transaction): Promise<void>;
  /** Revokes (at `at`) every token of the family not revoked yet. */
  abstract revokeFamily(familyId: string, at: Date, tx: Transaction): Promise<void>;
  /** Ends every session of the user: revokes (at the database's now()) every token not revoked yet. */
  abstract revokeAllForUser(userId: string, tx: Transaction): Promise<void>;
}
