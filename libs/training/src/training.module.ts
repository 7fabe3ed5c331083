import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module, Provider } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '@app/audit';
import { type RedisConfig, RedisConnections } from '@app/common';
import { trainingConfig, type TrainingConfig } from './training.config';
import { ModelsModule } from '@app/models';
import { DatasetsRepository } from './datasets/datasets.repository';
import { DatasetsService } from './datasets/datasets.service';
import { TypeOrmDatasetsRepository } from './datasets/datasets.typeorm-repository';
import { DatasetEntity } from './datasets/entities/dataset.entity';
import { trainingEventBusProvider } from './events/training-event-bus.provider';
import { TrainerThreads } from './execution/trainer-threads';
import { DatasetsController } from './http/datasets.controller';
import { MultipartDatasetInterceptor } from './http/multipart-dataset.interceptor';
import { TrainingJobsController } from './http/training-jobs.controller';
import { TrainingJobVisibleGuard } from './http/training-job-visible.guard';
import { TrainingJobEntity } from './jobs/entities/training-job.entity';
import { TrainingJobEvents } from './jobs/training-job-events';
import { TrainingJobsRepository } from './jobs/training-jobs.repository';
import { TrainingJobsService } from './jobs/training-jobs.service';
import { TypeOrmTrainingJobsRepository } from './jobs/training-jobs.typeorm-repository';
import { TrainingRecovery } from './jobs/training-recovery';
import { TrainingMetrics } from './jobs/training-metrics';
import { TrainingRunner } from './jobs/training-runner';
import { ScheduledJobs, TypeormUnitOfWork, UnitOfWork } from '@app/database';
import { BullMqTrainingQueue } from './queue/bullmq-training-queue';
import { InProcessTrainingQueue } from './queue/in-process-training-queue';
import { TrainingJobProcessor } from './queue/training-job.processor';
import { TRAINING_QUEUE, TRAINING_QUEUE_NAME } from './queue/training-queue';

/** What every process that touches training needs: tables, registry, storage, runner, event bus, recovery. */
const core = [TypeOrmModule.forFeature([DatasetEntity, TrainingJobEntity]), AuditModule, ModelsModule];
/** The persistence ports and their TypeORM implementations: the only providers here that touch the database. */
const persistence: Provider[] = [
  { provide: TrainingJobsRepository, useClass: TypeOrmTrainingJobsRepository },
  { provide: DatasetsRepository, useClass: TypeOrmDatasetsRepository },
  { provide: UnitOfWork, useClass: TypeormUnitOfWork },
  ScheduledJobs,
];
const coreProviders: Provider[] = [
  ...persistence,
  DatasetsService,
  TrainerThreads,
  TrainingMetrics,
  TrainingRunner,
  TrainingRecovery,
  trainingEventBusProvider,
];

function bullMq(): DynamicModule[] {
  return [
    BullModule.forRootAsync({
      inject: [trainingConfig.token, RedisConnections],
      // One shared connection for the queue and the worker (BullMQ duplicates it for the worker's
      // blocking reads and closes those itself); RedisConnections quits it at shutdown, after BullMQ.
      useFactory: (config: TrainingConfig, redis: RedisConnections) => ({
        connection: redis.create('blocking', 'bullmq'),
        prefix: config.queuePrefix,
      }),
    }),
    BullModule.registerQueue({ name: TRAINING_QUEUE_NAME }),
  ];
}

/**
 * Datasets and training. The queue is chosen here, by configuration: with REDIS_URL, jobs go
 * through BullMQ and apps/worker runs them (`TrainingModule.forWorker`); without, the API runs
 * them itself in worker threads (in-process queue). Either way the same runner and trainer.
 */
@Module({})
export class TrainingModule {
  /** The API: routes, job creation, and (without Redis) execution. */
  static forRoot(redis: RedisConfig): DynamicModule {
    const queue: Provider[] = redis.url
      ? [{ provide: TRAINING_QUEUE, useClass: BullMqTrainingQueue }]
      : [InProcessTrainingQueue, { provide: TRAINING_QUEUE, useExisting: InProcessTrainingQueue }];
    return {
      module: TrainingModule,
      imports: [...core, ...(redis.url ? bullMq() : [])],
      controllers: [DatasetsController, TrainingJobsController],
      providers: [...coreProviders, ...queue, TrainingJobsService, TrainingJobEvents, MultipartDatasetInterceptor, TrainingJobVisibleGuard],
      exports: [TrainingRunner, TrainingRecovery, TRAINING_QUEUE, DatasetsService],
    };
  }

  /** apps/worker: the BullMQ consumer (REDIS_URL is required). */
  static forWorker(redis: RedisConfig): DynamicModule {
    if (!redis.url) {
      throw new Error('REDIS_URL is not set: without Redis, training jobs run inside the API and the worker has nothing to consume.');
    }
    return {
      module: TrainingModule,
      imports: [...core, ...bullMq()],
      providers: [...coreProviders, { provide: TRAINING_QUEUE, useClass: BullMqTrainingQueue }, TrainingJobProcessor],
      exports: [TrainingRunner, TrainingRecovery],
    };
  }
}
