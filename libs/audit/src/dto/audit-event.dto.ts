import { ApiProperty } from '@nestjs/swagger';
import { AuditActorKind, AuditEventEntity } from '../entities/audit-event.entity';

export class AuditActorDto {
  @ApiProperty({ enum: ['user', 'api-key', 'system', 'anonymous'] })
  kind: AuditActorKind;

  @ApiProperty({ type: String, nullable: true, description: 'User or API key id' })
  id: string | null;

  @ApiProperty({ type: String, nullable: true })
  email: string | null;
}

export class AuditTargetDto {
  @ApiProperty({ type: String, nullable: true, example: 'user' })
  type: string | null;

  @ApiProperty({ type: String, nullable: true })
  id: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'date-time' })
  at: string;

  @ApiProperty({ example: 'auth.login.succeeded' })
  action: string;

  @ApiProperty({ type: AuditActorDto })
  actor: AuditActorDto;

  @ApiProperty({ type: AuditTargetDto })
  target: AuditTargetDto;

  @ApiProperty({ type: String, nullable: true })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true })
  requestId: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;
}

export function toAuditEventDto(e: AuditEventEntity): AuditEventDto {
  return {
    id: e.id,
    at: e.at.toISOString(),
    action: e.action,
    actor: { kind: e.actorKind, id: e.actorId, email: e.actorEmail },
    target: { type: e.targetType, id: e.targetId },
    ip: e.ip,
    requestId: e.requestId,
    details: e.details,
  };
}
