import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Stage } from '../domain/lifecycle';
import { ModelVersionEntity } from './model-version.entity';

/** Append-only history of a version's stages; the creation of a version is its first row (from null). */
@Entity('stage_transitions')
@Index('stage_transitions_version_at_idx', ['versionId', 'at'])
@Check('stage_transitions_from_valid', `from_stage IS NULL OR from_stage IN ('draft', 'staging', 'production', 'deprecated', 'retired')`)
@Check('stage_transitions_to_valid', `to_stage IN ('draft', 'staging', 'production', 'deprecated', 'retired')`)
@ForeignKey(() => ModelVersionEntity, ['versionId'], ['id'], { name: 'stage_transitions_version_id_fkey', onDelete: 'CASCADE' })
export class StageTransitionEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'stage_transitions_pkey' })
  id: string;

  @Column('uuid', { name: 'version_id' })
  versionId: string;

  @Column('text', { name: 'from_stage', nullable: true })
  fromStage: Stage | null;

  @Column('text', { name: 'to_stage' })
  toStage: Stage;

  /** The principal's id (user or API key); null for the scheduler. */
  @Column('text', { name: 'actor_id', nullable: true })
  actorId: string | null;

  /** Human-readable principal: a user's email, `api-key:<id>`, or `system`. */
  @Column('text')
  actor: string;

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('text', { name: 'request_id', nullable: true })
  requestId: string | null;

  @Column('timestamptz', { default: () => 'now()' })
  at: Date;
}
