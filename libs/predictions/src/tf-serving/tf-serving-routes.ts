import { Logger } from '@nestjs/common';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { sendTfServingProblem } from './tf-serving-error.filter';

/** A path parameter directly followed by a literal colon (`::` in a Fastify path): `:name::predict`. */
const PARAM_BEFORE_COLON = /:(\w+)::/g;

/** The Fastify pattern of a Nest path with a literal colon after a parameter (see {@link installTfServingRoutes}). */
export function fastifyColonPath(path: string): string {
  return path.replace(PARAM_BEFORE_COLON, ':$1([^/:]+)::');
}

/**
 * The Fastify side of the TF Serving routes, installed on the adapter before any route is
 * registered (apps/api's createAdapter):
 * - find-my-way reads a parameter's name up to the next `/`, colons included: `:name::predict`
 *   would be one parameter named "name::predict", and `:name::classify` the same route again.
 *   Ending the parameter with a pattern (`:name([^/:]+)::predict`) lets `::` be the literal colon,
 *   so `{name}` never swallows `:predict`. The controllers keep the plain form, which the OpenAPI
 *   explorer reads (its path parser refuses patterns).
 * - Errors raised before Nest runs (bad JSON, a body too large) get TF Serving's `error` too.
 */
export function installTfServingRoutes(fastify: FastifyInstance): void {
  const logger = new Logger('ProblemDetails');
  fastify.addHook('onRoute', (route: RouteOptions & { path?: string }) => {
    const url = fastifyColonPath(route.url);
    if (url === route.url) return;
    route.url = url;
    if (route.path) route.path = route.url;
    route.errorHandler = (error, request, reply) => sendTfServingProblem(error, request, reply, logger);
  });
}
