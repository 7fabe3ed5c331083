import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsInt,
  IsNumber,
  IsOptional,
  IsPositive,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { MAX_VERSION_NUMBER } from '../domain/model-name';

export class CanaryDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 4, description: 'A version of this model that is not retired, draft or production' })
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION_NUMBER)
  version: number;

  @ApiProperty({
    minimum: 0,
    exclusiveMinimum: true,
    maximum: 100,
    exclusiveMaximum: true,
    example: 10,
    description: 'Share of production traffic, 0 < percent < 100',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive({ message: 'percent must be greater than 0' })
  @ValidateBy({
    name: 'lessThan100',
    validator: { validate: (v) => typeof v === 'number' && v < 100, defaultMessage: () => 'percent must be less than 100' },
  })
  percent: number;
}

/** `{canary: {version, percent}}` to split production traffic, `{canary: null}` to stop. */
export class SetTrafficDto {
  @ApiProperty({ type: CanaryDto, nullable: true })
  @IsDefined({ message: 'canary is required ({version, percent} or null)' })
  @ValidateIf((_, v) => v !== null)
  @ValidateNested()
  @Type(() => CanaryDto)
  canary: CanaryDto | null;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'Admin only (anyone else: 403 FORCE_NOT_ALLOWED): send the canary traffic although its signature differs from the ' +
      "production version's (otherwise 409 SIGNATURE_MISMATCH). The override is recorded in the audit event.",
  })
  @IsOptional()
  @IsBoolean({ message: 'force must be true or false' })
  force?: boolean;
}

export class TrafficDto {
  @ApiProperty({ type: CanaryDto, nullable: true })
  canary: { version: number; percent: number } | null;
}
