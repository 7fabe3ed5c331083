import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Datasets and training jobs. Invariants kept by the database, whatever the code path:
 * - a job's status is one of five, and the columns each status implies are set (a running job has
 *   a worker and a heartbeat, a finished job its finish time, a succeeded one its model version);
 * - a job points at an existing dataset (never deleted from under it: datasets are soft-deleted)
 *   and, once succeeded, at the registered version;
 * - the claim of a queued job (`UPDATE ... WHERE status = 'queued'`) can succeed only once.
 */
export class Training1764000004000 implements MigrationInterface {
  name = 'Training1764000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "datasets" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "format" text NOT NULL,
        "row_count" integer NOT NULL,
        "columns" jsonb NOT NULL,
        "sha256" text NOT NULL,
        "size_bytes" bigint NOT NULL,
        "storage_key" text NOT NULL,
        "owner_id" text NOT NULL,
        "created_by" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "deleted_at" timestamptz,
        CONSTRAINT "datasets_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "datasets_storage_key_key" UNIQUE ("storage_key"),
        CONSTRAINT "datasets_name_length" CHECK (char_length(name) BETWEEN 1 AND 200),
        CONSTRAINT "datasets_format_valid" CHECK (format IN ('csv', 'jsonl')),
        CONSTRAINT "datasets_row_count_positive" CHECK (row_count >= 1),
        CONSTRAINT "datasets_columns_array" CHECK (jsonb_typeof(columns) = 'array'),
        CONSTRAINT "datasets_sha256_format" CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        CONSTRAINT "datasets_size_nonnegative" CHECK (size_bytes >= 0)
      )`);
    await q.query(`CREATE INDEX "datasets_owner_created_idx" ON "datasets" ("owner_id", "created_at") WHERE deleted_at IS NULL`);

    await q.query(`
      CREATE TABLE "training_jobs" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "status" text NOT NULL DEFAULT 'queued',
        "model_name" text NOT NULL,
        "dataset_id" uuid NOT NULL,
        "dataset_sha256" text NOT NULL,
        "task" text NOT NULL,
        "request" jsonb NOT NULL,
        "epochs" integer NOT NULL,
        "progress_epoch" integer NOT NULL DEFAULT 0,
        "history" jsonb NOT NULL DEFAULT '[]'::jsonb,
        "metrics" jsonb,
        "model_version_id" uuid,
        "model_version" integer,
        "error" text,
        "attempts" integer NOT NULL DEFAULT 0,
        "worker_id" text,
        "heartbeat_at" timestamptz,
        "cancel_requested_at" timestamptz,
        "owner_id" text NOT NULL,
        "owner_kind" text NOT NULL,
        "owner_email" text,
        "created_by" text NOT NULL,
        "request_id" text,
        "client_ip" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "started_at" timestamptz,
        "finished_at" timestamptz,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "training_jobs_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "training_jobs_status_valid" CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
        CONSTRAINT "training_jobs_task_valid" CHECK (task IN ('classification', 'regression')),
        CONSTRAINT "training_jobs_model_name_format" CHECK (model_name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
        CONSTRAINT "training_jobs_dataset_sha256_format" CHECK (dataset_sha256 ~ '^[0-9a-f]{64}$'),
        CONSTRAINT "training_jobs_request_object" CHECK (jsonb_typeof(request) = 'object'),
        CONSTRAINT "training_jobs_history_array" CHECK (jsonb_typeof(history) = 'array'),
        CONSTRAINT "training_jobs_metrics_object" CHECK (metrics IS NULL OR jsonb_typeof(metrics) = 'object'),
        CONSTRAINT "training_jobs_progress_range" CHECK (epochs >= 1 AND progress_epoch BETWEEN 0 AND epochs),
        CONSTRAINT "training_jobs_attempts_nonnegative" CHECK (attempts >= 0),
        CONSTRAINT "training_jobs_owner_kind_valid" CHECK (owner_kind IN ('user', 'api-key')),
        CONSTRAINT "training_jobs_running_claimed" CHECK (status <> 'running' OR (worker_id IS NOT NULL AND heartbeat_at IS NOT NULL AND started_at IS NOT NULL)),
        CONSTRAINT "training_jobs_finished_dated" CHECK ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)),
        CONSTRAINT "training_jobs_succeeded_registered" CHECK ((status = 'succeeded') = (model_version_id IS NOT NULL AND model_version IS NOT NULL)),
        CONSTRAINT "training_jobs_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT,
        CONSTRAINT "training_jobs_model_version_id_fkey" FOREIGN KEY ("model_version_id") REFERENCES "model_versions"("id") ON DELETE RESTRICT
      )`);
    await q.query(`CREATE INDEX "training_jobs_owner_created_idx" ON "training_jobs" ("owner_id", "created_at")`);
    await q.query(`CREATE INDEX "training_jobs_dataset_idx" ON "training_jobs" ("dataset_id")`);
    // The recovery sweep looks only at unfinished jobs.
    await q.query(
      `CREATE INDEX "training_jobs_unfinished_idx" ON "training_jobs" ("status", "heartbeat_at") WHERE status IN ('queued', 'running')`,
    );
    await q.query(
      `CREATE TRIGGER "training_jobs_set_updated_at" BEFORE UPDATE ON "training_jobs" FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "training_jobs"`);
    await q.query(`DROP TABLE IF EXISTS "datasets"`);
  }
}
