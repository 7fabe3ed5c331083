import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shadow traffic: a model's traffic row may now hold a shadow (a version that also runs a share of
 * production requests, off the caller's path) with or without a canary, and the figures serving
 * collects about a shadow land in shadow_comparisons, so that every replica's mirrored requests count
 * in one report.
 */
export class ShadowTraffic1764000009000 implements MigrationInterface {
  name = 'ShadowTraffic1764000009000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "model_traffic"
        ALTER COLUMN "canary_version" DROP NOT NULL,
        ALTER COLUMN "canary_percent" DROP NOT NULL,
        ADD COLUMN "shadow_version" integer,
        ADD COLUMN "shadow_percent" double precision,
        ADD COLUMN "shadow_since" timestamptz,
        ADD CONSTRAINT "model_traffic_canary_pair" CHECK ((canary_version IS NULL) = (canary_percent IS NULL)),
        ADD CONSTRAINT "model_traffic_shadow_percent_range" CHECK (shadow_percent >= 1 AND shadow_percent <= 100),
        ADD CONSTRAINT "model_traffic_shadow_complete" CHECK (
          (shadow_version IS NULL) = (shadow_percent IS NULL) AND (shadow_version IS NULL) = (shadow_since IS NULL)
        ),
        ADD CONSTRAINT "model_traffic_not_empty" CHECK (canary_version IS NOT NULL OR shadow_version IS NOT NULL),
        ADD CONSTRAINT "model_traffic_shadow_version_fkey" FOREIGN KEY ("model_id", "shadow_version")
          REFERENCES "model_versions"("model_id", "version") ON DELETE CASCADE`);

    // One row per run (shadow version since it was set) and production version, added to by every
    // replica's flushes: the report sums a run's rows, and a run's storage does not grow with its
    // traffic. Latencies are counts per log-spaced bucket (shadow-comparison.ts), summed element-wise.
    await q.query(`
      CREATE TABLE "shadow_comparisons" (
        "model_id" uuid NOT NULL,
        "shadow_version" integer NOT NULL,
        "shadow_since" timestamptz NOT NULL,
        "baseline_version" integer NOT NULL,
        "requests" bigint NOT NULL,
        "errors" bigint NOT NULL,
        "rows_classified" bigint NOT NULL,
        "rows_agreeing" bigint NOT NULL,
        "values_compared" bigint NOT NULL,
        "abs_diff_sum" double precision NOT NULL,
        "shadow_latency_counts" bigint[] NOT NULL,
        "baseline_latency_counts" bigint[] NOT NULL,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "shadow_comparisons_pkey" PRIMARY KEY ("model_id", "shadow_version", "shadow_since", "baseline_version"),
        CONSTRAINT "shadow_comparisons_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE,
        CONSTRAINT "shadow_comparisons_counts" CHECK (
          requests > 0 AND errors >= 0 AND errors <= requests AND rows_agreeing >= 0 AND rows_agreeing <= rows_classified
          AND values_compared >= 0 AND abs_diff_sum >= 0
        ),
        CONSTRAINT "shadow_comparisons_histograms" CHECK (
          cardinality(shadow_latency_counts) > 0 AND cardinality(shadow_latency_counts) = cardinality(baseline_latency_counts)
        )
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "shadow_comparisons"`);
    await q.query(`DELETE FROM "model_traffic" WHERE canary_version IS NULL`);
    await q.query(`
      ALTER TABLE "model_traffic"
        DROP CONSTRAINT "model_traffic_shadow_version_fkey",
        DROP CONSTRAINT "model_traffic_not_empty",
        DROP CONSTRAINT "model_traffic_shadow_complete",
        DROP CONSTRAINT "model_traffic_shadow_percent_range",
        DROP CONSTRAINT "model_traffic_canary_pair",
        DROP COLUMN "shadow_since",
        DROP COLUMN "shadow_percent",
        DROP COLUMN "shadow_version",
        ALTER COLUMN "canary_percent" SET NOT NULL,
        ALTER COLUMN "canary_version" SET NOT NULL`);
  }
}
