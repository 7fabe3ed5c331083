import type { Role } from '@app/common';
import type { Transaction } from '@app/database';
import type { ApiKeyEntity } from './entities/api-key.entity';

export interface NewApiKey {
  name: string;
  role: Role;
  keyPrefix: string;
  keyHash: string;
  clientId: string;
  clientSecretHash: string;
  expiresAt: Date | null;
  createdBy: string | null;
}

export interface ApiKeyFilter {
  includeRevoked: boolean;
  limit: number;
  offset: number;
}

/** The api_keys table: service accounts, with their X-API-Key and their OAuth2 client credentials. */
export abstract class ApiKeysRepository {
  abstract insert(key: NewApiKey, tx?: Transaction): Promise<ApiKeyEntity>;
  /** Oldest first (created_at, id); `total` counts every match. */
  abstract list(filter: ApiKeyFilter): Promise<{ rows: ApiKeyEntity[]; total: number }>;
  abstract findById(id: string): Promise<ApiKeyEntity | null>;
  abstract findByKeyHash(keyHash: string): Promise<ApiKeyEntity | null>;
  abstract findByClientId(clientId: string): Promise<ApiKeyEntity | null>;
  /** Sets revokedAt, only on a key not revoked yet. */
  abstract revoke(id: string, at: Date, tx?: Transaction): Promise<void>;
  /** Moves each key's lastUsedAt on to its time in `uses` (never back), in one statement. */
  abstract recordUses(uses: ReadonlyMap<string, Date>): Promise<void>;
}
