import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox (events written with the change that causes them) and, on it, webhook
 * subscriptions and their deliveries.
 */
export class Webhooks1764000008000 implements MigrationInterface {
  name = 'Webhooks1764000008000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox_events (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        type text NOT NULL,
        data jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        dispatched_at timestamptz,
        CONSTRAINT pk_outbox_events PRIMARY KEY (seq),
        CONSTRAINT uq_outbox_events_id UNIQUE (id)
      )`);
    await q.query(`CREATE INDEX idx_outbox_events_undispatched ON outbox_events (seq) WHERE dispatched_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox_events`);
  }
}
