import { Inject, Injectable } from '@nestjs/common';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger as PinoInstance } from 'pino';
import { Histogram } from 'prom-client';
import { Caller, MetricsRegistry, REQUEST_ID_HEADER, ROOT_LOGGER } from '@app/common';
import { formatTraceparent, requestTrace, TRACERESPONSE_HEADER } from '../tracing/trace-context';
import { type Span, SpanKind, SpanStatusCode, TracingService } from '../tracing/tracing.service';

/**
 * Per-request log line, duration histogram, X-Request-Id echo and trace (`traceresponse`; with
 * OpenTelemetry on, a SERVER span), as Fastify hooks so they also cover requests that never reach a
 * controller (404s, body parser errors, rate limits), on the lean inference routes as on Nest's.
 */
@Injectable()
export class HttpInstrumentation {
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(
    registry: MetricsRegistry,
    @Inject(ROOT_LOGGER) private readonly logger: PinoInstance,
    private readonly tracing: TracingService,
  ) {
    this.duration = new Histogram({
      name: 'modelgate_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  install(fastify: FastifyInstance): void {
    if (this.tracing.enabled) this.installSpans(fastify);
    // Callback hooks, not async ones: an async hook costs a promise per request, and every promise
    // runs the async_hooks that AsyncLocalStorage (the request context) enables process-wide.
    fastify.addHook('onRequest', (request, reply, done) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
      // W3C Trace Context Level 2: the caller learns our span (and the trace, when it sent none).
      const trace = requestTrace(request.raw);
      if (trace) void reply.header(TRACERESPONSE_HEADER, formatTraceparent(trace.traceId, trace.spanId, trace.sampled));
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = routeTemplate(request);
      const seconds = reply.elapsedTime / 1000;
      this.duration.observe({ method: methodLabel(request.method), route, status: String(reply.statusCode) }, seconds);
      const caller = (request as FastifyRequest & { caller?: Caller }).caller;
      const trace = requestTrace(request.raw);
      this.logger.info(
        {
          requestId: request.id,
          traceId: trace?.traceId,
          spanId: trace?.spanId,
          method: request.method,
          route,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 100) / 100,
          callerId: caller?.id,
          callerKind: caller?.kind,
        },
        'request completed',
      );
      done();
    });
  }

  /** With OpenTelemetry on: a SERVER span per request, under the caller's span, ended with the response. */
  private installSpans(fastify: FastifyInstance): void {
    const spans = new WeakMap<object, Span>();
    fastify.addHook('onRequest', async (request) => {
      const trace = requestTrace(request.raw);
      if (!trace) return;
      const route = request.routeOptions?.url;
      const method = methodLabel(request.method);
      const span = this.tracing.startSpan(route ? `${method} ${route}` : method, {
        kind: SpanKind.SERVER,
        ids: trace,
        sampled: trace.sampled,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method === 'OTHER' ? '_OTHER' : method,
          [ATTR_URL_PATH]: request.url.split('?', 1)[0],
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
          'modelgate.request_id': request.id,
        },
      });
      if (span) spans.set(request.raw, span);
    });
    fastify.addHook('onResponse', async (request, reply) => {
      const span = spans.get(request.raw);
      if (!span) return;
      spans.delete(request.raw);
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      const caller = (request as FastifyRequest & { caller?: Caller }).caller;
      if (caller) span.setAttribute('modelgate.caller_id', caller.id);
      // A server's 4xx is the caller's error, not the span's (OpenTelemetry's HTTP conventions).
      if (reply.statusCode >= 500) {
        span.setAttribute(ATTR_ERROR_TYPE, String(reply.statusCode));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
    fastify.addHook('onRequestAbort', async (request) => {
      const span = spans.get(request.raw);
      if (!span) return;
      spans.delete(request.raw);
      span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the connection' });
      span.end();
    });
  }
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The methods the API serves by name; any other (PROPFIND, …) as one value: bounded label cardinality. */
export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

/** The matched route's template (/v1/models/:name), never the raw URL: bounded label cardinality. */
function routeTemplate(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched';
}
