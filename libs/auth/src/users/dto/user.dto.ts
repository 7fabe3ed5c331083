import { ApiProperty } from '@nestjs/swagger';
import { Role, ROLES } from '@app/common';
import { UserEntity } from '../entities/user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['ml-engineer'] })
  roles: Role[];

  @ApiProperty()
  disabled: boolean;

  @ApiProperty({ description: 'May approve or reject promotion requests (admins always may)' })
  approver: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

/** Field by field, so a new column (like the password hash) can never leak by accident. */
export function toUserDto(u: UserEntity): UserDto {
  return {
    id: u.id,
    email: u.email,
    roles: [...u.roles],
    disabled: u.disabled,
    approver: u.approver,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}
