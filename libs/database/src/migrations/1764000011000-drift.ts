import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drift monitoring. version_profiles holds each version's reference distribution (from its
 * training split, a dataset, or statistics given directly); drift_counts holds what serving saw,
 * per version, profile revision and minute: every replica adds its counts to the minute's row
 * (element-wise), so the drift report reads one row per minute of its window whatever the traffic
 * and the number of replicas.
 */
export class Drift1764000011000 implements MigrationInterface {
  name = 'Drift1764000011000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "version_profiles" (
        "version_id" uuid NOT NULL,
        "revision" integer NOT NULL,
        "source" text NOT NULL,
        "features" jsonb NOT NULL,
        "predictions" jsonb,
        "rows" integer,
        "dataset_id" uuid,
        "created_by" text NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "version_profiles_pkey" PRIMARY KEY ("version_id"),
        CONSTRAINT "version_profiles_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE,
        CONSTRAINT "version_profiles_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE SET NULL,
        CONSTRAINT "version_profiles_revision" CHECK (revision >= 1),
        CONSTRAINT "version_profiles_source" CHECK (source IN ('training', 'dataset', 'statistics')),
        CONSTRAINT "version_profiles_features" CHECK (jsonb_typeof(features) = 'array' AND jsonb_array_length(features) >= 1),
        CONSTRAINT "version_profiles_predictions" CHECK (predictions IS NULL OR jsonb_typeof(predictions) = 'object'),
        CONSTRAINT "version_profiles_rows" CHECK (rows IS NULL OR rows >= 1)
      )`);

    await q.query(`
      CREATE TABLE "drift_counts" (
        "version_id" uuid NOT NULL,
        "revision" integer NOT NULL,
        "minute" timestamptz NOT NULL,
        "rows" bigint NOT NULL,
        "feature_counts" bigint[] NOT NULL,
        "feature_sums" double precision[] NOT NULL,
        "feature_squares" double precision[] NOT NULL,
        "prediction_counts" bigint[] NOT NULL,
        CONSTRAINT "drift_counts_pkey" PRIMARY KEY ("version_id", "revision", "minute"),
        CONSTRAINT "drift_counts_version_id_fkey" FOREIGN KEY ("version_id") REFERENCES "model_versions"("id") ON DELETE CASCADE,
        CONSTRAINT "drift_counts_rows" CHECK (rows > 0),
        CONSTRAINT "drift_counts_minute" CHECK (minute = date_trunc('minute', minute)),
        CONSTRAINT "drift_counts_shapes" CHECK (
          cardinality(feature_sums) >= 1 AND cardinality(feature_sums) = cardinality(feature_squares)
          AND cardinality(feature_counts) >= cardinality(feature_sums)
        )
      )`);
    // Retention deletes by minute.
    await q.query(`CREATE INDEX "drift_counts_minute_idx" ON "drift_counts" ("minute")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "drift_counts"`);
    await q.query(`DROP TABLE IF EXISTS "version_profiles"`);
  }
}
