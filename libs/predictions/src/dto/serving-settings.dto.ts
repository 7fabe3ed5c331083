import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, Max, Min, ValidateIf } from 'class-validator';

export class UpdateServingSettingsDto {
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: 86_400,
    description: 'Response cache TTL; null turns the cache off',
  })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(86_400)
  responseCacheTtlSeconds?: number | null;

  @ApiPropertyOptional({ description: 'Store request and response payloads (off by default; LGPD/GDPR)' })
  @IsOptional()
  @IsBoolean()
  logPayloads?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3650, description: 'Days stored payloads are kept' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  payloadRetentionDays?: number;
}

export class ServingSettingsDto {
  @ApiProperty({ example: 'iris' }) model: string;
  @ApiProperty({ type: 'integer', nullable: true }) responseCacheTtlSeconds: number | null;
  @ApiProperty() logPayloads: boolean;
  @ApiProperty() payloadRetentionDays: number;
  @ApiProperty({ nullable: true, format: 'date-time' }) updatedAt: string | null;
  @ApiProperty({ nullable: true }) updatedBy: string | null;
}
