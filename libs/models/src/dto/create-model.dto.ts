import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../domain/model-name';

const TAG = /^[a-z0-9][a-z0-9._:-]{0,62}$/;

export class CreateModelDto {
  @ApiProperty({ example: 'iris', pattern: MODEL_NAME_PATTERN.source })
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: `name must match ${MODEL_NAME_PATTERN.source}` })
  name: string;

  @ApiPropertyOptional({ maxLength: 2000, example: 'Iris species classifier' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ maxLength: 64, example: 'classification', description: 'Free-form task name, e.g. classification, regression' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: 'task must be lowercase letters, digits and ._- (at most 64)' })
  task?: string;

  @ApiPropertyOptional({ type: [String], maxItems: 32, example: ['tabular'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @Matches(TAG, { each: true, message: `each tag must match ${TAG.source}` })
  tags?: string[];
}
