import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';

const TAG = /^[a-z0-9][a-z0-9._:-]{0,62}$/;

/** Every field optional; `null` clears description/task. The name is immutable (clients pin it). */
export class UpdateModelDto {
  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 2000 })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 64 })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: 'task must be lowercase letters, digits and ._- (at most 64)' })
  task?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: 32 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @Matches(TAG, { each: true, message: `each tag must match ${TAG.source}` })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Moves to production wait for an approver (admin only)' })
  // Absent leaves it as it is; null is not a setting (the column is NOT NULL): 400, not a 500.
  @ValidateIf((_, v) => v !== undefined)
  @IsBoolean({ message: 'requireApproval must be true or false' })
  requireApproval?: boolean;
}
