import { DynamicModule, Module } from '@nestjs/common';
import type { Logger as PinoInstance } from 'pino';
import { ClusterModule, ConfigModule, LoggingModule, MetricsModule } from '@app/common';
import { AuditModule } from '@app/audit';
import { AuthModule } from '@app/auth';
import { DatabaseModule } from '@app/database';
import { InferenceModule } from '@app/inference';
import { ModelsModule } from '@app/models';
import { ObservabilityModule, TracingModule } from '@app/observability';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { PredictionsModule } from '@app/predictions';
import { TrainingModule } from '@app/training';
import { WebhooksModule } from '@app/webhooks';
import { MonitoringModule } from '@app/monitoring';
import { API_CONFIG_SLICES, type ApiConfig } from './api-config';
import { EngineReadiness } from './engine-readiness';
import { RootRedirectController } from './http/root-redirect.controller';
import { GLOBAL_ENHANCER_PROVIDERS, SCHEDULES } from './request-pipeline';

export interface AppModuleOptions {
  /** Spans go here instead of OTEL_EXPORTER_OTLP_ENDPOINT's collector (tests: an in-memory exporter). */
  traceExporter?: SpanExporter;
}

/** Composes the libraries; holds no logic of its own. The global enhancers: request-pipeline.ts. */
@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, logger: PinoInstance, options: AppModuleOptions = {}): DynamicModule {
    const training = TrainingModule.forRoot(config.redis);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(API_CONFIG_SLICES, config),
        // Request pipeline, step 10: RequestContextHook (the request's logger and trace scope).
        LoggingModule.forRoot(logger),
        TracingModule.forRoot({ serviceName: 'modelgate-api', exporter: options.traceExporter }),
        ...SCHEDULES,
        ClusterModule,
        MetricsModule,
        DatabaseModule.forRoot({ migrate: true }),
        ObservabilityModule,
        InferenceModule,
        AuditModule,
        AuthModule,
        ModelsModule,
        PredictionsModule,
        training,
        MonitoringModule.forRoot(training),
        WebhooksModule.forRoot(config.redis),
      ],
      controllers: [RootRedirectController],
      providers: [...GLOBAL_ENHANCER_PROVIDERS, EngineReadiness],
    };
  }
}
