import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { CanActivate, ExceptionFilter, NestInterceptor, PipeTransform, Provider, Type, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE, ModulesContainer } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ScheduleModule } from '@nestjs/schedule';
import type { FastifyReply } from 'fastify';
import type { HelmetOptions } from 'helmet';
import type { Logger as PinoInstance } from 'pino';
import {
  assertJsonDepth,
  RequestContextHook,
  createValidationPipe,
  deprecationHeaders,
  ProblemDetailsFilter,
  requestIdFor,
  WithHeaders,
  WithHeadersInterceptor,
} from '@app/common';
import { AccessGuard } from '@app/auth';
import { installTfServingRoutes } from '@app/predictions';
import type { ApiConfig } from './api-config';
import { HttpInstrumentation, requestTraceFor, setRequestTrace, TRACEPARENT_HEADER } from '@app/observability';
import { clientErrorHandler, frameworkErrorHandler } from './http/http-errors';
import { CONSOLE_PATH } from './http/console-static';
import { installBinaryInferBodyParser } from './http/binary-infer-body';
import { installStreamingMultipart } from './http/streaming-multipart';
import {
  apiHeaderOptions,
  consoleHeaderOptions,
  documentHeaderOptions,
  installSecurityHeaders,
  securityHeaders,
} from './http/security-headers';

/*
 * WHAT RUNS ON EVERY REQUEST, IN ORDER. This file is the one place it is registered; create-app.ts
 * and app.module.ts only call into it.
 *
 *  Before any hook (Fastify adapter options, `createAdapter`)
 *   1. request id: the caller's X-Request-Id when well formed, else a UUID (shared with pino-http);
 *      trace: the caller's W3C `traceparent` when valid (else a new trace id) and a new span id for
 *      this request, on the Node request (`requestTrace`): logs, the Actor (usage events, training
 *      jobs), the outbox (webhooks) and `traceresponse` take it from there. A header parse and one or
 *      two random ids are all tracing costs a request when no OpenTelemetry endpoint is configured.
 *   2. refusals before routing (bad URL 400, over-long parameter 414; Node's parser: 431, 408, 400)
 *      answered as problem documents with the request id and the security headers
 *  Fastify hooks and parsers (`FASTIFY_STAGES`, installed in this order)
 *   3. JSON body parser: nesting capped at JSON_MAX_DEPTH before parsing (400), body limit (413)
 *   3b. application/octet-stream parser on the v2 infer routes only (binary tensor data; elsewhere 415)
 *   4. security headers (helmet, precomputed): the API set, the Swagger UI set under /docs, or the console's under /console
 *   5. multipart/form-data parser (uploads; each route reads its parts with its own limits; streaming
 *      only, so the plugin adds no hook to other requests)
 *   6. CORS (allowed origins from CORS_ORIGINS; preflights); not installed when CORS_ORIGINS is empty
 *   7. text/plain parser removed: such a body is a 415 problem
 *   8. instrumentation: X-Request-Id and `traceresponse` echoed; with OTEL_EXPORTER_OTLP_ENDPOINT, a
 *      SERVER span (the ids of step 1, under the caller's span); on response, the log line (with
 *      traceId and spanId), the duration histogram, the span's status and end
 *   9. API v1 deprecation headers on every /v1 answer (when API_V1_DEPRECATED_AT is set)
 *  10. request context (RequestContextHook, @app/common): pino-http binds the request id to log lines,
 *      and the trace scope (TraceScope) the trace to log lines and outbox events; skipped on the lean
 *      routes (`config.withoutRequestContext`, set by LeanRoutes). The context's stores are enabled
 *      only while such a request (or a training run, a webhook delivery) is in flight (ContextActivity):
 *      on Node 20 an enabled AsyncLocalStorage makes every promise of every request pay async_hooks.
 *      No Nest middleware: @fastify/middie is registered by Nest but has nothing to run.
 *  Nest's global enhancers (`GLOBAL_ENHANCERS`, app.module.ts provides them as APP_*), in the order Nest runs them
 *  11. guard: AccessGuard: authentication, rate limit, @Public/@Roles (deny by default)
 *  12. pipe: the ValidationPipe over @Param/@Query/@Body DTOs (unknown fields refused)
 *  13. interceptor: WithHeaders results put their headers on the reply
 *      → the controller method
 *  14. filter: ProblemDetailsFilter: every error leaves as application/problem+json
 *  Besides requests: `ScheduleModule.forRoot()` (`SCHEDULES`): the scheduler registry of the
 *  interval jobs (`ScheduledJobs`, @app/database: sunset sweep, training recovery, payload purge,
 *  usage and API key flushes).
 *
 * The inference routes (http/lean-routes.ts) skip Nest's router for speed but are generated from
 * GLOBAL_ENHANCERS: every enhancer states its `lean` form (the type requires it), and the lean
 * handler applies them in the same order. Guards and the filter run as they are (the same
 * instance, an ExecutionContext for the same controller method); a pipe or interceptor gives a
 * cheap equivalent that test/pipeline-parity.e2e-spec.ts holds to the Nest path. At start-up,
 * `resolveGlobalEnhancers` fails if any module registers an APP_GUARD/APP_PIPE/APP_INTERCEPTOR/
 * APP_FILTER of its own, so nothing can run on the Nest path that the lean path does not know of.
 */

// ---------------------------------------------------------------------------------------------
// 1–2: the Fastify adapter's options

/** The values both the adapter and the hooks derive from config. */
export interface PipelineSettings {
  apiHeaders: Readonly<HelmetOptions>;
  hsts: HelmetOptions['strictTransportSecurity'];
}

export function pipelineSettings(config: ApiConfig): PipelineSettings {
  // HSTS only means something over HTTPS; behind a TLS-terminating proxy the proxy sets it.
  const hsts = config.http.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false;
  return { hsts, apiHeaders: apiHeaderOptions(hsts) };
}

export function createAdapter(config: ApiConfig, logger: PinoInstance, settings: PipelineSettings): FastifyAdapter {
  const tls = config.http.tls;
  const apiHeaders = securityHeaders(settings.apiHeaders);
  const adapter = new FastifyAdapter({
    ...(tls ? { https: { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } } : {}),
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    // Idle keep-alive sockets are closed at shutdown; in-flight requests are let finish.
    forceCloseConnections: 'idle',
    // 1. request id and trace
    genReqId: (req: IncomingMessage) => {
      const id = requestIdFor(req);
      // Shared with pino-http, which reads the raw request, so every log line has the same id.
      (req as IncomingMessage & { id?: string }).id = id;
      // Before any hook or middleware: all of them see the request's final trace and span ids.
      setRequestTrace(req, requestTraceFor(req.headers[TRACEPARENT_HEADER]));
      return id;
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // 2. Refusals that happen before any hook (router: 414, bad URL; Node's parser: 431, 400) are
    // problem documents with a request id and the security headers too.
    frameworkErrors: frameworkErrorHandler(apiHeaders),
    clientErrorHandler: clientErrorHandler(apiHeaders, logger),
  });
  // Before any route exists: TF Serving's `{name}:predict` paths need a literal colon after a parameter.
  installTfServingRoutes(adapter.getInstance());
  return adapter;
}

// ---------------------------------------------------------------------------------------------
// 3–10: Fastify hooks and parsers

interface FastifyStage {
  name: string;
  install(app: NestFastifyApplication, config: ApiConfig, settings: PipelineSettings): void | Promise<void>;
}

export const FASTIFY_STAGES: readonly FastifyStage[] = [
  {
    name: 'json body parser (depth cap)',
    // JSON bodies: nesting is capped before parsing (one cheap pass over the bytes), so no recursive
    // walk after it (class-transformer, the ValidationPipe, TypeORM) can overflow the stack: 400.
    install(app, config) {
      const fastifyJson = app.getHttpAdapter().getInstance().getDefaultJsonParser('error', 'error');
      app.useBodyParser<Server>('application/json', { bodyLimit: config.http.bodyLimitBytes }, (request, body, done) => {
        try {
          assertJsonDepth(body, config.http.jsonMaxDepth);
        } catch (error) {
          done(error as Error, undefined);
          return;
        }
        const text = body.toString('utf8');
        // Fastify's parser (secure-json-parse) runs two regular expressions over every body to find
        // `__proto__` / `constructor` keys, escaped or not: on a predict of 256 numbers a row, a sixth of
        // the parse. A body with neither word and no escape cannot hold one and is parsed as is;
        // anything else (and every error, for the same 400) takes Fastify's path.
        if (text.length > 0 && !text.includes('\\') && !text.includes('__proto__') && !text.includes('constructor')) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            fastifyJson(request, text, done);
            return;
          }
          done(null, parsed);
          return;
        }
        fastifyJson(request, text, done);
      });
    },
  },
  {
    name: 'octet-stream body parser (v2 binary tensor data)',
    install(app, config) {
      installBinaryInferBodyParser(app, config.http);
    },
  },
  {
    name: 'security headers',
    install(app, config, { apiHeaders, hsts }) {
      installSecurityHeaders(app.getHttpAdapter().getInstance(), {
        api: apiHeaders,
        documentsPrefix: '/docs',
        // Swagger UI (the only HTML we serve); upgrade-insecure-requests only over TLS.
        documents: documentHeaderOptions({ tls: Boolean(config.http.tls), hsts }),
        // The web console: its own files only (no unsafe-inline).
        console: { prefix: CONSOLE_PATH, options: consoleHeaderOptions({ tls: Boolean(config.http.tls), hsts }) },
      });
    },
  },
  {
    name: 'multipart parser',
    // multipart/form-data (model artifacts, datasets). Each upload route reads its parts with its own
    // limits (request.parts({limits})); these defaults hold for any other use. Streaming only: the
    // plugin's disk-mode hooks would run on every request (streaming-multipart.ts).
    async install(app, config) {
      await installStreamingMultipart(app.getHttpAdapter().getInstance(), {
        limits: { fileSize: config.http.bodyLimitBytes, files: 1, fields: 10, parts: 20 },
        throwFileSizeLimit: true,
      });
    },
  },
  {
    name: 'cors',
    install(app, config) {
      // No allowed origin (the default): no CORS headers and no preflight, which is what the plugin
      // answers with `origin: false` too, but it would still copy its options on every request.
      if (config.http.corsOrigins.length === 0) return;
      app.enableCors({
        origin: [...config.http.corsOrigins],
        // Every method and request header the API uses (a browser console preflights all but simple GETs).
        methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        allowedHeaders: [
          'Authorization',
          'Content-Type',
          'X-API-Key',
          'If-Match',
          'If-None-Match',
          'X-Request-Id',
          // W3C Trace Context: a browser app's trace continues here.
          'traceparent',
          'tracestate',
          'Last-Event-ID',
          // The binary tensor data extension's request framing.
          'Inference-Header-Content-Length',
        ],
        exposedHeaders: [
          'X-Request-Id',
          'traceresponse',
          'X-Model-Version',
          'X-Cache',
          'Server-Timing',
          'ETag',
          'Location',
          'Deprecation',
          'Sunset',
          'Link',
          'Retry-After',
          'WWW-Authenticate',
          'Content-Disposition',
          'Inference-Header-Content-Length',
        ],
        maxAge: 600,
      });
    },
  },
  {
    name: 'no text/plain parser',
    // The API takes JSON (and multipart on upload routes): a text/plain body is an unsupported media
    // type (415 problem), not a string for the validation to puzzle over.
    install(app) {
      app.getHttpAdapter().getInstance().removeContentTypeParser('text/plain');
    },
  },
  {
    name: 'instrumentation (request id echo, log line, duration histogram)',
    install(app) {
      app.get(HttpInstrumentation).install(app.getHttpAdapter().getInstance());
    },
  },
  {
    name: 'api v1 deprecation headers',
    install(app, config) {
      const v1Deprecation = config.http.apiV1Deprecation;
      if (!v1Deprecation) return;
      // API v1 as a whole is on its way out: every /v1 answer says so (RFC 9745 / RFC 8594).
      const headers = deprecationHeaders({ deprecatedAt: v1Deprecation.deprecatedAt, sunsetAt: v1Deprecation.sunsetAt });
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRequest', (request, reply, done) => {
          if (request.url.startsWith('/v1/')) void reply.headers(headers);
          done();
        });
    },
  },
  {
    name: 'request context (request-bound logger, trace scope)',
    install(app) {
      app.getHttpAdapter().getInstance().addHook('onRequest', app.get(RequestContextHook).onRequest);
    },
  },
];

/** Installs 3–10 in order (before app.init()). */
export async function installFastifyStages(app: NestFastifyApplication, config: ApiConfig, settings: PipelineSettings): Promise<void> {
  for (const stage of FASTIFY_STAGES) await stage.install(app, config, settings);
}

// ---------------------------------------------------------------------------------------------
// 11–14: Nest's global enhancers, and their lean forms

/** How the lean inference handler applies a pipe to the path parameters. */
export interface LeanParamsPipe {
  /**
   * `cheap`: the route's own check of the DTO's rules (undefined when they fail); `metatype`: the
   * DTO. Returns the transformed params, or throws the error the pipe would throw.
   */
  (
    pipe: PipeTransform,
    raw: Record<string, string>,
    cheap: Record<string, string | number> | undefined,
    metatype: Type<object>,
  ): Promise<unknown> | unknown;
}

/** How the lean inference handler applies an interceptor to the controller method's result. */
export interface LeanResultInterceptor {
  (result: unknown, reply: FastifyReply): unknown;
}

export type GlobalEnhancer =
  | { kind: 'guard'; name: string; token: Type<CanActivate>; provider: Provider; lean: 'as-is' }
  | { kind: 'pipe'; name: string; token: Type<PipeTransform>; provider: Provider; lean: LeanParamsPipe }
  | { kind: 'interceptor'; name: string; token: Type<NestInterceptor>; provider: Provider; lean: LeanResultInterceptor }
  | { kind: 'filter'; name: string; token: Type<ExceptionFilter>; provider: Provider; lean: 'as-is' };

/** The pipe's class, for matching what Nest registered. */
const ValidationPipeClass = createValidationPipe().constructor as Type<ValidationPipe>;

export const GLOBAL_ENHANCERS: readonly GlobalEnhancer[] = [
  // 11. Deny by default: authentication, rate limit, roles. AuthModule provides and exports it.
  { kind: 'guard', name: 'AccessGuard', token: AccessGuard, provider: { provide: APP_GUARD, useExisting: AccessGuard }, lean: 'as-is' },
  // 12. Unknown fields refused, types transformed. Custom parameter decorators (@InferenceBody,
  // @CurrentActor) are not validated by it (validateCustomDecorators is off), on either path.
  {
    kind: 'pipe',
    name: 'ValidationPipe',
    token: ValidationPipeClass,
    provider: { provide: APP_PIPE, useFactory: createValidationPipe },
    // Lean: the route's cheap check of the same rules; only a failure runs the pipe, so the error
    // is the very same.
    lean: (pipe, raw, cheap, metatype) => cheap ?? pipe.transform({ ...raw }, { type: 'param', metatype }),
  },
  // 13. Headers carried by a service result (X-Model-Version, Deprecation, X-Cache) onto the reply.
  {
    kind: 'interceptor',
    name: 'WithHeadersInterceptor',
    token: WithHeadersInterceptor,
    provider: { provide: APP_INTERCEPTOR, useClass: WithHeadersInterceptor },
    lean: (result, reply) => {
      if (!(result instanceof WithHeaders)) return result;
      void reply.headers(result.headers);
      return result.body;
    },
  },
  // 14. The one error path.
  {
    kind: 'filter',
    name: 'ProblemDetailsFilter',
    token: ProblemDetailsFilter,
    provider: { provide: APP_FILTER, useClass: ProblemDetailsFilter },
    lean: 'as-is',
  },
];

/** For app.module.ts: the APP_* providers, in the list's order. */
export const GLOBAL_ENHANCER_PROVIDERS: Provider[] = GLOBAL_ENHANCERS.map((e) => e.provider);

/** Besides requests: the scheduler behind the interval jobs, registered once for the app. */
export const SCHEDULES = [ScheduleModule.forRoot()];

const APP_TOKENS: Record<string, GlobalEnhancer['kind']> = {
  [APP_GUARD]: 'guard',
  [APP_PIPE]: 'pipe',
  [APP_INTERCEPTOR]: 'interceptor',
  [APP_FILTER]: 'filter',
};

/**
 * Nest's instances of GLOBAL_ENHANCERS, in the list's order. Fails (at start-up: create-app.ts calls
 * it, and so do the lean routes) when any module registers an APP_GUARD/APP_PIPE/APP_INTERCEPTOR/
 * APP_FILTER that is not in the list, or when one of the list is missing: a lib cannot add a global
 * enhancer that would silently run on the Nest path only.
 */
export function resolveGlobalEnhancers(app: NestFastifyApplication): { enhancer: GlobalEnhancer; instance: object }[] {
  const resolved = new Map<GlobalEnhancer, object>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const [token, wrapper] of module.providers) {
      if (typeof token !== 'string') continue;
      const kind = Object.entries(APP_TOKENS).find(([prefix]) => token.startsWith(`${prefix} `))?.[1];
      if (!kind) continue;
      const instance = wrapper.instance as object | undefined;
      const enhancer = GLOBAL_ENHANCERS.find((e) => e.kind === kind && instance instanceof e.token);
      if (!enhancer || !instance || resolved.has(enhancer)) {
        throw new Error(
          `Global ${kind} ${instance?.constructor?.name ?? token} is registered in ${module.metatype?.name}: global enhancers are ` +
            'registered only by apps/api/src/request-pipeline.ts (GLOBAL_ENHANCERS), once each, with their lean form.',
        );
      }
      resolved.set(enhancer, instance);
    }
  }
  const missing = GLOBAL_ENHANCERS.filter((e) => !resolved.has(e)).map((e) => e.name);
  if (missing.length) throw new Error(`Global enhancers of request-pipeline.ts not registered by the app: ${missing.join(', ')}`);
  return GLOBAL_ENHANCERS.map((enhancer) => ({ enhancer, instance: resolved.get(enhancer)! }));
}
