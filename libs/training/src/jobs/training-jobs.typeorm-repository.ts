import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { managerOf, Transaction } from '@app/database';
import type { EpochRecord } from '../trainer/training-spec';
import { TrainingJobEntity } from './entities/training-job.entity';
import {
  EndedJob,
  FinishFields,
  FinishStatus,
  HeldJob,
  JobListFilter,
  NewTrainingJob,
  QueueTicket,
  StaleJobsPolicy,
  StaleRecovery,
  NEW_JOB_STATE,
  TrainingJobsRepository,
} from './training-jobs.repository';
import { rowsOf } from './sql';

/** SQL for a job row's generation (see TrainingQueue). */
const GENERATION_SQL = `floor(extract(epoch from updated_at) * 1000)::bigint AS generation`;
/** The columns of an EndedJob, as its properties. */
const ENDED_SQL = `id, model_name AS "modelName", error, trace_id AS "traceId"`;
/** A held job: still running, and by this worker. */
const HELD = `id = $1 AND worker_id = $2 AND status = 'running'`;

type TicketRow = { id: string; generation: string };
const ticket = (r: TicketRow): QueueTicket => ({ id: r.id, generation: Number(r.generation) });
const held = (rows: { cancel_requested_at: Date | null }[]): HeldJob | null =>
  rows.length ? { cancelRequested: Boolean(rows[0].cancel_requested_at) } : null;

@Injectable()
export class TypeOrmTrainingJobsRepository extends TrainingJobsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {
    super();
  }

  private get jobs() {
    return this.db.getRepository(TrainingJobEntity);
  }

  findById(id: string): Promise<TrainingJobEntity | null> {
    return this.jobs.findOneBy({ id });
  }

  getById(id: string): Promise<TrainingJobEntity> {
    return this.jobs.findOneByOrFail({ id });
  }

  findByIds(ids: string[]): Promise<TrainingJobEntity[]> {
    return this.jobs.findBy({ id: In(ids) });
  }

  list(filter: JobListFilter, page: { limit: number; offset: number }): Promise<[TrainingJobEntity[], number]> {
    const where: JobListFilter = {};
    if (filter.ownerId !== undefined) where.ownerId = filter.ownerId;
    if (filter.status !== undefined) where.status = filter.status;
    return this.jobs.findAndCount({ where, order: { createdAt: 'DESC', id: 'DESC' }, take: page.limit, skip: page.offset });
  }

  async isCancelRequested(id: string): Promise<boolean> {
    const rows = (await this.db.query(`SELECT cancel_requested_at FROM training_jobs WHERE id = $1`, [id])) as {
      cancel_requested_at: Date | null;
    }[];
    return Boolean(rows[0]?.cancel_requested_at);
  }

  async unfinishedIdsForDataset(datasetId: string, limit: number, uow?: Transaction): Promise<string[]> {
    const rows = await managerOf(uow, this.db.manager)
      .getRepository(TrainingJobEntity)
      .find({
        select: { id: true },
        where: [
          { datasetId, status: 'queued' },
          { datasetId, status: 'running' },
        ],
        take: limit,
      });
    return rows.map((j) => j.id);
  }

  async queuedAmong(ids: string[]): Promise<QueueTicket[]> {
    if (!ids.length) return [];
    const rows = (await this.db.query(`SELECT id, ${GENERATION_SQL} FROM training_jobs WHERE id = ANY($1) AND status = 'queued'`, [
      ids,
    ])) as TicketRow[];
    return rows.map(ticket);
  }

  async queuedLongerThan(seconds: number): Promise<QueueTicket[]> {
    const rows = (await this.db.query(
      `SELECT id, ${GENERATION_SQL} FROM training_jobs WHERE status = 'queued' AND updated_at < now() - make_interval(secs => $1)`,
      [seconds],
    )) as TicketRow[];
    return rows.map(ticket);
  }

  async allQueued(): Promise<QueueTicket[]> {
    const rows = (await this.db.query(
      `SELECT id, ${GENERATION_SQL} FROM training_jobs WHERE status = 'queued' ORDER BY created_at`,
    )) as TicketRow[];
    return rows.map(ticket);
  }

  create(job: NewTrainingJob, uow?: Transaction): Promise<TrainingJobEntity> {
    const repo = managerOf(uow, this.db.manager).getRepository(TrainingJobEntity);
    return repo.save(
      repo.create({
        ...job,
        ...NEW_JOB_STATE,
        history: [],
      }),
    );
  }

  async claim(id: string, workerId: string): Promise<TrainingJobEntity | null> {
    const claimed = rowsOf(
      await this.db.query(
        `UPDATE training_jobs
            SET status = 'running', worker_id = $2, attempts = attempts + 1, heartbeat_at = now(),
                started_at = COALESCE(started_at, now()), progress_epoch = 0, history = '[]'::jsonb
          WHERE id = $1 AND status = 'queued'
          RETURNING id`,
        [id, workerId],
      ),
    );
    if (!claimed.length) return null;
    return this.jobs.findOneByOrFail({ id });
  }

  async heartbeat(id: string, workerId: string): Promise<HeldJob | null> {
    return held(
      rowsOf(
        await this.db.query(`UPDATE training_jobs SET heartbeat_at = now() WHERE ${HELD} RETURNING cancel_requested_at`, [id, workerId]),
      ),
    );
  }

  async recordEpoch(id: string, workerId: string, record: EpochRecord): Promise<HeldJob | null> {
    return held(
      rowsOf(
        await this.db.query(
          `UPDATE training_jobs
              SET progress_epoch = $3, history = history || jsonb_build_array($4::jsonb), heartbeat_at = now()
            WHERE ${HELD}
            RETURNING cancel_requested_at`,
          [id, workerId, record.epoch, JSON.stringify(record)],
        ),
      ),
    );
  }

  async requeue(id: string, workerId: string): Promise<boolean> {
    const rows = rowsOf(
      await this.db.query(
        `UPDATE training_jobs
            SET status = 'queued', worker_id = NULL, heartbeat_at = NULL, attempts = attempts - 1, progress_epoch = 0, history = '[]'::jsonb
          WHERE ${HELD} AND cancel_requested_at IS NULL
          RETURNING id`,
        [id, workerId],
      ),
    );
    return rows.length > 0;
  }

  async finish(id: string, workerId: string, status: FinishStatus, fields: FinishFields, tx?: Transaction): Promise<boolean> {
    const result = await managerOf(tx, this.db.manager)
      .createQueryBuilder()
      .update(TrainingJobEntity)
      .set({ status, finishedAt: () => 'now()', error: fields.error ?? null, ...fields })
      .where(`id = :id AND worker_id = :worker AND status = 'running'`, { id, worker: workerId })
      .execute();
    return Boolean(result.affected);
  }

  async cancelQueued(id: string, tx?: Transaction): Promise<boolean> {
    const rows = rowsOf(
      await managerOf(tx, this.db.manager).query(
        `UPDATE training_jobs SET status = 'cancelled', cancel_requested_at = now(), finished_at = now()
          WHERE id = $1 AND status = 'queued' RETURNING id`,
        [id],
      ),
    );
    return rows.length > 0;
  }

  async requestCancel(id: string): Promise<void> {
    await this.db.query(
      `UPDATE training_jobs SET cancel_requested_at = now() WHERE id = $1 AND status = 'running' AND cancel_requested_at IS NULL`,
      [id],
    );
  }

  async recoverStale({ staleAfterSeconds: stale, maxAttempts }: StaleJobsPolicy, tx?: Transaction): Promise<StaleRecovery> {
    const db = managerOf(tx, this.db.manager);
    const silent = `status = 'running' AND heartbeat_at < now() - make_interval(secs => $1)`;

    const cancelled = rowsOf<EndedJob>(
      await db.query(
        `UPDATE training_jobs SET status = 'cancelled', finished_at = now()
          WHERE ${silent} AND cancel_requested_at IS NOT NULL RETURNING ${ENDED_SQL}`,
        [stale],
      ),
    );

    const failed = rowsOf<EndedJob>(
      await db.query(
        `UPDATE training_jobs SET status = 'failed', finished_at = now(),
                error = format('The worker running this job stopped responding (no heartbeat for over %s s) on attempt %s of %s; giving up.',
                               $1::float8, attempts, $2::int)
          WHERE ${silent} AND attempts >= $2::int RETURNING ${ENDED_SQL}`,
        [stale, maxAttempts],
      ),
    );

    const requeued = rowsOf<TicketRow>(
      await db.query(
        `UPDATE training_jobs SET status = 'queued', worker_id = NULL, heartbeat_at = NULL, progress_epoch = 0, history = '[]'::jsonb,
                error = format('The worker running this job stopped responding (no heartbeat for over %s s) on attempt %s of %s; retrying.',
                               $1::float8, attempts, $2::int)
          WHERE ${silent} AND attempts < $2::int RETURNING id, ${GENERATION_SQL}`,
        [stale, maxAttempts],
      ),
    ).map(ticket);

    return { cancelled, failed, requeued };
  }
}
