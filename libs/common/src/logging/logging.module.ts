import { DynamicModule, Global, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';

/** A route as Nest's middleware configuration names it (path, method, version). */
export type RouteInfo = Exclude<NonNullable<Params['exclude']>[number], string>;
import pino, { Logger as PinoInstance } from 'pino';
import type { IncomingMessage } from 'node:http';
import type { LogConfig } from './log.config';
import { requestIdFor } from '../http/request-id';
import { NestLogger } from './nest-logger';

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

export function createRootLogger(config: LogConfig): PinoInstance {
  return pino({
    level: config.level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    base: { service: 'modelgate' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(config.pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } } } : {}),
  });
}

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Structured JSON logs through nestjs-pino. The per-request line is written by the HTTP
 * instrumentation (it knows the route template and the caller), so pino-http's own line is off;
 * pino-http still binds the request id to every log line written while serving the request.
 */
@Global()
@Module({})
export class LoggingModule {
  /**
   * `withoutRequestContext`: routes that skip the request-bound logger (pino-http's middleware, a
   * child logger per request): the hot inference routes, whose own log lines carry the request id.
   */
  static forRoot(logger: PinoInstance, withoutRequestContext: RouteInfo[] = []): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          // Every route, in path-to-regexp v8 syntax (nestjs-pino 4's default is the legacy `*`).
          forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
          ...(withoutRequestContext.length ? { exclude: withoutRequestContext } : {}),
          pinoHttp: {
            logger,
            autoLogging: false,
            quietReqLogger: true,
            genReqId: (req: IncomingMessage) => (typeof req.id === 'string' ? req.id : requestIdFor(req)),
          },
        }),
      ],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, NestLogger],
      exports: [LoggerModule, ROOT_LOGGER, NestLogger],
    };
  }
}
