import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A subscription: which outbox events are POSTed to which URL, signed with which secret. */
@Entity({ name: 'webhooks' })
@Check(
  'chk_webhooks_events',
  `cardinality(events) > 0 AND events <@ ARRAY['model.version.created', 'model.version.transitioned', 'promotion.requested', 'promotion.decided', 'training.job.finished']::text[]`,
)
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_webhooks' })
  id: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', array: true })
  events: string[];

  /**
   * The HMAC key deliveries are signed with. Kept as is (a hash would not sign): shown once at
   * creation, never in a listing, a log or the audit trail. DTOs are built field by field.
   */
  @Column({ type: 'text' })
  secret: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  /** The user or API key that created it (no foreign key: either table). */
  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
