import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '@app/common';
import { STAGES, Stage } from '../domain/lifecycle';
import { ALIAS_PATTERN, MAX_VERSION_NUMBER, MODEL_NAME_PATTERN } from '../domain/model-name';

export class ModelNameParams {
  @ApiProperty({ example: 'iris' })
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: `name must match ${MODEL_NAME_PATTERN.source}` })
  name: string;
}

export class ModelVersionParams extends ModelNameParams {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  @Type(() => Number)
  @IsInt({ message: 'version must be a positive integer' })
  @Min(1, { message: 'version must be a positive integer' })
  @Max(MAX_VERSION_NUMBER)
  version: number;
}

export class ModelAliasParams extends ModelNameParams {
  @ApiProperty({ example: 'champion', pattern: ALIAS_PATTERN.source })
  @IsString()
  @Matches(ALIAS_PATTERN, { message: `alias must match ${ALIAS_PATTERN.source}` })
  alias: string;
}

export class ListVersionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STAGES, description: 'Only versions in this (effective) stage' })
  @IsOptional()
  @IsIn(STAGES)
  stage?: Stage;
}

export class TransitionVersionDto {
  @ApiProperty({ enum: STAGES, example: 'production' })
  @IsIn(STAGES)
  to: Stage;

  @ApiPropertyOptional({ maxLength: 1000, example: 'beats v2 on the holdout set' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Only with to=deprecated: when the version retires (default: now + DEFAULT_SUNSET_DAYS)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  sunsetAt?: string;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      "Admin only (anyone else: 403 FORCE_NOT_ALLOWED): promote to production although the version's signature differs from " +
      "the production version's (otherwise 409 SIGNATURE_MISMATCH). The override is recorded in the audit event.",
  })
  @IsOptional()
  @IsBoolean({ message: 'force must be true or false' })
  force?: boolean;
}
