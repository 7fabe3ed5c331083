import { ApiProperty } from '@nestjs/swagger';

export class TokenPairDto {
  @ApiProperty({ description: 'JWT for Authorization: Bearer' })
  accessToken: string;

  @ApiProperty({ description: 'Opaque, single-use: exchange it at /v1/auth/refresh for a new pair' })
  refreshToken: string;

  @ApiProperty({ enum: ['Bearer'] })
  tokenType: 'Bearer';

  @ApiProperty({ example: 900, description: 'Seconds until the access token expires' })
  expiresIn: number;
}
