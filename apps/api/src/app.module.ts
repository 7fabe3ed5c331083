import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger as PinoInstance } from 'pino';
import { AppConfig, ConfigModule, LoggingModule, MetricsModule, ProblemDetailsFilter } from '@app/common';
import { DatabaseModule } from '@app/database';
import { ObservabilityModule } from '@app/observability';

/** Composes the libraries; holds no logic of its own. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: PinoInstance): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        MetricsModule,
        DatabaseModule.forRoot({ migrate: true }),
        ObservabilityModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }],
    };
  }
}
