import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsEmail, IsIn, MaxLength } from 'class-validator';
import { Role, ROLES } from '@app/common';
import { IsPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password';

/** Only these fields: anything else (id, disabled, passwordHash, ...) is a 400, never applied. */
export class CreateUserDto {
  @ApiProperty({ example: 'ada@example.com', description: 'Unique, case-insensitively; stored lower-case' })
  @IsEmail()
  @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, writeOnly: true })
  @IsPassword()
  password: string;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['consumer'] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles: Role[];
}
