import {
  Check,
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';

/**
 * A registered model. Names are unique across deleted models too: a name plus a version number is
 * what clients pin, so a recreated "iris" must never hand out a second "iris v1".
 */
@Entity('models')
@Unique('models_name_key', ['name'])
@Check('models_name_format', `name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'`)
@Check('models_last_version_nonnegative', `last_version >= 0`)
@Index('models_tags_idx', ['tags'], { type: 'gin' })
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'models_pkey' })
  id: string;

  @Column('text')
  name: string;

  @Column('text', { nullable: true })
  description: string | null;

  @Column('text', { nullable: true })
  task: string | null;

  @Column('text', { array: true, default: () => `'{}'` })
  tags: string[];

  /** The highest version number ever allocated; bumped under the row lock of each upload. */
  @Column('integer', { name: 'last_version', default: 0 })
  lastVersion: number;

  /** A move to production waits for an approver (PROMOTION_REQUIRES_APPROVAL asks it of every model). */
  @Column('boolean', { name: 'require_approval', default: false })
  requireApproval: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
