import { randomUUID } from 'node:crypto';
import { AuditEventInput, AuditTrail } from '@app/audit';
import { DatasetsRepository, NewDataset } from '../datasets/datasets.repository';
import { DatasetEntity } from '../datasets/entities/dataset.entity';
import { TrainingJobEntity } from '../jobs/entities/training-job.entity';
import {
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
} from '../jobs/training-jobs.repository';
import { ExclusiveRun, UnitOfWork, Transaction } from '@app/database';
import type { EpochRecord } from '../trainer/training-spec';

/**
 * In-memory fakes of training's persistence ports, for unit tests (no database). They follow the
 * TypeORM implementations' conditions (the same WHERE clauses, in memory); time comes from a clock
 * the test controls. Rows are copied in and out, as a database would.
 */
export class TestClock {
  private ms = Date.parse('2030-01-01T00:00:00.000Z');
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const copyJob = (j: TrainingJobEntity): TrainingJobEntity => Object.assign(new TrainingJobEntity(), { ...j, history: [...j.history] });

export class InMemoryTrainingJobsRepository extends TrainingJobsRepository {
  readonly rows = new Map<string, TrainingJobEntity>();

  constructor(readonly clock = new TestClock()) {
    super();
  }

  /** For tests: change a row as another process (or a test's SQL) would. */
  update(id: string, changes: Partial<TrainingJobEntity>): void {
    Object.assign(this.row(id), changes);
  }

  private row(id: string): TrainingJobEntity {
    const row = this.rows.get(id);
    if (!row) throw new Error(`no training job ${id}`);
    return row;
  }

  private write(row: TrainingJobEntity, changes: Partial<TrainingJobEntity>): void {
    Object.assign(row, changes, { updatedAt: this.clock.now() });
  }

  private held(id: string, workerId: string): TrainingJobEntity | undefined {
    const row = this.rows.get(id);
    return row && row.workerId === workerId && row.status === 'running' ? row : undefined;
  }

  private ticket(row: TrainingJobEntity): QueueTicket {
    return { id: row.id, generation: row.updatedAt.getTime() };
  }

  async findById(id: string): Promise<TrainingJobEntity | null> {
    const row = this.rows.get(id);
    return row ? copyJob(row) : null;
  }

  async getById(id: string): Promise<TrainingJobEntity> {
    return copyJob(this.row(id));
  }

  async findByIds(ids: string[]): Promise<TrainingJobEntity[]> {
    return [...this.rows.values()].filter((r) => ids.includes(r.id)).map(copyJob);
  }

  async list(filter: JobListFilter, page: { limit: number; offset: number }): Promise<[TrainingJobEntity[], number]> {
    const matching = [...this.rows.values()]
      .filter(
        (r) =>
          (filter.ownerId === undefined || r.ownerId === filter.ownerId) && (filter.status === undefined || r.status === filter.status),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return [matching.slice(page.offset, page.offset + page.limit).map(copyJob), matching.length];
  }

  async isCancelRequested(id: string): Promise<boolean> {
    return Boolean(this.rows.get(id)?.cancelRequestedAt);
  }

  async unfinishedIdsForDataset(datasetId: string, limit: number): Promise<string[]> {
    return [...this.rows.values()]
      .filter((r) => r.datasetId === datasetId && (r.status === 'queued' || r.status === 'running'))
      .slice(0, limit)
      .map((r) => r.id);
  }

  async queuedAmong(ids: string[]): Promise<QueueTicket[]> {
    return [...this.rows.values()].filter((r) => ids.includes(r.id) && r.status === 'queued').map((r) => this.ticket(r));
  }

  async queuedLongerThan(seconds: number): Promise<QueueTicket[]> {
    const before = this.clock.now().getTime() - seconds * 1000;
    return [...this.rows.values()].filter((r) => r.status === 'queued' && r.updatedAt.getTime() < before).map((r) => this.ticket(r));
  }

  async allQueued(): Promise<QueueTicket[]> {
    return [...this.rows.values()]
      .filter((r) => r.status === 'queued')
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .map((r) => this.ticket(r));
  }

  async create(job: NewTrainingJob): Promise<TrainingJobEntity> {
    const now = this.clock.now();
    const row = Object.assign(new TrainingJobEntity(), {
      ...job,
      ...NEW_JOB_STATE,
      history: [],
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
    } satisfies TrainingJobEntity);
    this.rows.set(row.id, row);
    return copyJob(row);
  }

  async claim(id: string, workerId: string): Promise<TrainingJobEntity | null> {
    const row = this.rows.get(id);
    if (!row || row.status !== 'queued') return null;
    const now = this.clock.now();
    this.write(row, {
      status: 'running',
      workerId,
      attempts: row.attempts + 1,
      heartbeatAt: now,
      startedAt: row.startedAt ?? now,
      progressEpoch: 0,
      history: [],
    });
    return copyJob(row);
  }

  async heartbeat(id: string, workerId: string): Promise<HeldJob | null> {
    const row = this.held(id, workerId);
    if (!row) return null;
    this.write(row, { heartbeatAt: this.clock.now() });
    return { cancelRequested: row.cancelRequestedAt !== null };
  }

  async recordEpoch(id: string, workerId: string, record: EpochRecord): Promise<HeldJob | null> {
    const row = this.held(id, workerId);
    if (!row) return null;
    this.write(row, { progressEpoch: record.epoch, history: [...row.history, record], heartbeatAt: this.clock.now() });
    return { cancelRequested: row.cancelRequestedAt !== null };
  }

  async requeue(id: string, workerId: string): Promise<boolean> {
    const row = this.held(id, workerId);
    if (!row || row.cancelRequestedAt !== null) return false;
    this.write(row, { status: 'queued', workerId: null, heartbeatAt: null, attempts: row.attempts - 1, progressEpoch: 0, history: [] });
    return true;
  }

  async finish(id: string, workerId: string, status: FinishStatus, fields: FinishFields, _tx?: Transaction): Promise<boolean> {
    const row = this.held(id, workerId);
    if (!row) return false;
    const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    this.write(row, { status, finishedAt: this.clock.now(), error: fields.error ?? null, ...given });
    return true;
  }

  async cancelQueued(id: string, _tx?: Transaction): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.status !== 'queued') return false;
    const now = this.clock.now();
    this.write(row, { status: 'cancelled', cancelRequestedAt: now, finishedAt: now });
    return true;
  }

  async requestCancel(id: string): Promise<void> {
    const row = this.rows.get(id);
    if (row && row.status === 'running' && row.cancelRequestedAt === null) this.write(row, { cancelRequestedAt: this.clock.now() });
  }

  async recoverStale({ staleAfterSeconds, maxAttempts }: StaleJobsPolicy, _tx?: Transaction): Promise<StaleRecovery> {
    const before = this.clock.now().getTime() - staleAfterSeconds * 1000;
    const silent = () =>
      [...this.rows.values()].filter((r) => r.status === 'running' && r.heartbeatAt !== null && r.heartbeatAt.getTime() < before);
    const reason = (r: TrainingJobEntity, outcome: string) =>
      `The worker running this job stopped responding (no heartbeat for over ${staleAfterSeconds} s) on attempt ${r.attempts} of ${maxAttempts}; ${outcome}.`;

    const cancelled = silent().filter((r) => r.cancelRequestedAt !== null);
    for (const r of cancelled) this.write(r, { status: 'cancelled', finishedAt: this.clock.now() });
    const failed = silent().filter((r) => r.attempts >= maxAttempts);
    for (const r of failed) this.write(r, { status: 'failed', finishedAt: this.clock.now(), error: reason(r, 'giving up') });
    const requeued = silent().filter((r) => r.attempts < maxAttempts);
    for (const r of requeued) {
      this.write(r, { status: 'queued', workerId: null, heartbeatAt: null, progressEpoch: 0, history: [], error: reason(r, 'retrying') });
    }
    const ended = (r: TrainingJobEntity) => ({ id: r.id, modelName: r.modelName, error: r.error, traceId: r.traceId ?? null });
    return { cancelled: cancelled.map(ended), failed: failed.map(ended), requeued: requeued.map((r) => this.ticket(r)) };
  }
}

export class InMemoryDatasetsRepository extends DatasetsRepository {
  readonly rows = new Map<string, DatasetEntity>();

  constructor(readonly clock = new TestClock()) {
    super();
  }

  async create(dataset: NewDataset): Promise<DatasetEntity> {
    const row = Object.assign(new DatasetEntity(), { ...dataset, createdAt: this.clock.now(), deletedAt: null });
    this.rows.set(row.id, row);
    return Object.assign(new DatasetEntity(), row);
  }

  async findLive(id: string): Promise<DatasetEntity | null> {
    const row = this.rows.get(id);
    return row && !row.deletedAt ? Object.assign(new DatasetEntity(), row) : null;
  }

  async list(filter: { ownerId?: string }, page: { limit: number; offset: number }): Promise<[DatasetEntity[], number]> {
    const matching = [...this.rows.values()]
      .filter((r) => !r.deletedAt && (filter.ownerId === undefined || r.ownerId === filter.ownerId))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    return [matching.slice(page.offset, page.offset + page.limit).map((r) => Object.assign(new DatasetEntity(), r)), matching.length];
  }

  async lockLiveForShare(id: string): Promise<{ sha256: string } | null> {
    const row = this.rows.get(id);
    return row && !row.deletedAt ? { sha256: row.sha256 } : null;
  }

  async lockForUpdate(): Promise<void> {
    // One process, no concurrency to keep out.
  }

  async softDelete(id: string): Promise<void> {
    const row = this.rows.get(id);
    if (row) row.deletedAt = this.clock.now();
  }
}

class InMemoryTransaction extends Transaction {}

/** Units of work without rollback (tests that need a rollback check what was written instead). */
export class InMemoryUnitOfWork extends UnitOfWork {
  private held = new Set<string>();
  committed = 0;

  async run<T>(work: (uow: Transaction) => Promise<T>): Promise<T> {
    const result = await work(new InMemoryTransaction());
    this.committed++;
    return result;
  }

  async exclusively<T>(job: string, work: () => Promise<T>): Promise<ExclusiveRun<T>> {
    if (this.held.has(job)) return { ran: false };
    this.held.add(job);
    try {
      return { ran: true, result: await work() };
    } finally {
      this.held.delete(job);
    }
  }
}

export class InMemoryAuditTrail extends AuditTrail {
  readonly events: { event: AuditEventInput; inUnitOfWork: boolean }[] = [];

  async record(event: AuditEventInput, uow?: Transaction): Promise<void> {
    this.events.push({ event, inUnitOfWork: uow !== undefined });
  }
}
