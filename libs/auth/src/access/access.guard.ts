import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { StaticMetadataReflector } from './static-metadata-reflector';
import { Caller, ForbiddenError, hasRole, IS_PUBLIC_KEY, REQUIRED_ROLE_KEY, Role } from '@app/common';
import { API_KEY_HEADER, ApiKeyStrategy } from './api-key.strategy';
import { JWT_STRATEGY, JwtStrategy } from './jwt.strategy';
import { authenticate } from './own-passport';
import { RateLimiter } from './rate-limit';
import { unauthenticated } from './unauthenticated';

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>;
  caller?: Caller;
}

/** What a route declares: `@Public()`, or the least role from `@Roles()`; undeclared means admin. */
export function accessRule(
  reflector: Reflector,
  ctx: Pick<ExecutionContext, 'getHandler' | 'getClass'>,
): { public: true } | { public: false; role: Role; declared: boolean } {
  const targets = [ctx.getHandler(), ctx.getClass()];
  if (reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return { public: true };
  const role = reflector.getAllAndOverride<Role | undefined>(REQUIRED_ROLE_KEY, targets);
  return { public: false, role: role ?? 'admin', declared: role !== undefined };
}

/**
 * The one global guard: deny by default. Public routes pass; every other route needs a bearer JWT
 * or an X-API-Key (passport strategies), then the role its @Roles() names; a route that declares
 * nothing is admin-only. The rate limiter runs in between, so failed authentications count too.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly reflector = new StaticMetadataReflector();

  constructor(
    private readonly jwt: JwtStrategy,
    private readonly apiKey: ApiKeyStrategy,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /**
   * Without a promise when the caller's standing is already known (an X-API-Key cached by the
   * CallerDirectory) and the rate limiter counts in memory: a service account predicting all day.
   * Anything else, failures included, takes the full path below.
   */
  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const rule = accessRule(this.reflector, ctx);
    const req = ctx.switchToHttp().getRequest<HttpRequest>();
    if (!rule.public) {
      const known = this.knownCaller(req);
      if (!known) return this.check(ctx, rule, req);
      req.caller = known;
    }
    const admitted = this.rateLimiter.admit(ctx);
    return admitted instanceof Promise ? admitted.then(() => this.decide(rule, req)) : this.decide(rule, req);
  }

  private async check(ctx: ExecutionContext, rule: ReturnType<typeof accessRule>, req: HttpRequest): Promise<boolean> {
    let failure: unknown;
    try {
      req.caller = await this.authenticate(req, ctx.switchToHttp().getResponse());
    } catch (error) {
      failure = error;
    }
    await this.rateLimiter.admit(ctx);
    return this.decide(rule, req, failure);
  }

  private decide(rule: ReturnType<typeof accessRule>, req: HttpRequest, failure?: unknown): boolean {
    if (rule.public) return true;
    if (!req.caller) throw failure ?? unauthenticated('UNAUTHENTICATED', 'Authentication is required.');
    if (!hasRole(req.caller.roles, rule.role)) {
      throw new ForbiddenError(`This operation needs the ${rule.role} role.`, 'INSUFFICIENT_ROLE');
    }
    return true;
  }

  /** A valid X-API-Key (alone) whose standing is cached; undefined for everything else, failures included. */
  private knownCaller(req: HttpRequest): Caller | undefined {
    if (req.headers[API_KEY_HEADER] === undefined || req.headers.authorization !== undefined) return undefined;
    try {
      return this.apiKey.validateNow(req);
    } catch {
      return undefined;
    }
  }

  private async authenticate(req: HttpRequest, res: unknown): Promise<Caller> {
    const authorization = req.headers.authorization;
    const key = req.headers[API_KEY_HEADER];
    if (authorization !== undefined && key !== undefined) {
      throw unauthenticated('AMBIGUOUS_CREDENTIALS', 'Send either Authorization or X-API-Key, not both.', 'invalid_request');
    }
    // The API-key check is our own strategy with nothing for passport to add: called directly, it
    // saves passport's per-request middleware set-up on the busiest path (service accounts predicting).
    if (key !== undefined) return this.apiKey.validate(req);
    if (authorization === undefined) {
      throw unauthenticated('UNAUTHENTICATED', 'Authentication is required: send Authorization: Bearer <token> or X-API-Key.');
    }
    if (typeof authorization !== 'string' || !/^Bearer\s+\S+\s*$/i.test(authorization)) {
      throw unauthenticated('UNSUPPORTED_AUTHORIZATION', 'Use Authorization: Bearer <access token>, or X-API-Key.', 'invalid_request');
    }
    return this.bearer(req, res);
  }

  /** passport-jwt verifies the bearer token. */
  private async bearer(req: unknown, res: unknown): Promise<Caller> {
    const { user, info } = await authenticate<Caller>(this.jwt, JWT_STRATEGY, req, res);
    if (user) return user;
    if ((info as Error | undefined)?.name === 'TokenExpiredError') {
      throw unauthenticated('TOKEN_EXPIRED', 'The access token has expired; refresh it or sign in again.', 'invalid_token');
    }
    throw unauthenticated('TOKEN_INVALID', 'The access token is not valid.', 'invalid_token');
  }
}
