import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { ModelVersionEntity } from '@app/models';
import type { EvaluationReport } from '../../trainer/evaluation-report';
import type { CompletionReason, EpochRecord, TrainingSpec, TrainingTask } from '../../trainer/training-spec';
import { DatasetEntity } from '../../datasets/entities/dataset.entity';

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/**
 * One training run, from request to registered version. The row is the source of truth for every
 * process: queues only carry its id, and the claim (`UPDATE ... WHERE status = 'queued'`) decides
 * which worker runs it.
 */
@Entity('training_jobs')
@Index('training_jobs_owner_created_idx', ['ownerId', 'createdAt'])
@Index('training_jobs_dataset_idx', ['datasetId'])
@Index('training_jobs_unfinished_idx', ['status', 'heartbeatAt'], { where: `status IN ('queued', 'running')` })
@Check('training_jobs_status_valid', `status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')`)
@Check('training_jobs_task_valid', `task IN ('classification', 'regression')`)
@Check('training_jobs_model_name_format', `model_name ~ '^[a-z0-9][a-z0-9._-]{1,62}$'`)
@Check('training_jobs_dataset_sha256_format', `dataset_sha256 ~ '^[0-9a-f]{64}$'`)
@Check('training_jobs_request_object', `jsonb_typeof(request) = 'object'`)
@Check('training_jobs_history_array', `jsonb_typeof(history) = 'array'`)
@Check('training_jobs_metrics_object', `metrics IS NULL OR jsonb_typeof(metrics) = 'object'`)
@Check('training_jobs_progress_range', `epochs >= 1 AND progress_epoch BETWEEN 0 AND epochs`)
@Check('training_jobs_attempts_nonnegative', `attempts >= 0`)
@Check('training_jobs_owner_kind_valid', `owner_kind IN ('user', 'api-key')`)
@Check(
  'training_jobs_running_claimed',
  `status <> 'running' OR (worker_id IS NOT NULL AND heartbeat_at IS NOT NULL AND started_at IS NOT NULL)`,
)
@Check('training_jobs_finished_dated', `(status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL)`)
@Check('training_jobs_succeeded_registered', `(status = 'succeeded') = (model_version_id IS NOT NULL AND model_version IS NOT NULL)`)
@Check('training_jobs_stop_reason_valid', `stop_reason IN ('early-stopping', 'epochs')`)
@Check(
  'training_jobs_stopped_complete',
  `(stopped_epoch IS NULL) = (stop_reason IS NULL) AND (stop_reason IS NULL OR status = 'succeeded')`,
)
@Check('training_jobs_stopped_epoch_range', `stopped_epoch BETWEEN 1 AND epochs`)
@Check('training_jobs_report_object', `report IS NULL OR (jsonb_typeof(report) = 'object' AND status = 'succeeded')`)
@Check('training_jobs_trace_id_format', `trace_id ~ '^[0-9a-f]{32}$'`)
@ForeignKey(() => DatasetEntity, ['datasetId'], ['id'], { name: 'training_jobs_dataset_id_fkey', onDelete: 'RESTRICT' })
@ForeignKey(() => ModelVersionEntity, ['modelVersionId'], ['id'], { name: 'training_jobs_model_version_id_fkey', onDelete: 'RESTRICT' })
export class TrainingJobEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'training_jobs_pkey' })
  id: string;

  @Column('text', { default: 'queued' })
  status: JobStatus;

  @Column('text', { name: 'model_name' })
  modelName: string;

  @Column('uuid', { name: 'dataset_id' })
  datasetId: string;

  /** The dataset's sha256 when the job was created: the lineage recorded on the trained version. */
  @Column('text', { name: 'dataset_sha256' })
  datasetSha256: string;

  @Column('text')
  task: TrainingTask;

  /** The request as resolved (defaults filled in, seed drawn): exactly what the trainer runs. */
  @Column('jsonb')
  request: TrainingSpec;

  @Column('integer')
  epochs: number;

  @Column('integer', { name: 'progress_epoch', default: 0 })
  progressEpoch: number;

  @Column('jsonb', { default: [] })
  history: EpochRecord[];

  @Column('jsonb', { nullable: true })
  metrics: Record<string, number> | null;

  /** Succeeded: the last epoch run (1-based) and why it was the last. */
  @Column('integer', { name: 'stopped_epoch', nullable: true })
  stoppedEpoch: number | null;

  @Column('text', { name: 'stop_reason', nullable: true })
  stopReason: CompletionReason | null;

  /** Succeeded: the evaluation report on the validation split. */
  @Column('jsonb', { nullable: true })
  report: EvaluationReport | null;

  @Column('uuid', { name: 'model_version_id', nullable: true })
  modelVersionId: string | null;

  @Column('integer', { name: 'model_version', nullable: true })
  modelVersion: number | null;

  @Column('text', { nullable: true })
  error: string | null;

  /** Runs started (a claim counts one); a job whose worker died is retried while attempts < max. */
  @Column('integer', { default: 0 })
  attempts: number;

  @Column('text', { name: 'worker_id', nullable: true })
  workerId: string | null;

  @Column('timestamptz', { name: 'heartbeat_at', nullable: true })
  heartbeatAt: Date | null;

  @Column('timestamptz', { name: 'cancel_requested_at', nullable: true })
  cancelRequestedAt: Date | null;

  @Column('text', { name: 'owner_id' })
  ownerId: string;

  @Column('text', { name: 'owner_kind' })
  ownerKind: 'user' | 'api-key';

  @Column('text', { name: 'owner_email', nullable: true })
  ownerEmail: string | null;

  @Column('text', { name: 'created_by' })
  createdBy: string;

  /** The creating request, so that the registration done later by a worker is audited against it. */
  @Column('text', { name: 'request_id', nullable: true })
  requestId: string | null;

  @Column('text', { name: 'client_ip', nullable: true })
  clientIp: string | null;

  /** The creating request's W3C trace id: the run's logs, span and events continue that trace. */
  @Column('text', { name: 'trace_id', nullable: true })
  traceId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'started_at', nullable: true })
  startedAt: Date | null;

  @Column('timestamptz', { name: 'finished_at', nullable: true })
  finishedAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
