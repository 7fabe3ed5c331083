import { fastifyColonPath } from '@app/predictions';
import { INestApplication, RequestMethod, Type, VERSION_NEUTRAL } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants';
import { ModulesContainer, Reflector } from '@nestjs/core';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { IS_PUBLIC_KEY, REQUIRED_ROLE_KEY, Role } from '@app/common';

/** What a route declares about access: the authorization matrix expects exactly this. */
export type AccessDecision = { kind: 'public' } | { kind: 'role'; role: Role } | { kind: 'undeclared' };

export interface RouteEntry {
  method: string;
  /** Fastify's pattern, e.g. /v1/models/:name */
  path: string;
  controller: string;
  handler: string;
  access: AccessDecision;
}

const reflector = new Reflector();

function paths(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value ?? '/'];
  return list.map((p) => String(p));
}

function join(...parts: string[]): string {
  const joined = parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
  return `/${joined}`;
}

function versions(value: unknown): (string | typeof VERSION_NEUTRAL | undefined)[] {
  if (value === undefined) return [undefined];
  return Array.isArray(value) ? value : [value as string];
}

export function accessOf(handler: object, controller: Type<unknown>): AccessDecision {
  if (reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler as () => void, controller])) return { kind: 'public' };
  const role = reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE_KEY, [handler as () => void, controller]);
  return role ? { kind: 'role', role } : { kind: 'undeclared' };
}

/** The routes one controller class declares, as Nest registers them (URI versioning: /v<n>/...). */
export function routesOf(controller: Type<unknown>): RouteEntry[] {
  const proto = controller.prototype as Record<string, unknown>;
  const out: RouteEntry[] = [];
  for (const name of Object.getOwnPropertyNames(proto)) {
    const handler = proto[name];
    if (name === 'constructor' || typeof handler !== 'function') continue;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    if (method === undefined || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
    const methodVersion = Reflect.getMetadata(VERSION_METADATA, handler);
    const classVersion = Reflect.getMetadata(VERSION_METADATA, controller);
    for (const version of versions(methodVersion ?? classVersion)) {
      for (const base of paths(Reflect.getMetadata(PATH_METADATA, controller))) {
        for (const sub of paths(Reflect.getMetadata(PATH_METADATA, handler))) {
          const prefix = version === undefined || version === VERSION_NEUTRAL ? '' : `v${String(version)}`;
          out.push({
            method: RequestMethod[method],
            path: join(prefix, base, sub),
            controller: controller.name,
            handler: name,
            access: accessOf(handler, controller),
          });
        }
      }
    }
  }
  return out;
}

/**
 * Every route of the running app, read from Nest's module container (the controllers actually
 * mounted), each checked against Fastify's router so the table cannot drift from reality.
 */
export function routeTable(app: INestApplication): RouteEntry[] {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const seen = new Set<Type<unknown>>();
  const routes: RouteEntry[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller || seen.has(controller)) continue;
      seen.add(controller);
      routes.push(...routesOf(controller));
    }
  }
  for (const r of routes) {
    // TF Serving's `:name::predict` routes are registered with a pattern on the name (find-my-way reads a name up to the next '/').
    if (!fastify.hasRoute({ method: r.method as HTTPMethods, url: fastifyColonPath(r.path) })) {
      throw new Error(`route table out of step with the router: ${r.method} ${r.path} (${r.controller}.${r.handler})`);
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}
