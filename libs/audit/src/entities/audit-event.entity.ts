import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type AuditActorKind = 'user' | 'api-key' | 'system' | 'anonymous';

@Entity({ name: 'audit_events' })
@Check('chk_audit_events_actor_kind', `actor_kind IN ('user', 'api-key', 'system', 'anonymous')`)
@Index('idx_audit_events_at', ['at'])
@Index('idx_audit_events_action_at', ['action', 'at'])
@Index('idx_audit_events_actor_at', ['actorId', 'at'])
@Index('idx_audit_events_target_at', ['targetType', 'targetId', 'at'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_audit_events' })
  id: string;

  @CreateDateColumn({ type: 'timestamptz', default: () => 'now()' })
  at: Date;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'actor_id', type: 'text', nullable: true })
  actorId: string | null;

  @Column({ name: 'actor_kind', type: 'text' })
  actorKind: AuditActorKind;

  @Column({ name: 'actor_email', type: 'text', nullable: true })
  actorEmail: string | null;

  @Column({ name: 'target_type', type: 'text', nullable: true })
  targetType: string | null;

  @Column({ name: 'target_id', type: 'text', nullable: true })
  targetId: string | null;

  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;
}
