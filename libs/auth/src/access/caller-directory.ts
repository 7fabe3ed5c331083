import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import {
  Caller,
  CallerAccess,
  CallerStanding,
  CLUSTER_EVENTS,
  ClusterEvents,
  InjectConfig,
  InProcessClusterEvents,
  Role,
  StandingChange,
} from '@app/common';
import { databaseConfig, type DatabaseConfig, StaleIfUnavailableCache } from '@app/database';
import { ApiKeysRepository } from '../api-keys/api-keys.repository';
import { ApiKeyEntity } from '../api-keys/entities/api-key.entity';
import { looksLike, SECRET_PREFIX, sha256 } from '../tokens/secrets';
import { UsersRepository } from '../users/users.repository';
import { isUuid } from '@app/common';

interface UserSnapshot {
  id: string;
  email: string;
  roles: Role[];
  disabled: boolean;
  credentialVersion: number;
  approver: boolean;
}

interface KeySnapshot {
  id: string;
  role: Role;
  keyHash: string;
  expiresAt: number | null;
  revoked: boolean;
}

const TOPIC = 'caller-directory';

const CREDENTIALS_REVOKED = 'The account or API key behind this token is disabled, revoked or no longer exists.';
const TOKEN_REVOKED = "This token was issued before the account's password, roles or status changed; sign in again.";

/**
 * Who a credential belongs to, right now. Every authenticated request needs the current state of
 * its user or key (disabled? revoked? roles changed?), so lookups are cached briefly; every change
 * made here invalidates at once, so revocation takes effect on the next request. Other replicas
 * are told through the cluster events (Redis pub/sub) and forget within milliseconds; TTL_MS bounds
 * it when that channel is down. While the database is unreachable, a caller known within
 * STALE_IF_ERROR_MS keeps being recognised, so services calling loaded models are not cut off by a
 * database outage; unknown credentials then get a 503.
 *
 * A user's access token also names the credential version it was issued at; a token older than
 * the account's current version (password changed or reset, disabled, roles changed) is refused.
 * Revocation therefore reaches a replica no later than the change does: at once on the replica
 * that made it, within milliseconds on the others, and within TTL_MS while the cluster events are
 * down. Long-lived responses (event streams) hear of every change through `watch`.
 */
@Injectable()
export class CallerDirectory implements CallerAccess, OnModuleDestroy {
  static readonly TTL_MS = 5_000;

  // Keyed by user id, API key id and API key hash (never by a presented key: see apiKey()).
  private readonly users: StaleIfUnavailableCache<UserSnapshot | false>;
  private readonly keysByHash: StaleIfUnavailableCache<KeySnapshot | false>;
  private readonly keysById: StaleIfUnavailableCache<KeySnapshot | false>;

  private readonly unsubscribe: (() => void)[];
  private readonly watchers = new Set<(change: StandingChange) => void>();

  constructor(
    private readonly userRepo: UsersRepository,
    private readonly keyRepo: ApiKeysRepository,
    @InjectConfig(databaseConfig) database: DatabaseConfig,
    @Optional() @Inject(CLUSTER_EVENTS) private readonly cluster: ClusterEvents = new InProcessClusterEvents(),
  ) {
    const cache = <T>() => new StaleIfUnavailableCache<T>(CallerDirectory.TTL_MS, database.staleIfErrorMs);
    this.users = cache();
    this.keysByHash = cache();
    this.keysById = cache();
    this.unsubscribe = [
      cluster.subscribe(TOPIC, (event) => {
        if (typeof event.id !== 'string') return;
        if (event.kind === 'user') this.users.delete(event.id);
        else if (event.kind === 'api-key') this.dropApiKey(event.id);
        else return;
        this.notify({ kind: event.kind, id: event.id });
      }),
      cluster.onResync(() => {
        this.users.clear();
        this.keysById.clear();
        this.keysByHash.clear();
        this.notify('all');
      }),
    ];
  }

  private async readUser(id: string): Promise<UserSnapshot | false> {
    const u = await this.userRepo.findStanding(id);
    return u
      ? { id: u.id, email: u.email, roles: u.roles, disabled: u.disabled, credentialVersion: u.credentialVersion, approver: u.approver }
      : false;
  }

  private async readKey(id: string): Promise<KeySnapshot | false> {
    return toKeySnapshot(await this.keyRepo.findById(id));
  }

  /**
   * The caller for a user's access token, or why it is refused: the user is gone or disabled
   * (CREDENTIALS_REVOKED), or the token predates the account's credential version (TOKEN_REVOKED).
   * Tokens without a version (issued before versions existed) count as version 1.
   */
  async user(id: string, tokenId?: string, credentialVersion = 1): Promise<CallerStanding> {
    const u = isUuid(id) ? await this.users.get(id, () => this.readUser(id)) : undefined;
    if (!u || u.disabled) return { ok: false, code: 'CREDENTIALS_REVOKED', detail: CREDENTIALS_REVOKED };
    if (credentialVersion !== u.credentialVersion) return { ok: false, code: 'TOKEN_REVOKED', detail: TOKEN_REVOKED };
    return {
      ok: true,
      caller: { id: u.id, kind: 'user', roles: u.roles, email: u.email, tokenId, credentialVersion, approver: u.approver },
    };
  }

  /** The caller for an X-API-Key value, or null when unknown, revoked or expired. */
  async apiKey(key: string): Promise<Caller | null> {
    if (!looksLike(SECRET_PREFIX.apiKey, key)) return null;
    // Hashed on every request (about a microsecond): a memo keyed by the presented key would keep
    // plaintext API keys in memory. Everything cached about keys is keyed by their hash.
    const keyHash = sha256(key);
    return usable(await this.keysByHash.get(keyHash, async () => toKeySnapshot(await this.keyRepo.findByKeyHash(keyHash))));
  }

  /**
   * apiKey()'s answer when this replica already knows it (undefined: not cached or expired, ask
   * apiKey()). Service accounts present the same key all day: their requests need no promise.
   */
  apiKeyNow(key: string): Caller | null | undefined {
    if (!looksLike(SECRET_PREFIX.apiKey, key)) return null;
    const known = this.keysByHash.peek(sha256(key));
    return known && usable(known.value);
  }

  /** The caller for a client-credentials access token (its subject is the key's id). */
  async apiKeyById(id: string, tokenId?: string): Promise<Caller | null> {
    if (!isUuid(id)) return null;
    const caller = usable(await this.keysById.get(id, () => this.readKey(id)));
    return caller && { ...caller, tokenId };
  }

  /** CallerAccess: the standing of a caller authenticated earlier (an open event stream's). */
  async recheck(caller: Caller): Promise<CallerStanding> {
    if (caller.kind === 'user') return this.user(caller.id, caller.tokenId, caller.credentialVersion);
    const key = isUuid(caller.id) ? usable(await this.keysById.get(caller.id, () => this.readKey(caller.id))) : null;
    return key ? { ok: true, caller: key } : { ok: false, code: 'CREDENTIALS_REVOKED', detail: CREDENTIALS_REVOKED };
  }

  /** CallerAccess: hears of every user or key this replica forgets, whoever changed it. */
  watch(listener: (change: StandingChange) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** After a change to the user is committed: this replica forgets it at once, the others are told. */
  forgetUser(id: string): void {
    this.users.delete(id);
    this.cluster.publish(TOPIC, { kind: 'user', id });
    this.notify({ kind: 'user', id });
  }

  forgetApiKey(key: { id: string; keyHash: string }): void {
    this.keysById.delete(key.id);
    this.keysByHash.delete(key.keyHash);
    // Only the id travels: other replicas find the hash-keyed entry by its snapshot.
    this.cluster.publish(TOPIC, { kind: 'api-key', id: key.id });
    this.notify({ kind: 'api-key', id: key.id });
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe) off();
  }

  private notify(change: StandingChange): void {
    for (const listener of this.watchers) {
      try {
        listener(change);
      } catch {
        // A listener's failure is its own; the others are still told.
      }
    }
  }

  private dropApiKey(id: string): void {
    this.keysById.delete(id);
    for (const [hash, snapshot] of this.keysByHash.settled()) if (snapshot && snapshot.id === id) this.keysByHash.delete(hash);
  }
}

function toKeySnapshot(k: ApiKeyEntity | null): KeySnapshot | false {
  return k
    ? {
        id: k.id,
        role: k.role,
        keyHash: k.keyHash,
        expiresAt: k.expiresAt?.getTime() ?? null,
        revoked: Boolean(k.revokedAt),
      }
    : false;
}

function usable(k: KeySnapshot | false | undefined): Caller | null {
  if (!k || k.revoked || (k.expiresAt !== null && k.expiresAt <= Date.now())) return null;
  return { id: k.id, kind: 'api-key', roles: [k.role] };
}
