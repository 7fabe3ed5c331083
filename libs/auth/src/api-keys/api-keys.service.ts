import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Actor, isUuid, NotFoundError, Page, toPage, ValidationFailedError } from '@app/common';
import { CallerDirectory } from '../access/caller-directory';
import { AuditTrail } from '@app/audit';
import { UnitOfWork } from '@app/database';
import { newSecret, SECRET_PREFIX, sha256 } from '../tokens/secrets';
import { ApiKeyUsage } from './api-key-usage';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeyDto, CreatedApiKeyDto, toApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { ListApiKeysQueryDto } from './dto/list-api-keys.query.dto';
import { ApiKeyEntity } from './entities/api-key.entity';

const KEY_PREFIX_SHOWN = SECRET_PREFIX.apiKey.length + 6;

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    private readonly directory: CallerDirectory,
    private readonly usage: ApiKeyUsage,
  ) {}

  async create(input: CreateApiKeyDto, actor: Actor | null): Promise<CreatedApiKeyDto> {
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ValidationFailedError([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
    }
    const key = newSecret(SECRET_PREFIX.apiKey);
    const clientId = SECRET_PREFIX.clientId + randomBytes(12).toString('hex');
    const clientSecret = newSecret(SECRET_PREFIX.clientSecret);
    return this.transactions.run(async (tx) => {
      const row = await this.keys.insert(
        {
          name: input.name,
          role: input.role,
          keyPrefix: key.slice(0, KEY_PREFIX_SHOWN),
          keyHash: sha256(key),
          clientId,
          clientSecretHash: sha256(clientSecret),
          expiresAt,
          createdBy: actor?.caller.kind === 'user' ? actor.caller.id : null,
        },
        tx,
      );
      await this.audit.record(
        {
          action: 'api-key.created',
          actor,
          targetType: 'api-key',
          targetId: row.id,
          details: { name: row.name, role: row.role, clientId, expiresAt },
        },
        tx,
      );
      return {
        id: row.id,
        name: row.name,
        role: row.role,
        key,
        clientId,
        clientSecret,
        expiresAt: row.expiresAt?.toISOString() ?? null,
        createdAt: row.createdAt.toISOString(),
      };
    });
  }

  async list(query: ListApiKeysQueryDto): Promise<Page<ApiKeyDto>> {
    const { rows, total } = await this.keys.list({ includeRevoked: query.includeRevoked, limit: query.limit, offset: query.offset });
    return toPage(
      rows.map((k) => toApiKeyDto(k, this.usage.pendingFor(k.id))),
      total,
      query,
    );
  }

  /** Revokes at once (idempotent); the very next request with the key or its tokens is refused. */
  async revoke(id: string, actor: Actor): Promise<void> {
    const row = await this.findById(id);
    if (!row) throw new NotFoundError('API_KEY_NOT_FOUND', `API key ${id} does not exist.`);
    try {
      if (row.revokedAt) return;
      await this.transactions.run(async (tx) => {
        await this.keys.revoke(id, new Date(), tx);
        await this.audit.record(
          { action: 'api-key.revoked', actor, targetType: 'api-key', targetId: id, details: { name: row.name, role: row.role } },
          tx,
        );
      });
    } finally {
      this.directory.forgetApiKey(row);
    }
  }

  async findById(id: string): Promise<ApiKeyEntity | null> {
    return isUuid(id) ? this.keys.findById(id) : null;
  }

  /** The OAuth2 client with these credentials, if it may still get tokens. */
  async findClient(clientId: string): Promise<ApiKeyEntity | null> {
    if (!/^mgc_[0-9a-f]{24}$/.test(clientId)) return null;
    return this.keys.findByClientId(clientId);
  }
}
