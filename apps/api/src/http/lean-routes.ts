import { RequestMethod, type Type, type ValidationPipe } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { Logger } from '@nestjs/common';
import { actorOf, Caller, RouteInfo, sendProblem, WithHeaders } from '@app/common';
import { AccessGuard } from '@app/auth';
import { MAX_VERSION_NUMBER, MODEL_NAME_PATTERN, ALIAS_PATTERN, ModelAliasParams, ModelNameParams, ModelVersionParams } from '@app/models';
import { inferenceEnvelope, InferenceProtocolController, PredictController, V1_PREDICT_FIELDS, V2_INFER_FIELDS } from '@app/predictions';

type PathParams = Record<string, string>;

interface LeanRoute {
  method: 'POST';
  url: string;
  controller: Type<object>;
  handler: string;
  /** The route's path-parameter DTO (its rules, for errors) and a cheap check of the same rules. */
  params: Type<object>;
  parse(params: PathParams): Record<string, string | number> | undefined;
  bodyFields: readonly string[];
}

const name = (p: PathParams) => (MODEL_NAME_PATTERN.test(p.name) ? { name: p.name } : undefined);
const version = (p: PathParams) => {
  const n = /^\d{1,10}$/.test(p.version) ? Number(p.version) : 0;
  return n >= 1 && n <= MAX_VERSION_NUMBER ? n : undefined;
};
const withVersion = (p: PathParams) => {
  const base = name(p);
  const v = version(p);
  return base && v !== undefined ? { ...base, version: v } : undefined;
};
const withAlias = (p: PathParams) => {
  const base = name(p);
  return base && ALIAS_PATTERN.test(p.alias) ? { ...base, alias: p.alias } : undefined;
};

/** The inference routes: what product teams call all day. */
const LEAN_ROUTES: readonly LeanRoute[] = [
  { method: 'POST', url: '/v1/models/:name/predict', controller: PredictController, handler: 'predict', params: ModelNameParams, parse: name, bodyFields: V1_PREDICT_FIELDS },
  { method: 'POST', url: '/v1/models/:name/versions/:version/predict', controller: PredictController, handler: 'predictWithVersion', params: ModelVersionParams, parse: withVersion, bodyFields: V1_PREDICT_FIELDS },
  { method: 'POST', url: '/v1/models/:name/aliases/:alias/predict', controller: PredictController, handler: 'predictWithAlias', params: ModelAliasParams, parse: withAlias, bodyFields: V1_PREDICT_FIELDS },
  { method: 'POST', url: '/v2/models/:name/infer', controller: InferenceProtocolController, handler: 'inferV2', params: ModelNameParams, parse: name, bodyFields: V2_INFER_FIELDS },
  { method: 'POST', url: '/v2/models/:name/versions/:version/infer', controller: InferenceProtocolController, handler: 'inferWithVersionV2', params: ModelVersionParams, parse: withVersion, bodyFields: V2_INFER_FIELDS },
];

/** The lean routes, for Nest middleware exclusion (versioned paths as Nest's RouteInfo wants them). */
export const LEAN_ROUTE_INFO: RouteInfo[] = LEAN_ROUTES.map((r) => {
  const [, version, path] = /^\/v(\d+)\/(.*)$/.exec(r.url)!;
  return { path, method: RequestMethod[r.method], version };
});

/**
 * Lean request handling for the inference routes.
 *
 * Why: on a one-row predict, Nest's per-request machinery (router execution context, the global
 * ValidationPipe running class-transformer + class-validator over the path params, rxjs
 * interceptors) cost more than the batched prediction itself; `npm run bench` measured it.
 *
 * How: the routes stay declared once, by their controllers (OpenAPI, the SDK and the route table
 * come from there), and Nest still registers them in Fastify; this swaps the handler Fastify runs
 * for one that performs the same steps explicitly and cheaply: the global AccessGuard with the
 * controller method's metadata (authentication, rate limit, @Roles), the path parameters checked
 * with the DTO's rules (a failure is re-validated by the global ValidationPipe, so errors are the
 * very same), the @InferenceBody envelope check, then the same controller method; WithHeaders
 * results and errors are sent as everywhere else. Fastify's hooks (request id, helmet, CORS,
 * logging, metrics, API deprecation headers) run unchanged.
 */
export class LeanRoutes {
  private readonly logger = new Logger('LeanRoutes');
  private readonly installed = new Set<LeanRoute>();

  constructor(
    private readonly app: NestFastifyApplication,
    private readonly validation: ValidationPipe,
  ) {}

  /** Call before app.init(): Nest registers its routes there. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (options: RouteOptions) => {
      const route = LEAN_ROUTES.find((r) => r.url === options.url && (options.method === r.method || (Array.isArray(options.method) && options.method.includes(r.method))));
      if (!route) return;
      options.handler = this.handlerFor(route);
      this.installed.add(route);
    });
  }

  /** After app.init(): a renamed route must not silently lose its lean handler (or its checks). */
  assertInstalled(): void {
    const missing = LEAN_ROUTES.filter((r) => !this.installed.has(r)).map((r) => `${r.method} ${r.url}`);
    if (missing.length) throw new Error(`Lean routes not registered by any controller: ${missing.join(', ')}`);
  }

  private handlerFor(route: LeanRoute): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
    const guard = this.app.get(AccessGuard);
    const controller = this.app.get(route.controller) as Record<string, (...args: unknown[]) => unknown>;
    const method = controller[route.handler];
    if (typeof method !== 'function') throw new Error(`${route.controller.name}.${route.handler} is not a method`);
    const handler = method as (...args: unknown[]) => unknown;

    return async (request, reply) => {
      try {
        await guard.canActivate(new ExecutionContextHost([request, reply], route.controller, handler));
        const raw = request.params as PathParams;
        const params = route.parse(raw) ?? (await this.validation.transform({ ...raw }, { type: 'param', metatype: route.params }));
        const body = inferenceEnvelope(request.body, route.bodyFields);
        const actor = actorOf(request as FastifyRequest & { caller?: Caller });
        const result = await handler.call(controller, params, body, actor);
        if (result instanceof WithHeaders) {
          void reply.headers(result.headers);
          await reply.code(200).send(result.body);
        } else {
          await reply.code(200).send(result);
        }
      } catch (error) {
        sendProblem(error, request, reply, this.logger);
      }
    };
  }
}
