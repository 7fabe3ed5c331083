import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger as PinoInstance } from 'pino';
import { createRootLogger, NestLogger } from '@app/common';
import type { ApiConfig } from './api-config';
import { AppModule } from './app.module';
import { serveConsole } from './http/console-static';
import { LeanRoutes } from './http/lean-routes';
import { buildOpenApiDocument, DOCS_PATH, serveOpenApi } from './openapi';
import { createAdapter, installFastifyStages, pipelineSettings, resolveGlobalEnhancers } from './request-pipeline';

export interface CreateAppOptions {
  /** Override the root logger (tests pass a silent one). */
  logger?: PinoInstance;
  /**
   * false: the inference routes run through Nest's router like every other route, instead of the
   * lean handlers (test/pipeline-parity.e2e-spec.ts compares the two). Default true.
   */
  leanRoutes?: boolean;
  /** Spans go here instead of OTEL_EXPORTER_OTLP_ENDPOINT's collector (tests: an in-memory exporter). */
  traceExporter?: SpanExporter;
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
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, logger, { traceExporter: options.traceExporter }),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(app.get(NestLogger));
  // No app.enableShutdownHooks(): main.ts drains HTTP before closing (graceful-shutdown.ts).
  app.enableVersioning({ type: VersioningType.URI });
  await installFastifyStages(app, config, settings);

  const lean = leanRoutes ? new LeanRoutes(app) : undefined;
  lean?.install(app.getHttpAdapter().getInstance());
  serveOpenApi(app, buildOpenApiDocument(app));
  await serveConsole(app, config.http.consoleDir);
  await app.init();
  resolveGlobalEnhancers(app);
  lean?.assertInstalled();
  return app;
}

/**
 * The address a person types to reach a server listening on `host`: a wildcard bind (0.0.0.0, ::)
 * is reachable as localhost; an IPv6 literal is bracketed.
 */
export function serverUrl(host: string, port: number, tls: boolean): string {
  const wildcard = host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
  const name = wildcard ? 'localhost' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `${tls ? 'https' : 'http'}://${name}:${port}`;
}

/**
 * Listens on HOST:PORT and says where: one info line with the URL and the API docs (the port is
 * the one bound, so PORT=0 names the real one). Returns the URL.
 */
export async function listen(app: NestFastifyApplication, config: ApiConfig, logger: PinoInstance): Promise<string> {
  await app.listen({ port: config.http.port, host: config.http.host });
  const bound = app.getHttpServer().address() as AddressInfo | string | null;
  const port = bound && typeof bound === 'object' ? bound.port : config.http.port;
  const url = serverUrl(config.http.host, port, Boolean(config.http.tls));
  logger.info({ url, docs: `${url}${DOCS_PATH}` }, `ModelGate is listening on ${url} (API docs: ${url}${DOCS_PATH})`);
  return url;
}
