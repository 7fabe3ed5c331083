import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An event waiting for (or done with) fan-out to webhook deliveries. Rows are kept for the delivery history. */
@Entity({ name: 'outbox_events' })
@Index('idx_outbox_events_undispatched', ['seq'], { where: 'dispatched_at IS NULL' })
@Check('chk_outbox_events_trace_id', `trace_id ~ '^[0-9a-f]{32}$'`)
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

  /** The W3C trace id of the request (or training job) that caused the event; null: none. */
  @Column({ name: 'trace_id', type: 'text', nullable: true })
  traceId: string | null;

  /** When the dispatcher created this event's deliveries (null: not yet). */
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt: Date | null;
}
