import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { PageQueryDto } from '@app/common';

export class SunsetsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Only versions whose sunset is before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  before?: string;
}

export class SunsetDto {
  @ApiProperty({ example: 'iris' })
  model: string;

  @ApiProperty({ example: 2 })
  version: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deprecatedAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the version retires (410 from then on)' })
  sunsetAt: string | null;

  @ApiProperty({ type: Number, nullable: true, description: 'The version that replaced it', example: 3 })
  successorVersion: number | null;

  @ApiProperty({ description: 'Prediction requests (not rows) to this version over the last 7 days', example: 1200 })
  requestsLast7d: number;

  @ApiProperty({ description: 'Distinct callers (users and API keys) of this version over the last 7 days: whom to warn', example: 3 })
  callersLast7d: number;
}
