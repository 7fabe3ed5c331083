import { ApiProperty, PickType } from '@nestjs/swagger';
import { isoOrNull, Role, ROLES } from '@app/common';
import { ApiKeyEntity } from '../entities/api-key.entity';

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: ROLES })
  role: Role;

  @ApiProperty({ example: 'mgk_3q2X9a', description: 'The first characters of the key, to tell keys apart' })
  keyPrefix: string;

  @ApiProperty({ example: 'mgc_8f14e45fceea167a', description: 'OAuth2 client id (POST /v1/auth/token)' })
  clientId: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Updated within a minute of use' })
  lastUsedAt: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The admin who created it' })
  createdBy: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

/** The answer to creation: the only time `key` and `clientSecret` are ever shown. */
export class CreatedApiKeyDto extends PickType(ApiKeyDto, ['id', 'name', 'role', 'clientId', 'expiresAt', 'createdAt'] as const) {
  @ApiProperty({ example: 'mgk_…', description: 'Send as X-API-Key. Shown only once: store it now.' })
  key: string;

  @ApiProperty({ example: 'mgs_…', description: 'OAuth2 client secret. Shown only once.' })
  clientSecret: string;
}

export function toApiKeyDto(k: ApiKeyEntity, pendingUse?: Date): ApiKeyDto {
  const lastUsed = pendingUse && (!k.lastUsedAt || pendingUse > k.lastUsedAt) ? pendingUse : k.lastUsedAt;
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    keyPrefix: k.keyPrefix,
    clientId: k.clientId,
    expiresAt: isoOrNull(k.expiresAt),
    revokedAt: isoOrNull(k.revokedAt),
    lastUsedAt: isoOrNull(lastUsed),
    createdBy: k.createdBy,
    createdAt: k.createdAt.toISOString(),
  };
}
