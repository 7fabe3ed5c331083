import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger as PinoInstance } from 'pino';
import { AppConfig, ClusterModule, ConfigModule, LoggingModule, MetricsModule, ProblemDetailsFilter } from '@app/common';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { DatabaseModule } from '@app/database';
import { InferenceModule } from '@app/inference';
import { ModelsModule } from '@app/models';
import { ObservabilityModule } from '@app/observability';
import { PredictionsModule } from '@app/predictions';
import { TrainingModule } from '@app/training';
import { EngineReadiness } from './engine-readiness';
import { LEAN_ROUTE_INFO } from './http/lean-routes';

/** Composes the libraries; holds no logic of its own. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: PinoInstance): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger, LEAN_ROUTE_INFO),
        ClusterModule,
        MetricsModule,
        DatabaseModule.forRoot({ migrate: true }),
        ObservabilityModule,
        InferenceModule,
        AuditModule,
        AuthModule,
        ModelsModule,
        PredictionsModule,
        TrainingModule.forRoot(config),
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }, EngineReadiness],
    };
  }
}
