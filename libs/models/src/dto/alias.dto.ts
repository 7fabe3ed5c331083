import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_VERSION_NUMBER } from '../domain/model-name';

export class AliasDto {
  @ApiProperty({ example: 'champion' })
  alias: string;

  @ApiProperty({ example: 3 })
  version: number;

  @ApiProperty({ description: 'true for `production`, which follows the production stage and cannot be set' })
  derived: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  updatedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  updatedBy: string | null;
}

export class SetAliasDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 3 })
  @IsInt()
  @Min(1)
  @Max(MAX_VERSION_NUMBER)
  version: number;
}
