import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class DriftQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 129_600,
    default: 60,
    description: 'Minutes back from now (at most the retention, DRIFT_RETENTION_DAYS)',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'window must be a whole number of minutes' })
  @Min(1, { message: 'window must be at least 1 minute' })
  @Max(129_600, { message: 'window must be at most 129600 minutes (90 days)' })
  window?: number;
}
