import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A usage row may stand for several requests: the recorder folds the requests of one second that
 * share model, version, caller, API and status into one row (`requests`, every latency kept in
 * `latencies_ms`, rows and compute summed). On a busy model that is about a hundredth of the rows,
 * and of the insert work, which on the embedded database runs on the serving thread. Existing rows
 * are single requests (requests = 1, latencies_ms NULL: latency_ms is the one latency).
 */
export class UsageRollups1764000006000 implements MigrationInterface {
  name = 'UsageRollups1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_events ADD COLUMN requests integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE usage_events ADD COLUMN latencies_ms double precision[]`);
    await q.query(`ALTER TABLE usage_events ADD CONSTRAINT usage_events_requests_positive CHECK (requests >= 1)`);
    await q.query(
      `ALTER TABLE usage_events ADD CONSTRAINT usage_events_latencies_match
         CHECK (latencies_ms IS NULL OR cardinality(latencies_ms) = requests)`,
    );
    await q.query(`ALTER TABLE usage_events ADD CONSTRAINT usage_events_single_or_listed CHECK (requests = 1 OR latencies_ms IS NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_events DROP CONSTRAINT usage_events_single_or_listed`);
    await q.query(`ALTER TABLE usage_events DROP CONSTRAINT usage_events_latencies_match`);
    await q.query(`ALTER TABLE usage_events DROP CONSTRAINT usage_events_requests_positive`);
    await q.query(`ALTER TABLE usage_events DROP COLUMN latencies_ms`);
    await q.query(`ALTER TABLE usage_events DROP COLUMN requests`);
  }
}
