import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Serving: usage events (one per prediction request, written in batches), per-model serving
 * settings (response cache, opt-in payload logging and its retention) and the payload log itself.
 * Usage rows name the model and version rather than referencing them: they are an append-only
 * ledger for cost analysis that must outlive model deletions.
 */
export class Serving1764000003000 implements MigrationInterface {
  name = 'Serving1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "usage_events" (
        "id" bigint GENERATED ALWAYS AS IDENTITY,
        "at" timestamptz NOT NULL,
        "model_name" text NOT NULL,
        "version" integer,
        "caller_id" text,
        "caller_kind" text,
        "api" text NOT NULL,
        "status" smallint NOT NULL,
        "rows" integer NOT NULL DEFAULT 0,
        "latency_ms" double precision NOT NULL,
        "compute_ms" double precision NOT NULL DEFAULT 0,
        CONSTRAINT "usage_events_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "usage_events_api_valid" CHECK (api IN ('v1', 'v2')),
        CONSTRAINT "usage_events_rows_nonnegative" CHECK (rows >= 0)
      )`);
    await q.query(`CREATE INDEX "usage_events_at_idx" ON "usage_events" ("at")`);
    await q.query(`CREATE INDEX "usage_events_model_at_idx" ON "usage_events" ("model_name", "at")`);

    await q.query(`
      CREATE TABLE "model_serving_settings" (
        "model_id" uuid NOT NULL,
        "response_cache_ttl_seconds" integer,
        "log_payloads" boolean NOT NULL DEFAULT false,
        "payload_retention_days" integer NOT NULL DEFAULT 30,
        "updated_by" text NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "model_serving_settings_pkey" PRIMARY KEY ("model_id"),
        CONSTRAINT "model_serving_settings_ttl_range" CHECK (response_cache_ttl_seconds IS NULL OR response_cache_ttl_seconds BETWEEN 1 AND 86400),
        CONSTRAINT "model_serving_settings_retention_range" CHECK (payload_retention_days BETWEEN 1 AND 3650),
        CONSTRAINT "model_serving_settings_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE TRIGGER "model_serving_settings_set_updated_at" BEFORE UPDATE ON "model_serving_settings" FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
    );

    await q.query(`
      CREATE TABLE "prediction_logs" (
        "id" bigint GENERATED ALWAYS AS IDENTITY,
        "model_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "at" timestamptz NOT NULL DEFAULT now(),
        "request_id" text NOT NULL,
        "caller_id" text,
        "input" jsonb NOT NULL,
        "output" jsonb NOT NULL,
        "expires_at" timestamptz NOT NULL,
        CONSTRAINT "prediction_logs_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "prediction_logs_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "prediction_logs_expires_at_idx" ON "prediction_logs" ("expires_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "prediction_logs"`);
    await q.query(`DROP TABLE IF EXISTS "model_serving_settings"`);
    await q.query(`DROP TABLE IF EXISTS "usage_events"`);
  }
}
