import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { PROMOTION_STATUSES, PromotionRequestEntity, PromotionStatus } from '../entities/promotion-request.entity';

export class PromotionRequestDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'iris' })
  model: string;

  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({
    enum: PROMOTION_STATUSES,
    description: 'pending until an approver decides; stale when the version left the stage it was requested from',
  })
  status: PromotionStatus;

  @ApiProperty({ description: "The requester (a user's email, or api-key:<id>)", example: 'ada@example.com' })
  requestedBy: string;

  @ApiProperty({ type: String, nullable: true })
  reason: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, nullable: true, description: 'The approver who decided (null while pending, and for a stale request)' })
  decidedBy: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  decidedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  comment: string | null;
}

export function toPromotionRequestDto(r: PromotionRequestEntity): PromotionRequestDto {
  return {
    id: r.id,
    model: r.modelName,
    version: r.version,
    status: r.status,
    requestedBy: r.requestedByName ?? r.requestedBy,
    reason: r.reason,
    createdAt: r.createdAt.toISOString(),
    decidedBy: r.decidedByName ?? r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    comment: r.comment,
  };
}

export class ListPromotionRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: PROMOTION_STATUSES })
  @IsOptional()
  @IsIn(PROMOTION_STATUSES)
  status?: PromotionStatus;

  @ApiPropertyOptional({ description: "Only this model's requests" })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{1,62}$/, { message: 'model must be a model name' })
  model?: string;
}

export class DecidePromotionDto {
  @ApiPropertyOptional({ maxLength: 1000, example: 'holdout metrics reviewed' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;
}
