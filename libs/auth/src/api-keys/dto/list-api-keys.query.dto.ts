import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { PageQueryDto } from '@app/common';

export class ListApiKeysQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ default: false, description: 'Also list revoked keys' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  includeRevoked: boolean = false;
}
