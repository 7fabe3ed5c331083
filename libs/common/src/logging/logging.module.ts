import { DynamicModule, Global, Inject, Injectable, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { storage, Store } from 'nestjs-pino/storage';
import pino, { DestinationStream, Logger as PinoInstance } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogConfig } from './log.config';
import { requestIdFor } from '../http/request-id';
import { NestLogger } from './nest-logger';
import { requestTraceOf, traceLogFields, TraceScope } from './trace-scope';
import { ContextActivity } from './context-activity';

ContextActivity.track(storage);

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

/** The parts of a Fastify request and reply the request context reads (libs stay free of Fastify's types here). */
interface HookRequest {
  raw: IncomingMessage;
  routeOptions?: { config?: unknown };
}
type HookDone = (error?: Error) => void;

/** A route Fastify serves without the request context (its `config.withoutRequestContext`): the hot inference routes. */
export const WITHOUT_REQUEST_CONTEXT = 'withoutRequestContext';

/**
 * The request context of a request: pino-http's request-bound logger (what nestjs-pino's PinoLogger
 * reads) and the trace scope (TraceScope, read by the root logger's mixin and the outbox), so every
 * line logged while serving it names the request id and the trace.
 *
 * Why a Fastify hook and not Nest middleware: Nest runs middleware through @fastify/middie, whose
 * engine and Nest's route-exclusion check cost every request, the excluded ones included, once per
 * middleware (a CPU profile of `npm run bench` put them near a tenth of the main thread on a one-row
 * predict). With no Nest middleware, middie has nothing to run; this hook skips the routes flagged
 * `withoutRequestContext` with one property read.
 */
@Injectable()
export class RequestContextHook {
  private readonly httpLogger: HttpLogger<IncomingMessage, ServerResponse>;

  constructor(@Inject(ROOT_LOGGER) logger: PinoInstance) {
    this.httpLogger = pinoHttp({
      logger,
      autoLogging: false,
      quietReqLogger: true,
      genReqId: (req: IncomingMessage) => (typeof req.id === 'string' ? req.id : requestIdFor(req)),
    });
  }

  /** An `onRequest` hook: the rest of the request runs in its context (as nestjs-pino's middleware would run it). */
  readonly onRequest = (request: HookRequest, reply: { raw: ServerResponse }, done: HookDone): void => {
    const config = request.routeOptions?.config as Record<string, unknown> | undefined;
    if (config?.[WITHOUT_REQUEST_CONTEXT] === true) return done();
    const req = request.raw as IncomingMessage & { allLogs?: PinoInstance[] };
    // The stores stay enabled until the response closes (ContextActivity: off while none is in flight).
    reply.raw.once('close', ContextActivity.begin());
    this.httpLogger(req, reply.raw);
    const store = new Store(req.allLogs?.at(-1) ?? req.log);
    const ids = requestTraceOf(req);
    storage.run(store, ids ? () => TraceScope.run(ids, done) : done);
  };
}

/**
 * Structured JSON logs through nestjs-pino. The per-request line is written by the HTTP
 * instrumentation (it knows the route template and the caller), so pino-http's own line is off.
 * The API binds each request's logger and trace with RequestContextHook (request pipeline).
 */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: PinoInstance): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        // No routes: nestjs-pino's middleware is replaced by RequestContextHook; the module still
        // provides PinoLogger / Logger over the root logger.
        LoggerModule.forRoot({ forRoutes: [], pinoHttp: { logger, autoLogging: false } }),
      ],
      providers: [{ provide: ROOT_LOGGER, useValue: logger }, NestLogger, RequestContextHook],
      exports: [LoggerModule, ROOT_LOGGER, NestLogger, RequestContextHook],
    };
  }
}
