import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger as PinoInstance } from 'pino';
import { Histogram } from 'prom-client';
import { Caller, MetricsRegistry, REQUEST_ID_HEADER, ROOT_LOGGER } from '@app/common';

/**
 * Per-request log line, duration histogram and X-Request-Id echo, as Fastify hooks so they also
 * cover requests that never reach a controller (404s, body parser errors, rate limits).
 */
@Injectable()
export class HttpInstrumentation {
  private readonly duration: Histogram<'method' | 'route' | 'status'>;

  constructor(
    registry: MetricsRegistry,
    @Inject(ROOT_LOGGER) private readonly logger: PinoInstance,
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
    fastify.addHook('onRequest', async (request, reply) => {
      void reply.header(REQUEST_ID_HEADER, request.id);
    });
    fastify.addHook('onResponse', async (request, reply) => {
      const route = routeTemplate(request);
      const seconds = reply.elapsedTime / 1000;
      this.duration.observe({ method: methodLabel(request.method), route, status: String(reply.statusCode) }, seconds);
      const caller = (request as FastifyRequest & { caller?: Caller }).caller;
      this.logger.info(
        {
          requestId: request.id,
          method: request.method,
          route,
          status: reply.statusCode,
          durationMs: Math.round(reply.elapsedTime * 100) / 100,
          callerId: caller?.id,
          callerKind: caller?.kind,
        },
        'request completed',
      );
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
