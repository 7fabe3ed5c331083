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

export class ShadowDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    example: 5,
    description: 'A version of this model that is not retired, draft or production; it also runs the mirrored requests',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION_NUMBER)
  version: number;

  @ApiProperty({
    minimum: 1,
    maximum: 100,
    example: 100,
    description: "Share of production requests also run on the shadow after the caller's answer is sent, 1 <= percent <= 100",
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1)
  @Max(100)
  percent: number;
}

/**
 * `{canary: {version, percent}}` to split production traffic, `{canary: null}` to stop; likewise
 * `shadow`. A part left out is left as it is, but at least one must be sent.
 */
export class SetTrafficDto {
  @ApiPropertyOptional({ type: CanaryDto, nullable: true, description: 'Left as it is when omitted (then `shadow` is required)' })
  @ValidateIf((o: SetTrafficDto, v) => v !== null && !(v === undefined && o.shadow !== undefined))
  @IsDefined({ message: 'canary is required ({version, percent} or null) unless shadow is sent' })
  @ValidateNested()
  @Type(() => CanaryDto)
  canary?: CanaryDto | null;

  @ApiPropertyOptional({
    type: ShadowDto,
    nullable: true,
    description:
      'Mirror a share of production requests on this version (`null` stops; left as it is when omitted). The caller never waits ' +
      'for it and its answer never depends on it; GET /v1/models/{name}/shadow-report compares the two.',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ShadowDto)
  shadow?: ShadowDto | null;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description:
      'Admin only (anyone else: 403 FORCE_NOT_ALLOWED): send the canary (or shadow) traffic although its signature differs from the ' +
      "production version's (otherwise 409 SIGNATURE_MISMATCH). The override is recorded in the audit event.",
  })
  @IsOptional()
  @IsBoolean({ message: 'force must be true or false' })
  force?: boolean;
}

export class TrafficDto {
  @ApiProperty({ type: CanaryDto, nullable: true })
  canary: { version: number; percent: number } | null;

  @ApiPropertyOptional({ type: ShadowDto, description: 'The shadow, when one is set' })
  shadow?: { version: number; percent: number };
}
