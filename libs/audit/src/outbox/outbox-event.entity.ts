import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An event waiting for (or done with) fan-out to webhook deliveries. Rows are kept for the delivery history. */
@Entity({ name: 'outbox_events' })
@Index('idx_outbox_events_undispatched', ['seq'], { where: 'dispatched_at IS NULL' })
export class OutboxEventEntity {
  /** Commit order, for the dispatcher's scan. */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_outbox_events' })
  seq: string;

  /** The event's public id (`id` in a delivery's body). */
  @Column({ type: 'uuid', unique: true, generated: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  /** When the dispatcher created this event's deliveries (null: not yet). */
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt: Date | null;
}
