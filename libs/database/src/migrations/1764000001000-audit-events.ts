import { MigrationInterface, QueryRunner } from 'typeorm';

/** Append-only record of security-relevant actions (logins, keys, users, model lifecycle). */
export class AuditEvents1764000001000 implements MigrationInterface {
  name = 'AuditEvents1764000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        at timestamptz NOT NULL DEFAULT now(),
        action text NOT NULL,
        actor_id text,
        actor_kind text NOT NULL,
        actor_email text,
        target_type text,
        target_id text,
        ip text,
        request_id text,
        details jsonb NOT NULL,
        CONSTRAINT pk_audit_events PRIMARY KEY (id),
        CONSTRAINT chk_audit_events_actor_kind CHECK (actor_kind IN ('user', 'api-key', 'system', 'anonymous'))
      )`);
    // The listing filters by one of these and always orders by time, newest first.
    await q.query(`CREATE INDEX idx_audit_events_at ON audit_events (at)`);
    await q.query(`CREATE INDEX idx_audit_events_action_at ON audit_events (action, at)`);
    await q.query(`CREATE INDEX idx_audit_events_actor_at ON audit_events (actor_id, at)`);
    await q.query(`CREATE INDEX idx_audit_events_target_at ON audit_events (target_type, target_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
  }
}
