import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { Logger as PinoInstance } from 'pino';
import { ClusterModule, ConfigModule, LoggingModule, MetricsModule } from '@app/common';
import { DatabaseModule } from '@app/database';
import { TracingModule } from '@app/observability';
import { TrainingModule } from '@app/training';
import { WORKER_CONFIG_SLICES, type WorkerConfig } from './worker-config';

/** The background process: composes the libraries whose work runs off the API's event loop. */
@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, logger: PinoInstance): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot(WORKER_CONFIG_SLICES, config),
        LoggingModule.forRoot(logger),
        TracingModule.forRoot({ serviceName: 'modelgate-worker' }),
        ClusterModule,
        MetricsModule,
        DatabaseModule.forRoot({ migrate: false }),
        // The scheduler registry of interval jobs (ScheduledJobs: training recovery).
        ScheduleModule.forRoot(),
        TrainingModule.forWorker(config.redis),
      ],
    };
  }
}
