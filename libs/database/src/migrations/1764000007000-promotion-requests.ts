import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Promotion approvals: a model (or the whole registry, by configuration) may require that a move
 * to production be approved by someone other than its requester. A request records the stage its
 * version was in; it goes stale when the version leaves that stage. At most one request per
 * version is pending (a partial unique index), and a decided request says who decided, when.
 */
export class PromotionRequests1764000007000 implements MigrationInterface {
  name = 'PromotionRequests1764000007000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE models ADD COLUMN require_approval boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE users ADD COLUMN approver boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE promotion_requests (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        model_id uuid NOT NULL,
        model_name text NOT NULL,
        version_id uuid NOT NULL,
        version integer NOT NULL,
        from_stage text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        force boolean NOT NULL DEFAULT false,
        reason text,
        requested_by text NOT NULL,
        requested_by_name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_by text,
        decided_by_name text,
        decided_at timestamptz,
        comment text,
        CONSTRAINT promotion_requests_pkey PRIMARY KEY (id),
        CONSTRAINT promotion_requests_status_valid CHECK (status IN ('pending', 'approved', 'rejected', 'stale')),
        CONSTRAINT promotion_requests_from_valid CHECK (from_stage IN ('staging', 'deprecated')),
        CONSTRAINT promotion_requests_decided CHECK ((status = 'pending') = (decided_at IS NULL)),
        CONSTRAINT promotion_requests_decider CHECK (status NOT IN ('approved', 'rejected') OR decided_by IS NOT NULL),
        CONSTRAINT promotion_requests_not_self CHECK (decided_by IS NULL OR status = 'stale' OR decided_by <> requested_by),
        CONSTRAINT promotion_requests_model_id_fkey FOREIGN KEY (model_id) REFERENCES models(id) ON DELETE CASCADE,
        CONSTRAINT promotion_requests_version_id_fkey FOREIGN KEY (version_id) REFERENCES model_versions(id) ON DELETE CASCADE
      )`);
    await q.query(`CREATE UNIQUE INDEX promotion_requests_one_pending ON promotion_requests (version_id) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX promotion_requests_status_created_idx ON promotion_requests (status, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE promotion_requests`);
    await q.query(`ALTER TABLE users DROP COLUMN approver`);
    await q.query(`ALTER TABLE models DROP COLUMN require_approval`);
  }
}
