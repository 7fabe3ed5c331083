import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { PageQueryDto } from '@app/common';

export class DatasetColumnDto {
  @ApiProperty({ example: 'petal_length' })
  name: string;

  @ApiProperty({ enum: ['number', 'string', 'boolean'], description: "Set by the column's first non-empty value" })
  type: 'number' | 'string' | 'boolean';

  @ApiProperty({ example: 0, description: 'Empty cells (CSV) or nulls (JSON lines) in the column' })
  missing: number;

  @ApiProperty({
    required: false,
    example: 12,
    description: 'Text columns: distinct non-empty values, counted up to 1,000 (1,000 means "1,000 or more")',
  })
  distinct?: number;
}

export class DatasetDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'iris-2024-06' })
  name: string;

  @ApiProperty({ enum: ['csv', 'jsonl'] })
  format: 'csv' | 'jsonl';

  @ApiProperty({ example: 600, description: 'Data rows (the CSV header is not a row)' })
  rows: number;

  @ApiProperty({ type: [DatasetColumnDto] })
  columns: DatasetColumnDto[];

  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'sha256 of the file as uploaded' })
  sha256: string;

  @ApiProperty({ example: 18000 })
  sizeBytes: number;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ example: 'ada@example.com', description: "The uploader: a user's email or api-key:<id>" })
  createdBy: string;
}

export class DatasetIdParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'id must be a UUID' })
  id: string;
}

export class ListDatasetsQueryDto extends PageQueryDto {}

/** The multipart body of POST /v1/datasets, for OpenAPI (and SDK generators). */
export const UPLOAD_DATASET_SCHEMA = {
  type: 'object' as const,
  required: ['file', 'name'],
  properties: {
    file: {
      type: 'string' as const,
      format: 'binary',
      description:
        'CSV with a header line, or JSON lines (one object per line). Format by file name (.csv, .jsonl, .ndjson), else by content.',
    },
    name: { type: 'string' as const, minLength: 1, maxLength: 200, example: 'iris-2024-06' },
  },
};
