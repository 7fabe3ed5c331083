import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsISO8601, IsOptional, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { MAX_DESCRIPTION, MAX_LABEL_LENGTH, MAX_LABELS } from '../domain/upload-fields';

/**
 * PATCH of a version: its metadata, and the sunset of a deprecated version. At least one field;
 * `null` clears description or labels. The artifact, its signature and the stage never change here.
 */
export class UpdateVersionDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_DESCRIPTION, example: 'retrained on the March data' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    minItems: 1,
    maxItems: MAX_LABELS,
    example: ['setosa', 'versicolor', 'virginica'],
    description: "Class names in output order, as at upload: as many as the output's classes (else 422). `null` removes them.",
  })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LABELS)
  @IsString({ each: true })
  @Length(1, MAX_LABEL_LENGTH, {
    each: true,
    message: `every entry of labels must be a non-empty string of at most ${MAX_LABEL_LENGTH} characters`,
  })
  labels?: string[] | null;

  @ApiPropertyOptional({
    format: 'date-time',
    example: '2030-06-30T00:00:00Z',
    description:
      'A new sunset for a deprecated version (any other stage: 409 MODEL_VERSION_NOT_DEPRECATED); in the future (else 422). ' +
      'Serving sends the new `Sunset` header at once.',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  sunsetAt?: string;
}
