import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Training controls and evaluation reports: a succeeded job records the epoch it stopped at and why
 * (early stopping, or every epoch run), and its report on the validation split (confusion matrix and
 * per-class figures, or regression errors). Null for jobs that did not succeed, and for jobs from
 * before.
 */
export class TrainingReport1764000012000 implements MigrationInterface {
  name = 'TrainingReport1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE "training_jobs"
        ADD COLUMN "stopped_epoch" integer,
        ADD COLUMN "stop_reason" text,
        ADD COLUMN "report" jsonb,
        ADD CONSTRAINT "training_jobs_stop_reason_valid" CHECK (stop_reason IN ('early-stopping', 'epochs')),
        ADD CONSTRAINT "training_jobs_stopped_complete" CHECK (
          (stopped_epoch IS NULL) = (stop_reason IS NULL) AND (stop_reason IS NULL OR status = 'succeeded')
        ),
        ADD CONSTRAINT "training_jobs_stopped_epoch_range" CHECK (stopped_epoch BETWEEN 1 AND epochs),
        ADD CONSTRAINT "training_jobs_report_object" CHECK (report IS NULL OR (jsonb_typeof(report) = 'object' AND status = 'succeeded'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "training_jobs" DROP COLUMN "report", DROP COLUMN "stop_reason", DROP COLUMN "stopped_epoch"`);
  }
}
