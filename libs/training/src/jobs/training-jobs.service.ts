import { randomInt } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Actor, DomainError, FieldError, InjectConfig, NotFoundError, Page, toPage, ValidationFailedError } from '@app/common';
import { trainingConfig, type TrainingConfig } from '../training.config';
import { principalOf } from '@app/models';
import { canAccess, isAdmin } from '../access';
import { DatasetNotFoundError } from '../datasets/dataset-errors';
import { DISTINCT_CAP } from '../datasets/dataset-format';
import { DatasetsRepository } from '../datasets/datasets.repository';
import { DatasetsService } from '../datasets/datasets.service';
import { DatasetEntity } from '../datasets/entities/dataset.entity';
import { TRAINING_EVENT_BUS, TrainingEventBus } from '../events/training-events';
import { AuditTrail, EventOutbox } from '@app/audit';
import { UnitOfWork } from '@app/database';
import { TRAINING_QUEUE, TrainingQueue } from '../queue/training-queue';
import { DEFAULTS, TrainingSpec } from '../trainer/training-spec';
import { CreateTrainingJobDto } from './dto/create-training-job.dto';
import { ListTrainingJobsQueryDto, TrainingJobDto } from './dto/training-job.dto';
import { TrainingJobEntity } from './entities/training-job.entity';
import { JobListFilter, TrainingJobsRepository } from './training-jobs.repository';
import { finishedEvent, toJobDto } from './views';
import { classWeightErrors, resolveControls } from './control-checks';

export class TrainingJobNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('TRAINING_JOB_NOT_FOUND', `Training job ${id} does not exist.`);
  }
}

export class TrainingJobFinishedError extends DomainError {
  constructor(id: string, status: string) {
    super('conflict', 'TRAINING_JOB_FINISHED', `Training job ${id} has already ${status}; there is nothing to cancel.`, {
      extensions: { status },
    });
  }
}

/**
 * Training jobs as the API sees them: checked against the dataset and the configured limits,
 * recorded, queued; listed, read and cancelled. Running them is the runner's business, wherever
 * the queue delivers them.
 */
@Injectable()
export class TrainingJobsService {
  private readonly logger = new Logger(TrainingJobsService.name);

  constructor(
    private readonly jobs: TrainingJobsRepository,
    private readonly datasetRows: DatasetsRepository,
    private readonly transactions: UnitOfWork,
    @InjectConfig(trainingConfig) private readonly config: TrainingConfig,
    private readonly datasets: DatasetsService,
    private readonly audit: AuditTrail,
    @Inject(TRAINING_QUEUE) private readonly queue: TrainingQueue,
    @Inject(TRAINING_EVENT_BUS) private readonly bus: TrainingEventBus,
    private readonly outbox: EventOutbox,
  ) {}

  async create(dto: CreateTrainingJobDto, actor: Actor): Promise<TrainingJobDto> {
    let dataset: DatasetEntity | undefined;
    try {
      dataset = await this.datasets.visible(dto.datasetId, actor);
    } catch (error) {
      if (!(error instanceof DatasetNotFoundError)) throw error;
    }
    const errors = dataset
      ? this.check(dto, dataset)
      : [{ field: 'datasetId', message: `no dataset ${dto.datasetId} (or it was deleted)` }];
    if (dataset) errors.push(...(await classWeightErrors(dto, dataset, errors, () => this.datasets.readFile(dataset.id))));
    if (errors.length)
      throw new ValidationFailedError(errors, 'The training request does not fit the dataset or the configured limits.', 'unprocessable');
    const spec = resolveSpec(dto, this.config);

    const job = await this.transactions.run(async (uow) => {
      // The dataset row is locked so that a concurrent delete waits for this job (and then refuses).
      const live = await this.datasetRows.lockLiveForShare(dataset!.id, uow);
      if (!live) {
        throw new ValidationFailedError(
          [{ field: 'datasetId', message: `dataset ${dataset!.id} was deleted` }],
          undefined,
          'unprocessable',
        );
      }
      const row = await this.jobs.create(
        {
          modelName: dto.modelName,
          datasetId: dataset!.id,
          datasetSha256: live.sha256,
          task: spec.task,
          request: spec,
          epochs: spec.hyperparameters.epochs,
          ownerId: actor.caller.id,
          ownerKind: actor.caller.kind,
          ownerEmail: actor.caller.email ?? null,
          createdBy: principalOf(actor),
          requestId: actor.requestId,
          clientIp: actor.ip,
          traceId: actor.trace?.traceId ?? null,
        },
        uow,
      );
      await this.audit.record(
        {
          action: 'training-job.created',
          actor,
          targetType: 'training-job',
          targetId: row.id,
          details: { model: dto.modelName, datasetId: dataset!.id, task: spec.task, epochs: spec.hyperparameters.epochs },
        },
        uow,
      );
      return row;
    });
    // A failed enqueue (Redis down) leaves the job queued in the database; the recovery sweep enqueues it again.
    await this.queue.enqueue(job.id, job.updatedAt.getTime()).catch((error: unknown) => {
      this.logger.error({ err: error, jobId: job.id, msg: 'could not enqueue a training job; the recovery sweep will retry' });
    });
    return toJobDto(job);
  }

  async list(query: ListTrainingJobsQueryDto, actor: Actor): Promise<Page<TrainingJobDto>> {
    const filter: JobListFilter = {};
    if (!isAdmin(actor)) filter.ownerId = actor.caller.id;
    if (query.status) filter.status = query.status;
    const [rows, total] = await this.jobs.list(filter, { limit: query.limit, offset: query.offset });
    return toPage(rows.map(toJobDto), total, query);
  }

  async get(id: string, actor: Actor): Promise<TrainingJobDto> {
    return toJobDto(await this.visible(id, actor));
  }

  async visible(id: string, actor: Actor): Promise<TrainingJobEntity> {
    const row = await this.jobs.findById(id);
    if (!row || !canAccess(actor, row.ownerId)) throw new TrainingJobNotFoundError(id);
    return row;
  }

  /**
   * A queued job is cancelled at once; a running one is flagged, and its worker (told over the
   * event bus, and by its next heartbeat or epoch write otherwise) stops before its next batch.
   */
  async cancel(id: string, actor: Actor): Promise<TrainingJobDto> {
    const job = await this.visible(id, actor);
    if (job.status === 'succeeded' || job.status === 'failed') throw new TrainingJobFinishedError(id, job.status);
    // A queued job ends here: its training.job.finished event commits with it (webhooks).
    const cancelledNow = await this.transactions.run(async (tx) => {
      if (!(await this.jobs.cancelQueued(id, tx))) return false;
      // The job's trace (the request that created it), as the runner's events.
      await this.outbox.add('training.job.finished', finishedEvent(job, 'cancelled'), tx, job.traceId ?? undefined);
      return true;
    });
    if (!cancelledNow) await this.jobs.requestCancel(id);
    const fresh = await this.jobs.getById(id);
    if (fresh.status === 'succeeded' || fresh.status === 'failed') throw new TrainingJobFinishedError(id, fresh.status);
    await this.audit.record({
      action: 'training-job.cancel-requested',
      actor,
      targetType: 'training-job',
      targetId: id,
      details: { status: fresh.status },
    });
    const event = cancelledNow ? { type: 'status' as const, jobId: id, job: toJobDto(fresh) } : { type: 'cancel' as const, jobId: id };
    await this.bus.publish(event).catch((error: unknown) => {
      this.logger.warn({ err: error, jobId: id, msg: 'could not publish a training cancel; the worker sees it at its next heartbeat' });
    });
    return toJobDto(fresh);
  }

  /** Everything the request gets wrong against the dataset and the configured limits, at once. */
  private check(dto: CreateTrainingJobDto, dataset: DatasetEntity): FieldError[] {
    const errors: FieldError[] = [];
    const limits = this.config;
    const columns = new Map(dataset.columns.map((c) => [c.name, c]));
    // Named once, and briefly: a request naming 1,000 missing columns must not copy the whole list 1,000 times.
    const listed = dataset.columns
      .slice(0, 20)
      .map((c) => c.name)
      .join(', ');
    const allNames = dataset.columns.length > 20 ? `${listed}, … (${dataset.columns.length} columns)` : listed;
    const names = () => allNames;

    const h = dto.hyperparameters;
    const maxCategories = h.maxCategories ?? limits.maxCategories;
    if (maxCategories > limits.maxCategories) {
      errors.push({
        field: 'hyperparameters.maxCategories',
        message: `at most ${limits.maxCategories} categories per feature (TRAINING_MAX_CATEGORIES)`,
      });
    }
    // The widest the encoded input can be: a number takes one column (two with an indicator), a
    // category one per kept value plus its missing and out-of-vocabulary slots.
    let width = 0;
    dto.features.forEach((name, i) => {
      const column = columns.get(name);
      if (!column) {
        errors.push({ field: `features[${i}]`, message: `column '${name}' is not in the dataset (columns: ${names()})` });
        return;
      }
      if (column.type === 'number') width += h.missingIndicator && (column.missing ?? 0) > 0 ? 2 : 1;
      else width += Math.min(column.type === 'boolean' ? 2 : (column.distinct ?? DISTINCT_CAP + 1), maxCategories) + 2;
    });
    if (width > limits.maxInputWidth) {
      errors.push({
        field: 'features',
        message: `the features encode to up to ${width} input columns; at most ${limits.maxInputWidth} (TRAINING_MAX_INPUT_WIDTH): drop features or lower hyperparameters.maxCategories`,
      });
    } else if (width * dataset.rows > limits.maxCells) {
      errors.push({
        field: 'datasetId',
        message: `${dataset.rows} rows × up to ${width} encoded input columns exceed ${limits.maxCells} cells (TRAINING_MAX_CELLS): train on fewer rows or features`,
      });
    }
    const target = columns.get(dto.target);
    if (!target) {
      errors.push({ field: 'target', message: `column '${dto.target}' is not in the dataset (columns: ${names()})` });
    } else if (dto.features.includes(dto.target)) {
      errors.push({ field: 'target', message: 'the target cannot also be a feature' });
    } else if (dto.task === 'regression') {
      if (target.type !== 'number')
        errors.push({ field: 'target', message: `regression needs a numeric target; '${dto.target}' is a ${target.type} column` });
    } else {
      if (target.type === 'number' && target.integer === false) {
        errors.push({
          field: 'target',
          message: `'${dto.target}' holds non-integer numbers; a classification target must be categorical (text, boolean or integer classes) — use task regression`,
        });
      } else if ((target.distinct ?? 0) < 2) {
        errors.push({ field: 'target', message: `'${dto.target}' has fewer than two classes` });
      } else if ((target.distinct ?? 0) > DISTINCT_CAP) {
        errors.push({ field: 'target', message: `'${dto.target}' has more than ${DISTINCT_CAP} classes` });
      }
    }

    const { hiddenLayers } = dto.architecture;
    if (hiddenLayers.length > limits.maxLayers) {
      errors.push({ field: 'architecture.hiddenLayers', message: `at most ${limits.maxLayers} hidden layers (TRAINING_MAX_LAYERS)` });
    }
    hiddenLayers.forEach((units, i) => {
      if (units > limits.maxUnits)
        errors.push({
          field: `architecture.hiddenLayers[${i}]`,
          message: `at most ${limits.maxUnits} units per layer (TRAINING_MAX_UNITS)`,
        });
    });
    if (h.epochs > limits.maxEpochs)
      errors.push({ field: 'hyperparameters.epochs', message: `at most ${limits.maxEpochs} epochs (TRAINING_MAX_EPOCHS)` });
    if ((h.batchSize ?? DEFAULTS.batchSize) > limits.maxBatchSize) {
      errors.push({ field: 'hyperparameters.batchSize', message: `at most ${limits.maxBatchSize} (TRAINING_MAX_BATCH_SIZE)` });
    }
    const valRows = Math.max(1, Math.round(dataset.rows * (h.validationSplit ?? DEFAULTS.validationSplit)));
    if (dataset.rows - valRows < 1) {
      errors.push({
        field: 'hyperparameters.validationSplit',
        message: `the dataset has ${dataset.rows} rows: too few to hold out ${valRows} for validation and still train`,
      });
    }
    return errors;
  }
}

/** The request with every default filled in and a seed drawn if none was given: what the trainer runs, and what is recorded. */
export function resolveSpec(dto: CreateTrainingJobDto, limits: Pick<TrainingConfig, 'maxCategories' | 'embeddingAbove'>): TrainingSpec {
  return {
    task: dto.task,
    features: [...dto.features],
    target: dto.target,
    architecture: {
      hiddenLayers: [...dto.architecture.hiddenLayers],
      activation: dto.architecture.activation ?? DEFAULTS.activation,
      dropout: dto.architecture.dropout ?? DEFAULTS.dropout,
    },
    hyperparameters: {
      epochs: dto.hyperparameters.epochs,
      batchSize: dto.hyperparameters.batchSize ?? DEFAULTS.batchSize,
      learningRate: dto.hyperparameters.learningRate ?? DEFAULTS.learningRate,
      validationSplit: dto.hyperparameters.validationSplit ?? DEFAULTS.validationSplit,
      seed: dto.hyperparameters.seed ?? randomInt(0, 2_147_483_647),
      ...resolveControls(dto.hyperparameters),
      // Recorded with the job, so that a configuration change does not alter a queued or retried run.
      missingIndicator: dto.hyperparameters.missingIndicator ?? false,
      maxCategories: dto.hyperparameters.maxCategories ?? limits.maxCategories,
      embeddingAbove: limits.embeddingAbove,
    },
  };
}
