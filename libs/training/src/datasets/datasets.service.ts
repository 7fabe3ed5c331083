import { createHash, randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Actor, InjectConfig, Page, toPage, ValidationFailedError } from '@app/common';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { ARTIFACT_STORAGE, ArtifactStorage, principalOf } from '@app/models';
import { canAccess, isAdmin } from '../access';
import { TrainingJobsRepository } from '../jobs/training-jobs.repository';
import { AuditTrail } from '@app/audit';
import { UnitOfWork } from '@app/database';
import { DatasetInUseError, DatasetNotFoundError } from './dataset-errors';
import { DatasetFormat, DISTINCT_CAP } from './dataset-format';
import { formatFromFileName, readDataset } from './dataset-reader';
import { DatasetUpload } from './dataset-upload';
import { DatasetsRepository } from './datasets.repository';
import { DatasetDto, ListDatasetsQueryDto } from './dto/dataset.dto';
import { DatasetEntity } from './entities/dataset.entity';

const MAX_NAME_LENGTH = 200;
/** Bytes hashed per event-loop turn. */
const HASH_BYTES_PER_TURN = 1024 * 1024;

/** A stored dataset's file, as the trainer reads it. */
export interface DatasetFile {
  dataset: DatasetEntity;
  data: Buffer;
}

/**
 * Datasets: checked in full at upload (so a training job never discovers a malformed file), stored
 * through the same storage port as model artifacts (`datasets/<id>` holding `data.csv` or
 * `data.jsonl`), soft-deleted so that jobs keep their lineage.
 */
@Injectable()
export class DatasetsService {
  private readonly logger = new Logger(DatasetsService.name);

  constructor(
    private readonly datasets: DatasetsRepository,
    private readonly jobs: TrainingJobsRepository,
    private readonly transactions: UnitOfWork,
    private readonly audit: AuditTrail,
    @InjectConfig(trainingConfig) private readonly config: TrainingConfig,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
  ) {}

  async upload(upload: DatasetUpload, actor: Actor): Promise<DatasetDto> {
    const name = upload.name?.trim() ?? '';
    const errors = [];
    if (!upload.file) errors.push({ field: 'file', message: 'file (CSV with a header, or JSON lines) is required' });
    if (name.length < 1 || name.length > MAX_NAME_LENGTH)
      errors.push({ field: 'name', message: `name must have 1 to ${MAX_NAME_LENGTH} characters` });
    if (errors.length) throw new ValidationFailedError(errors);
    const { filename, data } = upload.file!;

    const contents = await readDataset(data, { format: formatFromFileName(filename), limits: this.config.datasetLimits });
    const sha256 = await sha256Of(data);
    const id = randomUUID();
    const storageKey = `datasets/${id}`;
    await this.storage.put(storageKey, new Map([[fileName(contents.format), data]]));
    try {
      const row = await this.transactions.run(async (uow) => {
        const saved = await this.datasets.create(
          {
            id,
            name,
            format: contents.format,
            rows: contents.rows,
            columns: contents.columns,
            sha256,
            sizeBytes: data.length,
            storageKey,
            ownerId: actor.caller.id,
            createdBy: principalOf(actor),
          },
          uow,
        );
        await this.audit.record(
          {
            action: 'dataset.created',
            actor,
            targetType: 'dataset',
            targetId: id,
            details: { name, rows: contents.rows, sha256: saved.sha256 },
          },
          uow,
        );
        return saved;
      });
      return toDatasetDto(row);
    } catch (error) {
      await this.storage.delete(storageKey).catch((cleanup: unknown) => {
        this.logger.error({ err: cleanup, storageKey, msg: 'could not delete the file of a failed dataset upload' });
      });
      throw error;
    }
  }

  async list(query: ListDatasetsQueryDto, actor: Actor): Promise<Page<DatasetDto>> {
    const [rows, total] = await this.datasets.list(isAdmin(actor) ? {} : { ownerId: actor.caller.id }, {
      limit: query.limit,
      offset: query.offset,
    });
    return toPage(rows.map(toDatasetDto), total, query);
  }

  async get(id: string, actor: Actor): Promise<DatasetDto> {
    return toDatasetDto(await this.visible(id, actor));
  }

  /** Soft delete (jobs keep pointing at the row); the file goes. Refused while a job still needs it. */
  async delete(id: string, actor: Actor): Promise<void> {
    const dataset = await this.visible(id, actor);
    await this.transactions.run(async (uow) => {
      // Lock the row: a job created concurrently either commits first (and is seen here) or
      // finds the dataset deleted.
      await this.datasets.lockForUpdate(id, uow);
      const users = await this.jobs.unfinishedIdsForDataset(id, 10, uow);
      if (users.length) throw new DatasetInUseError(id, users);
      await this.datasets.softDelete(id, uow);
      await this.audit.record(
        { action: 'dataset.deleted', actor, targetType: 'dataset', targetId: id, details: { name: dataset.name } },
        uow,
      );
    });
    await this.storage.delete(dataset.storageKey).catch((error: unknown) => {
      this.logger.error({ err: error, storageKey: dataset.storageKey, msg: 'dataset deleted, but its file could not be removed' });
    });
  }

  /** For the job service: the dataset as the caller may use it (404 as for a GET otherwise). */
  async visible(id: string, actor: Actor): Promise<DatasetEntity> {
    const row = await this.datasets.findLive(id);
    if (!row || !canAccess(actor, row.ownerId)) throw new DatasetNotFoundError(id);
    return row;
  }

  /** For the runner: the stored file (a deleted dataset is gone for training too). */
  async readFile(id: string): Promise<DatasetFile> {
    const dataset = await this.datasets.findLive(id);
    if (!dataset) throw new DatasetNotFoundError(id);
    const files = await this.storage.get(dataset.storageKey);
    const data = files.get(fileName(dataset.format));
    if (!data) throw new DatasetNotFoundError(id);
    return { dataset, data };
  }
}

/** The file's SHA-256 (hex), a megabyte per event-loop turn: one call over a large upload blocks the loop. */
async function sha256Of(data: Buffer): Promise<string> {
  const hash = createHash('sha256');
  for (let start = 0; start < data.length; start += HASH_BYTES_PER_TURN) {
    if (start > 0) await nextTurn();
    hash.update(data.subarray(start, start + HASH_BYTES_PER_TURN));
  }
  return hash.digest('hex');
}

export function fileName(format: DatasetFormat): string {
  return `data.${format}`;
}

export function toDatasetDto(d: DatasetEntity): DatasetDto {
  return {
    id: d.id,
    name: d.name,
    format: d.format,
    rows: d.rows,
    columns: d.columns.map(({ name, type, missing, distinct }) => ({
      name,
      type,
      missing: missing ?? 0,
      ...(type === 'string' && distinct !== undefined ? { distinct: Math.min(distinct, DISTINCT_CAP) } : {}),
    })),
    sha256: d.sha256,
    sizeBytes: d.sizeBytes,
    createdAt: d.createdAt.toISOString(),
    createdBy: d.createdBy,
  };
}
