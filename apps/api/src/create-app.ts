import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { createRootLogger } from '@app/common';
import type { ApiConfig } from './api-config';
import { AppModule } from './app.module';
import { LeanRoutes } from './http/lean-routes';
import { buildOpenApiDocument, serveOpenApi } from './openapi';
import { createAdapter, installFastifyStages, pipelineSettings, resolveGlobalEnhancers } from './request-pipeline';

export interface CreateAppOptions {
  /** Override the root logger (tests pass a silent one). */
  logger?: PinoInstance;
  /**
   * false: the inference routes run through Nest's router like every other route, instead of the
   * lean handlers (test/pipeline-parity.e2e-spec.ts compares the two). Default true.
   */
  leanRoutes?: boolean;
}

/**
 * Builds the fully configured application without listening: main.ts listens on it, e2e tests
 * drive it in-process, the OpenAPI export reads its routes. What runs on a request, and in which
 * order, is request-pipeline.ts; this only calls it.
 */
export async function createApp(config: ApiConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createRootLogger(config.log);
  const leanRoutes = options.leanRoutes ?? true;
  const settings = pipelineSettings(config);
  const adapter = createAdapter(config, logger, settings);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger, { leanRoutes }), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  // No app.enableShutdownHooks(): main.ts drains HTTP before closing (graceful-shutdown.ts).
  app.enableVersioning({ type: VersioningType.URI });
  await installFastifyStages(app, config, settings);

  const lean = leanRoutes ? new LeanRoutes(app) : undefined;
  lean?.install(app.getHttpAdapter().getInstance());
  serveOpenApi(app, buildOpenApiDocument(app));
  await app.init();
  resolveGlobalEnhancers(app);
  lean?.assertInstalled();
  return app;
}
