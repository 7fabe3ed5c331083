import { DynamicModule, Global, Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';

/** A route as Nest's middleware configuration names it (path, method, version). */
export type RouteInfo = Exclude<NonNullable<Params['exclude']>[number], string>;
import pino, { DestinationStream, Logger as PinoInstance } from 'pino';
import type { IncomingMessage } from 'node:http';
import type { LogConfig } from './log.config';
import { requestIdFor } from '../http/request-id';
import { NestLogger } from './nest-logger';
import { traceLogFields, TraceScopeMiddleware } from './trace-scope';

/** Anything that could carry a secret is censored wherever it appears in a log object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.clientSecret',
  '*.client_secret',
  '*.apiKey',
  '*.key',
  '*.secret',
];

/** `destination`: where the lines go instead of stdout (tests capture them). */
export function createRootLogger(config: LogConfig, destination?: DestinationStream): PinoInstance {
  const options: pino.LoggerOptions = {
    level: config.level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    base: { service: 'modelgate' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // A line written while serving a request, running a training job or delivering a webhook
    // names its trace (traceId, spanId).
    mixin: traceLogFields,
    ...(config.pretty && !destination
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');
const WITHOUT_REQUEST_CONTEXT = Symbol('WITHOUT_REQUEST_CONTEXT');
/** Every route, in path-to-regexp v8 syntax (nestjs-pino 4's default is the legacy `*`). */
const EVERY_ROUTE = { path: '{*splat}', method: RequestMethod.ALL };

/**
 * Structured JSON logs through nestjs-pino. The per-request line is written by the HTTP
 * instrumentation (it knows the route template and the caller), so pino-http's own line is off;
 * pino-http still binds the request id to every log line written while serving the request, and the
 * trace scope (TraceScopeMiddleware, read by the root logger's mixin) its trace.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  constructor(@Inject(WITHOUT_REQUEST_CONTEXT) private readonly withoutRequestContext: RouteInfo[]) {}

  /** A request on Nest's router runs in its trace's scope: every line it logs names the trace. */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(TraceScopeMiddleware)
      .exclude(...this.withoutRequestContext)
      .forRoutes(EVERY_ROUTE);
  }

  /**
   * `withoutRequestContext`: routes that skip the request-bound logger (pino-http's middleware, a
   * child logger per request) and the trace scope: the hot inference routes, whose own log lines
   * carry the request id and the trace.
   */
  static forRoot(logger: PinoInstance, withoutRequestContext: RouteInfo[] = []): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          forRoutes: [EVERY_ROUTE],
          ...(withoutRequestContext.length ? { exclude: withoutRequestContext } : {}),
          pinoHttp: {
            logger,
            autoLogging: false,
            quietReqLogger: true,
            genReqId: (req: IncomingMessage) => (typeof req.id === 'string' ? req.id : requestIdFor(req)),
          },
        }),
      ],
      providers: [
        { provide: ROOT_LOGGER, useValue: logger },
        { provide: WITHOUT_REQUEST_CONTEXT, useValue: withoutRequestContext },
        NestLogger,
      ],
      exports: [LoggerModule, ROOT_LOGGER, NestLogger],
    };
  }
}
