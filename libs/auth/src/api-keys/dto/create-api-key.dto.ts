import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Role, ROLES } from '@app/common';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'fraud-scoring-service', description: 'What the key is for; shown in listings and audit' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^\P{Cc}+$/u, { message: 'name must not contain control characters' })
  name: string;

  @ApiProperty({ enum: ROLES, description: 'The role every request with this key acts with' })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'After this instant the key stops working; must be in the future',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string | Date;
}
