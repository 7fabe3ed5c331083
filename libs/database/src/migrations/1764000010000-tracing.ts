import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each table with a trace id, and the name of the constraint on its format (as its entity declares it). */
const TRACED_TABLES = [
  ['usage_events', 'usage_events_trace_id_format'],
  ['outbox_events', 'chk_outbox_events_trace_id'],
  ['webhook_deliveries', 'chk_webhook_deliveries_trace_id'],
  ['training_jobs', 'training_jobs_trace_id_format'],
] as const;

/**
 * Distributed tracing: the W3C trace id of the request behind a row (a traced prediction's usage
 * row, an outbox event and its deliveries, a training job), so that what happens later and
 * elsewhere (a webhook receiver, a worker's run) continues the caller's trace. Null: no trace
 * (rows from before, work no request caused).
 */
export class Tracing1764000010000 implements MigrationInterface {
  name = 'Tracing1764000010000';

  async up(q: QueryRunner): Promise<void> {
    // IF EXISTS: an integration spec runs only the migrations of its own tables (every table exists in an app).
    for (const [table, check] of TRACED_TABLES) {
      await q.query(
        `ALTER TABLE IF EXISTS "${table}" ADD COLUMN "trace_id" text, ADD CONSTRAINT "${check}" CHECK (trace_id ~ '^[0-9a-f]{32}$')`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const [table] of TRACED_TABLES) await q.query(`ALTER TABLE IF EXISTS "${table}" DROP COLUMN IF EXISTS "trace_id"`);
  }
}
