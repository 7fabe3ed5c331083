import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/**
 * RFC 6749 §4.4.2 (form-encoded or JSON). Every field is optional here so that the token endpoint,
 * not the generic validator, answers with the RFC's error codes.
 */
export class TokenRequestDto {
  @ApiPropertyOptional({ enum: ['client_credentials'] })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  grant_type?: string;

  @ApiPropertyOptional({ description: 'Or send HTTP Basic client authentication (RFC 6749 §2.3.1)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_id?: string;

  @ApiPropertyOptional({ writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  client_secret?: string;

  @ApiPropertyOptional({ description: 'Accepted and ignored: a token carries the key\u2019s role' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  scope?: string;
}
