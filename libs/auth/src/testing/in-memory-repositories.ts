import { randomUUID } from 'node:crypto';
import { InMemoryAuditTrail } from '@app/audit/testing';
import type { ApiKeyFilter, NewApiKey } from '../api-keys/api-keys.repository';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import type { ApiKeyEntity } from '../api-keys/entities/api-key.entity';
import type { RefreshTokenEntity } from '../tokens/entities/refresh-token.entity';
import type { NewRefreshToken } from '../tokens/refresh-tokens.repository';
import { RefreshTokensRepository } from '../tokens/refresh-tokens.repository';
import type { UserEntity } from '../users/entities/user.entity';
import type { NewUser, SessionStanding, UserFilter, UserStanding } from '../users/users.repository';
import { UserEmailTaken, UsersRepository } from '../users/users.repository';
import { Transaction } from '@app/database';
import { copyRow, InMemoryTransaction, InMemoryUnitOfWork, locksOf, Store } from '@app/database/testing';

export { InMemoryAuditTrail, InMemoryTransaction, InMemoryUnitOfWork };

let lastCreation = 0;

/** Creation times that never tie (Postgres' microseconds make ties rare; two inserts in one millisecond here would order by random id). */
function creationTime(): Date {
  lastCreation = Math.max(Date.now(), lastCreation + 1);
  return new Date(lastCreation);
}

/**
 * In-memory repositories for unit tests of auth's services: no database, no server. Rows are
 * copied in and out (a service changing what it read changes nothing until it saves), a unit of
 * work rolls every store back when its work throws, and each transaction notes the row locks it
 * took, in order ("user:<id>:update", "refresh-token:<id>:update", ...), so tests can check the
 * order the real implementations rely on to avoid deadlocks.
 */
class MapStore<T extends { id: string }> implements Store {
  rows = new Map<string, T>();

  snapshot(): () => void {
    const saved = new Map([...this.rows].map(([id, row]) => [id, copyRow(row)]));
    return () => {
      this.rows = saved;
    };
  }

  all(): T[] {
    return [...this.rows.values()];
  }
}

export class InMemoryUsersRepository extends UsersRepository implements Store {
  readonly store = new MapStore<UserEntity>();
  snapshot = () => this.store.snapshot();

  async insert(user: NewUser, tx?: Transaction): Promise<UserEntity> {
    locksOf(tx);
    if (this.store.all().some((u) => u.email === user.email)) throw new UserEmailTaken();
    const now = creationTime();
    const row = {
      id: randomUUID(),
      ...copyRow(user),
      disabled: false,
      approver: false,
      credentialVersion: 1,
      createdAt: now,
      updatedAt: now,
    } as UserEntity;
    this.store.rows.set(row.id, row);
    return copyRow(row);
  }

  async list(filter: UserFilter): Promise<{ rows: UserEntity[]; total: number }> {
    const matches = this.store
      .all()
      .filter((u) => (!filter.emailContains || u.email.includes(filter.emailContains)) && (!filter.role || u.roles.includes(filter.role)))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    return { rows: matches.slice(filter.offset, filter.offset + filter.limit).map(copyRow), total: matches.length };
  }

  async findById(id: string, tx?: Transaction): Promise<UserEntity | null> {
    locksOf(tx);
    const row = this.store.rows.get(id);
    return row ? copyRow(row) : null;
  }

  async findByIdForUpdate(id: string, tx: Transaction): Promise<UserEntity | null> {
    locksOf(tx).push(`user:${id}:update`);
    return this.findById(id);
  }

  async findByIdForShare(id: string, tx: Transaction): Promise<UserEntity | null> {
    locksOf(tx).push(`user:${id}:share`);
    return this.findById(id);
  }

  async findByEmail(email: string): Promise<UserEntity | null> {
    const row = this.store.all().find((u) => u.email === email);
    return row ? copyRow(row) : null;
  }

  async findStanding(id: string): Promise<UserStanding | null> {
    const u = this.store.rows.get(id);
    return u
      ? {
          id: u.id,
          email: u.email,
          roles: [...u.roles],
          disabled: u.disabled,
          credentialVersion: u.credentialVersion,
          approver: u.approver ?? false,
        }
      : null;
  }

  async findSessionStandingForShare(id: string, tx: Transaction): Promise<SessionStanding | null> {
    locksOf(tx).push(`user:${id}:share`);
    const u = this.store.rows.get(id);
    return u ? { id: u.id, disabled: u.disabled, credentialVersion: u.credentialVersion } : null;
  }

  async countEnabledAdmins(): Promise<number> {
    return this.enabledAdminIds().length;
  }

  async lockEnabledAdminIds(tx: Transaction): Promise<string[]> {
    const ids = this.enabledAdminIds();
    locksOf(tx).push(...ids.map((id) => `user:${id}:update`));
    return ids;
  }

  async save(user: UserEntity, tx: Transaction): Promise<UserEntity> {
    locksOf(tx);
    if (this.store.all().some((u) => u.id !== user.id && u.email === user.email)) throw new UserEmailTaken();
    const row = { ...copyRow(user), updatedAt: new Date() };
    this.store.rows.set(row.id, row);
    return copyRow(row);
  }

  async delete(id: string, tx: Transaction): Promise<void> {
    locksOf(tx);
    this.store.rows.delete(id);
  }

  async changePassword(id: string, expectedHash: string, passwordHash: string, tx: Transaction): Promise<boolean> {
    locksOf(tx).push(`user:${id}:update`);
    const u = this.store.rows.get(id);
    if (!u || u.passwordHash !== expectedHash) return false;
    Object.assign(u, { passwordHash, credentialVersion: u.credentialVersion + 1, updatedAt: new Date() });
    return true;
  }

  async rehash(id: string, expectedHash: string, passwordHash: string): Promise<void> {
    const u = this.store.rows.get(id);
    if (u && u.passwordHash === expectedHash) Object.assign(u, { passwordHash, updatedAt: new Date() });
  }

  private enabledAdminIds(): string[] {
    return this.store
      .all()
      .filter((u) => !u.disabled && u.roles.includes('admin'))
      .map((u) => u.id)
      .sort();
  }
}

export class InMemoryRefreshTokensRepository extends RefreshTokensRepository implements Store {
  readonly store = new MapStore<RefreshTokenEntity>();
  snapshot = () => this.store.snapshot();

  async insert(token: NewRefreshToken, tx?: Transaction): Promise<void> {
    locksOf(tx);
    if (this.store.all().some((t) => t.tokenHash === token.tokenHash)) throw new Error('duplicate token hash');
    const row = { id: randomUUID(), ...copyRow(token), usedAt: null, revokedAt: null, createdAt: creationTime() } as RefreshTokenEntity;
    this.store.rows.set(row.id, row);
  }

  async findOwnerByHash(tokenHash: string, tx: Transaction): Promise<Pick<RefreshTokenEntity, 'id' | 'userId'> | null> {
    locksOf(tx);
    const t = this.store.all().find((r) => r.tokenHash === tokenHash);
    return t ? { id: t.id, userId: t.userId } : null;
  }

  async findByHash(tokenHash: string, tx: Transaction): Promise<RefreshTokenEntity | null> {
    locksOf(tx);
    const t = this.store.all().find((r) => r.tokenHash === tokenHash);
    return t ? copyRow(t) : null;
  }

  async findByIdForUpdate(id: string, tx: Transaction): Promise<RefreshTokenEntity | null> {
    locksOf(tx).push(`refresh-token:${id}:update`);
    const t = this.store.rows.get(id);
    return t ? copyRow(t) : null;
  }

  async markUsed(id: string, at: Date, tx: Transaction): Promise<void> {
    locksOf(tx);
    const t = this.store.rows.get(id);
    if (t) t.usedAt = at;
  }

  async revokeFamily(familyId: string, at: Date, tx: Transaction): Promise<void> {
    locksOf(tx);
    for (const t of this.store.all()) if (t.familyId === familyId && !t.revokedAt) t.revokedAt = at;
  }

  async revokeAllForUser(userId: string, tx: Transaction): Promise<void> {
    locksOf(tx);
    for (const t of this.store.all()) if (t.userId === userId && !t.revokedAt) t.revokedAt = new Date();
  }

  /** The user's tokens, oldest first. */
  ofUser(userId: string): RefreshTokenEntity[] {
    return this.store
      .all()
      .filter((t) => t.userId === userId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }
}

export class InMemoryApiKeysRepository extends ApiKeysRepository implements Store {
  readonly store = new MapStore<ApiKeyEntity>();
  snapshot = () => this.store.snapshot();

  async insert(key: NewApiKey, tx?: Transaction): Promise<ApiKeyEntity> {
    locksOf(tx);
    if (this.store.all().some((k) => k.keyHash === key.keyHash || k.clientId === key.clientId)) throw new Error('duplicate key');
    const row = { id: randomUUID(), ...copyRow(key), revokedAt: null, lastUsedAt: null, createdAt: creationTime() } as ApiKeyEntity;
    this.store.rows.set(row.id, row);
    return copyRow(row);
  }

  async list(filter: ApiKeyFilter): Promise<{ rows: ApiKeyEntity[]; total: number }> {
    const matches = this.store
      .all()
      .filter((k) => filter.includeRevoked || !k.revokedAt)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    return { rows: matches.slice(filter.offset, filter.offset + filter.limit).map(copyRow), total: matches.length };
  }

  async findById(id: string): Promise<ApiKeyEntity | null> {
    const k = this.store.rows.get(id);
    return k ? copyRow(k) : null;
  }

  async findByKeyHash(keyHash: string): Promise<ApiKeyEntity | null> {
    const k = this.store.all().find((r) => r.keyHash === keyHash);
    return k ? copyRow(k) : null;
  }

  async findByClientId(clientId: string): Promise<ApiKeyEntity | null> {
    const k = this.store.all().find((r) => r.clientId === clientId);
    return k ? copyRow(k) : null;
  }

  async revoke(id: string, at: Date, tx?: Transaction): Promise<void> {
    locksOf(tx);
    const k = this.store.rows.get(id);
    if (k && !k.revokedAt) k.revokedAt = at;
  }

  async recordUses(uses: ReadonlyMap<string, Date>): Promise<void> {
    for (const [id, at] of uses) {
      const k = this.store.rows.get(id);
      if (k && (!k.lastUsedAt || at > k.lastUsedAt)) k.lastUsedAt = at;
    }
  }
}

/** The audit events written, in order; those of a rolled-back unit of work disappear with it. */
/** Every fake, sharing one unit of work. */
export function inMemoryAuthPersistence() {
  const users = new InMemoryUsersRepository();
  const refreshTokens = new InMemoryRefreshTokensRepository();
  const apiKeys = new InMemoryApiKeysRepository();
  const audit = new InMemoryAuditTrail();
  const transactions = new InMemoryUnitOfWork([users, refreshTokens, apiKeys, audit]);
  return { users, refreshTokens, apiKeys, audit, transactions };
}
