import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { MODEL_NAME_PATTERN } from '@app/models';
import { MAX_USAGE_BUCKETS, USAGE_INTERVALS, type UsageGroupBy, type UsageInterval } from '../usage/usage.service';

export class UsageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Inclusive start (default: 30 days before `to`)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive end (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: ['model', 'version', 'caller'], default: 'model' })
  @IsOptional()
  @IsIn(['model', 'version', 'caller'])
  groupBy: UsageGroupBy = 'model';

  @ApiPropertyOptional({
    enum: USAGE_INTERVALS,
    description:
      'Totals per UTC hour or day: each item is then one group in one time bucket (`bucket`), ordered by bucket, then most requests. ' +
      `Buckets without events are left out. A range spanning more than ${MAX_USAGE_BUCKETS} buckets is refused (422).`,
  })
  @IsOptional()
  @IsIn(USAGE_INTERVALS)
  interval?: UsageInterval;

  @ApiPropertyOptional({ example: 'iris', description: "Only this model's events (e.g. with groupBy=version: one model's versions)" })
  @IsOptional()
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: `model must match ${MODEL_NAME_PATTERN.source}` })
  model?: string;
}

export class UsageRowDto {
  @ApiProperty({ example: 'iris', description: 'model name, `model:version`, or caller id (`anonymous` for none)' })
  key: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'ml@example.com',
    description:
      "groupBy=caller only: the caller's display name: a user's email or the API key's (service account's) name; " +
      '`anonymous` for none; null when the caller no longer exists',
  })
  name?: string | null;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2030-01-10T13:00:00.000Z',
    description: 'With `interval` only: the start of the UTC hour or day these totals cover',
  })
  bucket?: string;

  @ApiProperty() requests: number;
  @ApiProperty() rows: number;
  @ApiProperty() errors: number;
  @ApiProperty() p50Ms: number;
  @ApiProperty() p95Ms: number;
  @ApiProperty({ description: 'Sum of model compute time (ms) attributed to these requests' }) computeMs: number;
}

export class UsageReportDto {
  @ApiProperty({ type: [UsageRowDto] })
  items: UsageRowDto[];
}
