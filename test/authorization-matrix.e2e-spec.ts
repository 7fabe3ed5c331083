import { randomUUID } from 'node:crypto';
import { Controller, Get, Module, VersioningType } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { hasRole, Role, Roles } from '@app/common';
import { AppModule } from '../apps/api/src/app.module';
import { buildOpenApiDocument } from '../apps/api/src/openapi';
import { createAdapter, pipelineSettings } from '../apps/api/src/request-pipeline';
import { apiKeyFor, apiKeyHeader, authHeader, tokenFor } from './support/auth';
import { routeTable, RouteEntry, routesOf } from './support/route-table';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Every route of the app × every kind of caller → the answer its declaration promises. The table
 * comes from the routes actually mounted, so a route added later is covered automatically, and a
 * route that declares neither @Public() nor @Roles() fails this suite.
 */

interface Principal {
  name: string;
  /** null: anonymous. */
  role: Role | null;
  headers: Record<string, string>;
}

/** The API key column uses a middle role, so both its allowed and its forbidden cases are real. */
const API_KEY_ROLE: Role = 'ml-engineer';

/** `::` is a literal colon (TF Serving's `/v1/models/{name}:predict`); `:name` a parameter. */
const eachParam = (pattern: string, replace: (name: string) => string) =>
  pattern
    .split('::')
    .map((part) => part.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => replace(name)))
    .join(':');

function concretePath(pattern: string): string {
  return eachParam(pattern, (name) => (/id$/i.test(name) ? randomUUID() : /version/i.test(name) ? '1' : `matrix-${name.toLowerCase()}`));
}

type Verdict = 'allowed' | 'unauthenticated' | 'forbidden';

function expected(route: RouteEntry, principal: Principal): Verdict {
  if (route.access.kind === 'public') return 'allowed';
  if (route.access.kind === 'undeclared') throw new Error('undeclared routes are reported by their own test');
  if (principal.role === null) return 'unauthenticated';
  return hasRole([principal.role], route.access.role) ? 'allowed' : 'forbidden';
}

/** What the guard decided, read from the answer (a handler's own 4xx still counts as "allowed"). */
function observed(status: number, body: string): Verdict {
  let code: unknown;
  try {
    code = (JSON.parse(body) as { code?: unknown }).code;
  } catch {
    code = undefined;
  }
  if (status === 401 && code !== 'INVALID_CREDENTIALS' && code !== 'INVALID_REFRESH_TOKEN') return 'unauthenticated';
  if (status === 403 && code === 'INSUFFICIENT_ROLE') return 'forbidden';
  return 'allowed';
}

describe('authorization matrix (e2e)', () => {
  let t: TestApp;
  let routes: RouteEntry[];
  let principals: Principal[];

  beforeAll(async () => {
    t = await startTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: '10000', RATE_LIMIT_PER_MINUTE: '100000' });
    routes = routeTable(t.app);
    principals = [
      { name: 'anonymous', role: null, headers: {} },
      { name: 'consumer', role: 'consumer', headers: authHeader(await tokenFor(t, 'consumer')) },
      { name: 'ml-engineer', role: 'ml-engineer', headers: authHeader(await tokenFor(t, 'ml-engineer')) },
      { name: 'admin', role: 'admin', headers: authHeader(await tokenFor(t, 'admin')) },
      { name: `API key (${API_KEY_ROLE})`, role: API_KEY_ROLE, headers: apiKeyHeader(await apiKeyFor(t, API_KEY_ROLE)) },
    ];
  });
  afterAll(() => t?.close());

  it('reads a route table that includes the routes this suite knows must exist', () => {
    const keys = routes.map((r) => `${r.method} ${r.path}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        'GET /health/live',
        'POST /v1/auth/login',
        'POST /v1/auth/token',
        'GET /v1/users/:id',
        'DELETE /v1/api-keys/:id',
        'GET /v1/audit-events',
      ]),
    );
  });

  it('finds an access declaration (@Public or @Roles) on every route', () => {
    const undeclared = routes
      .filter((r) => r.access.kind === 'undeclared')
      .map((r) => `${r.method} ${r.path} (${r.controller}.${r.handler})`);
    expect(undeclared).toEqual([]);
  });

  it.each(['anonymous', 'consumer', 'ml-engineer', 'admin', `API key (${API_KEY_ROLE})`])(
    'answers every route as declared for %s',
    async (name) => {
      const principal = principals.find((p) => p.name === name)!;
      const mismatches: string[] = [];
      for (const route of routes.filter((r) => r.access.kind !== 'undeclared')) {
        const write = ['POST', 'PUT', 'PATCH'].includes(route.method);
        const res = await t.app.inject({
          method: route.method as 'GET',
          url: concretePath(route.path),
          headers: { ...principal.headers, ...(write ? { 'content-type': 'application/json' } : {}) },
          ...(write ? { payload: '{}' } : {}),
        });
        const want = expected(route, principal);
        const got = observed(res.statusCode, res.body);
        if (want !== got)
          mismatches.push(`${route.method} ${route.path}: expected ${want}, got ${res.statusCode} ${res.body.slice(0, 160)}`);
        if (got === 'unauthenticated' && !res.headers['www-authenticate'])
          mismatches.push(`${route.method} ${route.path}: 401 without WWW-Authenticate`);
        if (got !== 'allowed' && !String(res.headers['content-type']).startsWith('application/problem+json')) {
          mismatches.push(`${route.method} ${route.path}: ${res.statusCode} is not a problem document`);
        }
      }
      expect(mismatches).toEqual([]);
    },
  );

  it('documents security in OpenAPI exactly on the protected routes', () => {
    const doc = buildOpenApiDocument(t.app);
    const wrong: string[] = [];
    for (const route of routes) {
      const openApiPath = eachParam(route.path, (name) => `{${name}}`);
      const op = (doc.paths[openApiPath] as Record<string, { security?: unknown[] }> | undefined)?.[route.method.toLowerCase()];
      if (!op) continue; // excluded from the document (e.g. /metrics)
      const secured = Boolean(op.security?.length);
      if (secured !== (route.access.kind === 'role')) wrong.push(`${route.method} ${route.path}`);
    }
    expect(wrong).toEqual([]);
  });
});

/** A route someone forgot to declare: the suite above must flag it, and the guard must deny it. */
@Controller({ path: 'matrix-undeclared', version: '1' })
class UndeclaredController {
  @Get()
  forgotToDeclare() {
    return { reached: true };
  }

  @Get('engineers')
  @Roles('ml-engineer')
  declared() {
    return { reached: true };
  }
}

@Module({ controllers: [UndeclaredController] })
class UndeclaredModule {}

describe('a route without an access declaration', () => {
  it('is reported as undeclared by the route table the matrix uses', () => {
    expect(routesOf(UndeclaredController).map((r) => [r.method, r.path, r.access.kind])).toEqual([
      ['GET', '/v1/matrix-undeclared', 'undeclared'],
      ['GET', '/v1/matrix-undeclared/engineers', 'role'],
    ]);
  });

  it('is admin-only at run time (deny by default)', async () => {
    const base = await startTestApp();
    // The real app module plus the undeclared controller, on the same configuration.
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot(base.config, pino({ level: 'silent' })), UndeclaredModule],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(
      createAdapter(base.config, pino({ level: 'silent' }), pipelineSettings(base.config)),
    );
    app.enableVersioning({ type: VersioningType.URI });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const t: TestApp = { ...base, app };
    try {
      const call = async (role: Role | null, url = '/v1/matrix-undeclared') =>
        (await app.inject({ method: 'GET', url, headers: role ? authHeader(await tokenFor(t, role)) : {} })).statusCode;
      expect(await call(null)).toBe(401);
      expect(await call('consumer')).toBe(403);
      expect(await call('ml-engineer')).toBe(403);
      expect(await call('admin')).toBe(200);
      expect(await call('ml-engineer', '/v1/matrix-undeclared/engineers')).toBe(200);
    } finally {
      await app.close();
      await base.close();
    }
  });
});
