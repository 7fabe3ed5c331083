import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import type { UsageGroupBy } from '../usage/usage.service';

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
}

export class UsageRowDto {
  @ApiProperty({ example: 'iris', description: 'model name, `model:version`, or caller id' })
  key: string;
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
