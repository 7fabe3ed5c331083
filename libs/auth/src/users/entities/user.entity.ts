import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';
import type { Role } from '@app/common';

@Entity({ name: 'users' })
@Unique('uq_users_email', ['email'])
@Check('chk_users_email_lowercase', `email = lower(email)`)
@Check('chk_users_roles', `cardinality(roles) > 0 AND roles <@ ARRAY['consumer', 'ml-engineer', 'admin']::text[]`)
@Check('chk_users_credential_version', `credential_version >= 1`)
export class UserEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_users' })
  id: string;

  /** Always lower-case: that is what makes it unique case-insensitively. */
  @Column({ type: 'text' })
  email: string;

  /** PHC string ($scrypt$ln=..,r=..,p=..$salt$hash). Never serialised: DTOs are built field by field. */
  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Column({ type: 'text', array: true })
  roles: Role[];

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  /** May approve or reject promotion requests (admins always may). */
  @Column({ type: 'boolean', default: false })
  approver: boolean;

  /**
   * Moves on (+1) with every password change or reset, disable or role change, in the same
   * transaction; access tokens carry the version they were issued at (`cv`) and older ones are refused.
   */
  @Column({ name: 'credential_version', type: 'integer', default: 1 })
  credentialVersion: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
