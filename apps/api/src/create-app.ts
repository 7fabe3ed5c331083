import multipart from '@fastify/multipart';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { AppConfig, assertJsonDepth, createRootLogger, createValidationPipe, deprecationHeaders, requestIdFor } from '@app/common';
import { HttpInstrumentation } from '@app/observability';
import { AppModule } from './app.module';
import { clientErrorHandler, frameworkErrorHandler } from './http/http-errors';
import { apiHeaderOptions, installSecurityHeaders, securityHeaders } from './http/security-headers';
import { LeanRoutes } from './http/lean-routes';
import { buildOpenApiDocument, serveOpenApi } from './openapi';

export interface CreateAppOptions {
  /** Override the root logger (tests pass a silent one). */
  logger?: PinoInstance;
}

/**
 * Builds the fully configured application without listening: main.ts listens on it, e2e tests
 * drive it in-process, the OpenAPI export reads its routes.
 */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const logger = options.logger ?? createRootLogger(config);
  const tls = config.http.tls;
  // HSTS only means something over HTTPS; behind a TLS-terminating proxy the proxy sets it.
  const hsts = tls ? { maxAge: 31_536_000, includeSubDomains: true } : false;
  const apiHeaders = securityHeaders(apiHeaderOptions(hsts));
  const adapter = new FastifyAdapter({
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Idle keep-alive sockets are closed at shutdown; in-flight requests are let finish.
    forceCloseConnections: 'idle',
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      // Shared with pino-http, which reads the raw request, so every log line has the same id.
      (req as IncomingMessage & { id?: string }).id = id;
      return id;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Refusals that happen before any hook (router: 414, bad URL; Node's parser: 431, 400) are
    // problem documents with a request id and the security headers too.
    frameworkErrors: frameworkErrorHandler(apiHeaders),
    clientErrorHandler: clientErrorHandler(apiHeaders, logger),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  // No app.enableShutdownHooks(): main.ts drains HTTP before closing (graceful-shutdown.ts).
  app.enableVersioning({ type: VersioningType.URI });
  app.useGlobalPipes(createValidationPipe());
  // JSON bodies: nesting is capped before parsing (one cheap pass over the bytes), so no recursive
  // walk after it (class-transformer, the ValidationPipe, TypeORM) can overflow the stack: 400.
  const fastifyJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
  app.useBodyParser<Server>('application/json', { bodyLimit: config.http.bodyLimitBytes }, (request, body, done) => {
    try {
      assertJsonDepth(body, config.http.jsonMaxDepth);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    fastifyJson(request, body.toString('utf8'), done);
  });
  installSecurityHeaders(app.getHttpAdapter().getInstance(), {
    api: apiHeaderOptions(hsts),
    documentsPrefix: '/docs',
    documents: {
      // Swagger UI (the only HTML we serve) loads its own scripts and inline styles from /docs.
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          frameAncestors: ["'none'"],
        },
      },
      hsts,
      crossOriginResourcePolicy: { policy: 'same-site' },
    },
  });
  // multipart/form-data (model artifacts, datasets). Each upload route reads its parts with its own
  // limits (request.parts({limits})); these defaults hold for any other use.
  await app.register(multipart, {
    limits: { fileSize: config.http.bodyLimitBytes, files: 1, fields: 10, parts: 20 },
    throwFileSizeLimit: true,
  });
  app.enableCors({
    origin: config.http.corsOrigins.length ? [...config.http.corsOrigins] : false,
    // Every method and request header the API uses (a browser console preflights all but simple GETs).
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-API-Key', 'If-Match', 'If-None-Match', 'X-Request-Id', 'Last-Event-ID'],
    exposedHeaders: [
      'X-Request-Id',
      'X-Model-Version',
      'X-Cache',
      'ETag',
      'Location',
      'Deprecation',
      'Sunset',
      'Link',
      'Retry-After',
      'WWW-Authenticate',
      'Content-Disposition',
    ],
    maxAge: 600,
  });

  // Nest routes Fastify's own errors (bad JSON, body too large, bad media type) through the global
  // ProblemDetailsFilter too, so there is one error path.
  const fastify = app.getHttpAdapter().getInstance();
  // The API takes JSON (and multipart on upload routes): a text/plain body is an unsupported media
  // type (415 problem), not a string for the validation to puzzle over.
  fastify.removeContentTypeParser('text/plain');
  app.get(HttpInstrumentation).install(fastify);
  const v1Deprecation = config.apiV1Deprecation;
  if (v1Deprecation) {
    // API v1 as a whole is on its way out: every /v1 answer says so (RFC 9745 / RFC 8594).
    const headers = deprecationHeaders({ deprecatedAt: v1Deprecation.deprecatedAt, sunsetAt: v1Deprecation.sunsetAt });
    fastify.addHook('onRequest', async (request, reply) => {
      if (request.url.startsWith('/v1/')) void reply.headers(headers);
    });
  }

  const leanRoutes = new LeanRoutes(app, createValidationPipe());
  leanRoutes.install(fastify);
  serveOpenApi(app, buildOpenApiDocument(app));
  await app.init();
  leanRoutes.assertInstalled();
  return app;
}
