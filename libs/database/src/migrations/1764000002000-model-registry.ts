import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The model registry: models, their versions (artifact + lifecycle), the stage history, aliases
 * and canary traffic settings. Invariants live here, not only in code:
 * - a model name is unique for ever (deleted models keep theirs, so "name + version" never means
 *   two artifacts);
 * - (model, version) is unique and versions are numbered from 1;
 * - at most one production version per model (partial unique index), whatever the interleaving of
 *   concurrent promotions;
 * - a deprecated version always has its deprecation and sunset dates;
 * - aliases and the canary point at versions of the same model (composite foreign keys).
 */
export class ModelRegistry1764000002000 implements MigrationInterface {
  name = 'ModelRegistry1764000002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "models" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" text NOT NULL,
        "description" text,
        "task" text,
        "tags" text array NOT NULL DEFAULT '{}',
        "last_version" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        "deleted_at" timestamptz,
        CONSTRAINT "models_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "models_name_key" UNIQUE ("name"),
        CONSTRAINT "models_name_format" CHECK (name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
        CONSTRAINT "models_last_version_nonnegative" CHECK (last_version >= 0)
      )`);
    await q.query(`CREATE INDEX "models_tags_idx" ON "models" USING gin ("tags")`);

    await q.query(`
      CREATE TABLE "model_versions" (
        "id" uuid NOT NULL,
        "model_id" uuid NOT NULL,
        "version" integer NOT NULL,
        "stage" text NOT NULL DEFAULT 'draft',
        "description" text,
        "framework" text NOT NULL,
        "inputs" jsonb NOT NULL,
        "outputs" jsonb NOT NULL,
        "labels" jsonb,
        "metrics" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "params" jsonb NOT NULL DEFAULT '{}'::jsonb,
        "source" jsonb,
        "sha256" text NOT NULL,
        "size_bytes" bigint NOT NULL,
        "artifact_key" text NOT NULL,
        "created_by" text NOT NULL,
        "deprecated_at" timestamptz,
        "sunset_at" timestamptz,
        "successor_version" integer,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "model_versions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "model_versions_model_id_version_key" UNIQUE ("model_id", "version"),
        CONSTRAINT "model_versions_artifact_key_key" UNIQUE ("artifact_key"),
        CONSTRAINT "model_versions_version_positive" CHECK (version >= 1),
        CONSTRAINT "model_versions_stage_valid" CHECK (stage IN ('draft', 'staging', 'production', 'deprecated', 'retired')),
        CONSTRAINT "model_versions_framework_valid" CHECK (framework IN ('tfjs-layers', 'tfjs-graph')),
        CONSTRAINT "model_versions_sha256_format" CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        CONSTRAINT "model_versions_size_nonnegative" CHECK (size_bytes >= 0),
        CONSTRAINT "model_versions_labels_array" CHECK (labels IS NULL OR jsonb_typeof(labels) = 'array'),
        CONSTRAINT "model_versions_metrics_object" CHECK (jsonb_typeof(metrics) = 'object'),
        CONSTRAINT "model_versions_params_object" CHECK (jsonb_typeof(params) = 'object'),
        CONSTRAINT "model_versions_deprecation_dated" CHECK (stage <> 'deprecated' OR (deprecated_at IS NOT NULL AND sunset_at IS NOT NULL)),
        CONSTRAINT "model_versions_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT,
        CONSTRAINT "model_versions_successor_fkey" FOREIGN KEY ("model_id", "successor_version")
          REFERENCES "model_versions"("model_id", "version") ON DELETE RESTRICT
      )`);
    await q.query(`CREATE UNIQUE INDEX "model_versions_one_production_idx" ON "model_versions" ("model_id") WHERE stage = 'production'`);
    // The sunset sweep scans only deprecated versions.
    await q.query(`CREATE INDEX "model_versions_sunset_idx" ON "model_versions" ("sunset_at") WHERE stage = 'deprecated'`);

    await q.query(`
      CREATE TABLE "stage_transitions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "version_id" uuid NOT NULL,
        "from_stage" text,
        "to_stage" text NOT NULL,
        "actor_id" text,
        "actor" text NOT NULL,
        "reason" text,
        "request_id" text,
        "at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "stage_transitions_pkey" PRIMARY KEY ("id"),
        CONSTRAINT "stage_transitions_from_valid" CHECK (from_stage IS NULL OR from_stage IN ('draft', 'staging', 'production', 'deprecated', 'retired')),
        CONSTRAINT "stage_transitions_to_valid" CHECK (to_stage IN ('draft', 'staging', 'production', 'deprecated', 'retired')),
        CONSTRAINT "stage_transitions_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "stage_transitions_version_at_idx" ON "stage_transitions" ("version_id", "at")`);

    await q.query(`
      CREATE TABLE "model_aliases" (
        "model_id" uuid NOT NULL,
        "alias" text NOT NULL,
        "version" integer NOT NULL,
        "updated_by" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "model_aliases_pkey" PRIMARY KEY ("model_id", "alias"),
        CONSTRAINT "model_aliases_alias_format" CHECK (alias ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
        CONSTRAINT "model_aliases_alias_not_reserved" CHECK (alias <> 'production'),
        CONSTRAINT "model_aliases_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE,
        CONSTRAINT "model_aliases_version_fkey" FOREIGN KEY ("model_id", "version")
          REFERENCES "model_versions"("model_id", "version") ON DELETE CASCADE
      )`);

    await q.query(`
      CREATE TABLE "model_traffic" (
        "model_id" uuid NOT NULL,
        "canary_version" integer NOT NULL,
        "canary_percent" double precision NOT NULL,
        "updated_by" text NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "model_traffic_pkey" PRIMARY KEY ("model_id"),
        CONSTRAINT "model_traffic_percent_range" CHECK (canary_percent > 0 AND canary_percent < 100),
        CONSTRAINT "model_traffic_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE,
        CONSTRAINT "model_traffic_canary_version_fkey" FOREIGN KEY ("model_id", "canary_version")
          REFERENCES "model_versions"("model_id", "version") ON DELETE CASCADE
      )`);

    for (const table of ['models', 'model_versions', 'model_aliases', 'model_traffic']) {
      await q.query(`CREATE TRIGGER "${table}_set_updated_at" BEFORE UPDATE ON "${table}" FOR EACH ROW EXECUTE FUNCTION set_updated_at()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "model_traffic"`);
    await q.query(`DROP TABLE IF EXISTS "model_aliases"`);
    await q.query(`DROP TABLE IF EXISTS "stage_transitions"`);
    await q.query(`DROP TABLE IF EXISTS "model_versions"`);
    await q.query(`DROP TABLE IF EXISTS "models"`);
  }
}
