import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '@app/common';

export class ListModelsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only models carrying this tag' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  tag?: string;

  @ApiPropertyOptional({ description: 'Only models of this task' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  task?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive search in name and description' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
