import type { Transaction } from '@app/database';
import type { EpochRecord } from '../trainer/training-spec';
import type { JobStatus, TrainingJobEntity } from './entities/training-job.entity';

/** A queued job as the queue takes it: its id and its generation (updated_at in epoch ms; see TrainingQueue). */
export interface QueueTicket {
  id: string;
  generation: number;
}

/** What a job is created with; the repository fills in the state-machine columns (queued, no worker, no progress). */
export type NewTrainingJob = Pick<
  TrainingJobEntity,
  | 'modelName'
  | 'datasetId'
  | 'datasetSha256'
  | 'task'
  | 'request'
  | 'epochs'
  | 'ownerId'
  | 'ownerKind'
  | 'ownerEmail'
  | 'createdBy'
  | 'requestId'
  | 'clientIp'
  | 'traceId'
>;

/** The state-machine columns of a job as it is created: queued, no worker, no progress. Implementations add the rest. */
export const NEW_JOB_STATE = {
  status: 'queued',
  progressEpoch: 0,
  history: [],
  metrics: null,
  stoppedEpoch: null,
  stopReason: null,
  report: null,
  modelVersionId: null,
  modelVersion: null,
  error: null,
  attempts: 0,
  workerId: null,
  heartbeatAt: null,
  cancelRequestedAt: null,
  startedAt: null,
  finishedAt: null,
} as const satisfies Partial<TrainingJobEntity>;

export type FinishStatus = Extract<JobStatus, 'succeeded' | 'failed' | 'cancelled'>;
export type FinishFields = Partial<
  Pick<
    TrainingJobEntity,
    'error' | 'metrics' | 'modelVersionId' | 'modelVersion' | 'progressEpoch' | 'stoppedEpoch' | 'stopReason' | 'report'
  >
>;

/** What a worker still holding its job learns on each write: whether a cancel was asked for. */
export interface HeldJob {
  cancelRequested: boolean;
}

export interface StaleJobsPolicy {
  /** A running job whose heartbeat is older than this is presumed dead. */
  staleAfterSeconds: number;
  /** Dead on attempt ≥ this: failed; below: queued again. */
  maxAttempts: number;
}

/** A job a sweep ended, with what its `training.job.finished` event names. */
/** A job the recovery sweep ended, with what its event needs (and the trace that created it). */
export type EndedJob = Pick<TrainingJobEntity, 'id' | 'modelName' | 'error' | 'traceId'>;

export interface StaleRecovery {
  /** Silent running jobs with a cancel asked for: cancelled. */
  cancelled: EndedJob[];
  /** Silent running jobs on their last attempt: failed with the reason. */
  failed: EndedJob[];
  /** Silent running jobs below the last attempt: queued again (with their new generation). */
  requeued: QueueTicket[];
}

export interface JobListFilter {
  ownerId?: string;
  status?: JobStatus;
}

/**
 * Training jobs (DI token; the TypeORM implementation is bound in TrainingModule). The job state
 * machine lives here as named transitions, each one a single conditional write:
 *
 *   queued ──claim──▶ running ──finish──▶ succeeded | failed | cancelled
 *     ▲                  │ heartbeat / recordEpoch (while held)
 *     └──requeue─────────┘ (the holder, stopping) · recoverStale (anyone, once the heartbeat is old)
 *   queued ──cancelQueued──▶ cancelled
 *
 * "Held" means `status = 'running' AND worker_id = workerId`: a worker that lost its job (presumed
 * dead and recovered) can never write to it again; every held transition answers null/false then.
 */
export abstract class TrainingJobsRepository {
  // ── reads ──
  abstract findById(id: string): Promise<TrainingJobEntity | null>;
  /** Throws when the job does not exist (callers that know it does). */
  abstract getById(id: string): Promise<TrainingJobEntity>;
  abstract findByIds(ids: string[]): Promise<TrainingJobEntity[]>;
  /** Newest first (created_at, then id, descending), with the total matching. */
  abstract list(filter: JobListFilter, page: { limit: number; offset: number }): Promise<[TrainingJobEntity[], number]>;
  abstract isCancelRequested(id: string): Promise<boolean>;
  /** Ids of at most `limit` queued or running jobs training on the dataset (it may not be deleted then). */
  abstract unfinishedIdsForDataset(datasetId: string, limit: number, uow?: Transaction): Promise<string[]>;
  /** Of `ids`, those queued now, with their generation. */
  abstract queuedAmong(ids: string[]): Promise<QueueTicket[]>;
  /** Queued for longer than `seconds` (their queue entry may be lost). */
  abstract queuedLongerThan(seconds: number): Promise<QueueTicket[]>;
  /** Every queued job, oldest first. */
  abstract allQueued(): Promise<QueueTicket[]>;

  // ── inserts ──
  abstract create(job: NewTrainingJob, uow?: Transaction): Promise<TrainingJobEntity>;

  // ── transitions ──
  /**
   * queued → running for `workerId`: counts an attempt, starts the heartbeat, clears the progress
   * of any earlier attempt. Only one claim of a queued job succeeds; the others get null.
   */
  abstract claim(id: string, workerId: string): Promise<TrainingJobEntity | null>;
  /** Refreshes the heartbeat of a held job; null when no longer held. */
  abstract heartbeat(id: string, workerId: string): Promise<HeldJob | null>;
  /** Appends an epoch to a held job's history (and refreshes the heartbeat); null when no longer held. */
  abstract recordEpoch(id: string, workerId: string, record: EpochRecord): Promise<HeldJob | null>;
  /**
   * A held job goes back to queued (a graceful stop), its attempt not counted. False when no longer
   * held or when a cancel was asked for (a cancel wins over a requeue).
   */
  abstract requeue(id: string, workerId: string): Promise<boolean>;
  /** A held job ends; `error` is cleared unless given. False when no longer held. In `tx` when given (with its outbox event). */
  abstract finish(id: string, workerId: string, status: FinishStatus, fields: FinishFields, tx?: Transaction): Promise<boolean>;
  /** A queued job is cancelled at once (cancel asked and finished now). False when not queued. */
  abstract cancelQueued(id: string, tx?: Transaction): Promise<boolean>;
  /** Flags a running job for cancelling (its worker stops); no-op when not running or already flagged. */
  abstract requestCancel(id: string): Promise<void>;
  /**
   * Running jobs whose heartbeat is older than the policy's delay: cancelled when a cancel was asked
   * for, else failed at the last attempt, else queued again. Each step is one conditional write, so
   * concurrent sweeps never recover a job twice.
   */
  abstract recoverStale(policy: StaleJobsPolicy, tx?: Transaction): Promise<StaleRecovery>;
}
