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
    // The secret is kept as is: deliveries are signed with it (a hash could not sign).
    await q.query(`
      CREATE TABLE webhooks (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        url text NOT NULL,
        events text[] NOT NULL,
        secret text NOT NULL,
        description text,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_webhooks PRIMARY KEY (id),
        CONSTRAINT chk_webhooks_events CHECK (cardinality(events) > 0 AND events <@ ARRAY['model.version.created', 'model.version.transitioned', 'promotion.requested', 'promotion.decided', 'training.job.finished']::text[])
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid NOT NULL,
        webhook_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        response_status integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
        CONSTRAINT uq_webhook_deliveries_webhook_event UNIQUE (webhook_id, event_id),
        CONSTRAINT chk_webhook_deliveries_status CHECK (status IN ('pending', 'delivered', 'failed')),
        CONSTRAINT chk_webhook_deliveries_attempts CHECK (attempts >= 0),
        CONSTRAINT fk_webhook_deliveries_webhook FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX idx_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhooks`);
    await q.query(`DROP TABLE outbox_events`);
  }
}
