import { ForbiddenException, type CanActivate, type ExceptionFilter, type PipeTransform, type Type } from '@nestjs/common';
import { EXCEPTION_FILTERS_METADATA } from '@nestjs/common/constants.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { actorOf, Caller, WITHOUT_REQUEST_CONTEXT } from '@app/common';
import { MAX_VERSION_NUMBER, MODEL_NAME_PATTERN, ALIAS_PATTERN, ModelAliasParams, ModelNameParams, ModelVersionParams } from '@app/models';
import {
  fastifyColonPath,
  inferenceEnvelope,
  InferenceProtocolController,
  PredictController,
  TF_PREDICT_FIELDS,
  TfServingController,
  V1_PREDICT_FIELDS,
  V2_INFER_FIELDS,
} from '@app/predictions';
import { GlobalEnhancer, LeanParamsPipe, LeanResultInterceptor, resolveGlobalEnhancers } from '../request-pipeline';

/** Nest's message when a guard answers false (@nestjs/core/guards/constants, not exported). */
const FORBIDDEN_MESSAGE = 'Forbidden resource';

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
  {
    method: 'POST',
    url: '/v1/models/:name/predict',
    controller: PredictController,
    handler: 'predict',
    params: ModelNameParams,
    parse: name,
    bodyFields: V1_PREDICT_FIELDS,
  },
  {
    method: 'POST',
    url: '/v1/models/:name/versions/:version/predict',
    controller: PredictController,
    handler: 'predictWithVersion',
    params: ModelVersionParams,
    parse: withVersion,
    bodyFields: V1_PREDICT_FIELDS,
  },
  {
    method: 'POST',
    url: '/v1/models/:name/aliases/:alias/predict',
    controller: PredictController,
    handler: 'predictWithAlias',
    params: ModelAliasParams,
    parse: withAlias,
    bodyFields: V1_PREDICT_FIELDS,
  },
  {
    method: 'POST',
    url: '/v2/models/:name/infer',
    controller: InferenceProtocolController,
    handler: 'inferV2',
    params: ModelNameParams,
    parse: name,
    bodyFields: V2_INFER_FIELDS,
  },
  {
    method: 'POST',
    url: '/v2/models/:name/versions/:version/infer',
    controller: InferenceProtocolController,
    handler: 'inferWithVersionV2',
    params: ModelVersionParams,
    parse: withVersion,
    bodyFields: V2_INFER_FIELDS,
  },
  // TF Serving's predict (a literal colon is `::`): what a team moving from TF Serving calls all day.
  {
    method: 'POST',
    url: '/v1/models/:name::predict',
    controller: TfServingController,
    handler: 'tfPredict',
    params: ModelNameParams,
    parse: name,
    bodyFields: TF_PREDICT_FIELDS,
  },
  {
    method: 'POST',
    url: '/v1/models/:name/versions/:version::predict',
    controller: TfServingController,
    handler: 'tfPredictWithVersion',
    params: ModelVersionParams,
    parse: withVersion,
    bodyFields: TF_PREDICT_FIELDS,
  },
  {
    method: 'POST',
    url: '/v1/models/:name/labels/:alias::predict',
    controller: TfServingController,
    handler: 'tfPredictWithLabel',
    params: ModelAliasParams,
    parse: withAlias,
    bodyFields: TF_PREDICT_FIELDS,
  },
];

/**
 * Lean request handling for the inference routes.
 *
 * Why: on a one-row predict, Nest's per-request machinery (router execution context, the global
 * ValidationPipe running class-transformer + class-validator over the path params, rxjs
 * interceptors) cost more than the batched prediction itself; `npm run bench` measured it.
 *
 * How: the routes stay declared once, by their controllers (OpenAPI, the SDK and the route table
 * come from there), and Nest still registers them in Fastify; this swaps the handler Fastify runs
 * for one generated from the global enhancers of request-pipeline.ts, applied in Nest's order
 * (guards, pipes, then the controller method, interceptors, the filter on any error), each in the
 * `lean` form the list gives it: guards and the filter as they are, with an ExecutionContext for
 * the same controller method; the ValidationPipe through the route's cheap check of the DTO's
 * rules (a failure is re-validated by the pipe, so errors are the very same); WithHeaders results
 * through a plain function. The @InferenceBody envelope check and @CurrentActor run as the
 * decorators do. Fastify's hooks (request id and trace, security headers, CORS, logging, metrics,
 * spans, API deprecation headers) run unchanged; the Actor carries the trace to the usage event.
 * test/pipeline-parity.e2e-spec.ts holds both paths equal.
 */
export class LeanRoutes {
  private readonly installed = new Set<LeanRoute>();

  constructor(private readonly app: NestFastifyApplication) {}

  /** Call before app.init(): Nest registers its routes there. */
  install(fastify: FastifyInstance): void {
    fastify.addHook('onRoute', (options: RouteOptions) => {
      // A TF Serving path arrives in its Fastify form (installTfServingRoutes rewrites it first).
      const route = LEAN_ROUTES.find(
        (r) =>
          (r.url === options.url || fastifyColonPath(r.url) === options.url) &&
          (options.method === r.method || (Array.isArray(options.method) && options.method.includes(r.method))),
      );
      if (!route) return;
      options.handler = this.handlerFor(route);
      // Their one log line names the request id and the trace itself (request pipeline step 10).
      options.config = { ...options.config, [WITHOUT_REQUEST_CONTEXT]: true } as RouteOptions['config'];
      this.installed.add(route);
    });
  }

  /** After app.init(): a renamed route must not silently lose its lean handler (or its checks). */
  assertInstalled(): void {
    const missing = LEAN_ROUTES.filter((r) => !this.installed.has(r)).map((r) => `${r.method} ${r.url}`);
    if (missing.length) throw new Error(`Lean routes not registered by any controller: ${missing.join(', ')}`);
  }

  private handlerFor(route: LeanRoute): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> {
    const { guards, pipes, interceptors, filters } = this.resolveEnhancers();
    const controller = this.app.get(route.controller) as Record<string, (...args: unknown[]) => unknown>;
    const method = controller[route.handler];
    if (typeof method !== 'function') throw new Error(`${route.controller.name}.${route.handler} is not a method`);
    const handler = method as (...args: unknown[]) => unknown;
    // As in Nest, a filter the controller declares (@UseFilters: TF Serving's `error`) comes before the global one.
    const filter = controllerFilter(route.controller) ?? filters[0];

    return async (request, reply) => {
      const context = new ExecutionContextHost([request, reply], route.controller, handler);
      context.setType('http');
      try {
        for (const guard of guards) {
          // As Nest's GuardsConsumer: a guard that answers false (rather than throwing) is a 403. A
          // synchronous answer (a cached API key) is not awaited: no promise (see the pipe below).
          const answer = guard.canActivate(context);
          if (!(answer instanceof Promise ? await answer : answer)) throw new ForbiddenException(FORBIDDEN_MESSAGE);
        }
        const raw = request.params as PathParams;
        const cheap = route.parse(raw);
        let params: unknown = cheap;
        for (const { pipe, lean } of pipes) {
          // The cheap check answers synchronously on a valid request: no await (each promise here
          // also runs the async_hooks that AsyncLocalStorage enables process-wide).
          const piped = lean(pipe, raw, cheap, route.params);
          params = piped instanceof Promise ? await piped : piped;
        }
        const body = inferenceEnvelope(request.body, route.bodyFields, request.headers);
        const actor = actorOf(request as FastifyRequest & { caller?: Caller });
        let result = await handler.call(controller, params, body, actor);
        // Nest's interceptors wrap the handler: the last one listed sees the result first.
        for (let i = interceptors.length - 1; i >= 0; i--) result = interceptors[i](result, reply);
        // Returned, for Fastify to send as it sends any async handler's result (awaiting reply.send()
        // would cost two promises more, and send nothing differently).
        reply.code(200);
        return result;
      } catch (error) {
        filter.catch(error, context);
        return undefined;
      }
    };
  }

  /** The enhancers' instances (Nest's own) paired with their lean forms, in the list's order. */
  private resolveEnhancers() {
    const guards: CanActivate[] = [];
    const pipes: { pipe: PipeTransform; lean: LeanParamsPipe }[] = [];
    const interceptors: LeanResultInterceptor[] = [];
    const filters: ExceptionFilter[] = [];
    for (const { enhancer, instance } of resolveGlobalEnhancers(this.app)) {
      switch (enhancer.kind) {
        case 'guard':
          guards.push(instance as CanActivate);
          break;
        case 'pipe':
          pipes.push({ pipe: instance as PipeTransform, lean: enhancer.lean });
          break;
        case 'interceptor':
          interceptors.push(enhancer.lean);
          break;
        case 'filter':
          filters.push(instance as ExceptionFilter);
          break;
        default:
          throw new Error(`Global enhancer ${(enhancer as GlobalEnhancer).name} has no lean form: the lean routes cannot apply it`);
      }
    }
    // Nest runs the first filter that catches; ours catches everything, and the lean path has one.
    if (filters.length !== 1)
      throw new Error(`The lean routes need exactly one global filter; request-pipeline.ts lists ${filters.length}`);
    return { guards, pipes, interceptors, filters };
  }
}

/** The first exception filter a controller declares with @UseFilters, as Nest would build it. */
function controllerFilter(controller: Type<object>): ExceptionFilter | undefined {
  const declared = (
    Reflect.getMetadata(EXCEPTION_FILTERS_METADATA, controller) as (ExceptionFilter | Type<ExceptionFilter>)[] | undefined
  )?.[0];
  if (!declared) return undefined;
  return typeof declared === 'function' ? new declared() : declared;
}
