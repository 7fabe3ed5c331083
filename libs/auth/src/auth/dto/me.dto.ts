import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Role, ROLES } from '@app/common';

export class MeDto {
  @ApiProperty({ description: 'User id, or API key id for a service account' })
  id: string;

  @ApiProperty({ enum: ['user', 'api-key'] })
  kind: 'user' | 'api-key';

  @ApiProperty({ type: String, nullable: true, description: 'null for a service account' })
  email: string | null;

  @ApiProperty({ enum: ROLES, isArray: true })
  roles: Role[];

  @ApiPropertyOptional({ description: 'The service account\u2019s name' })
  name?: string;
}
