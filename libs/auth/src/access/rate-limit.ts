import { applyDecorators, ExecutionContext, Injectable, Logger, Module, SetMetadata } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerRequest,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { StaticMetadataReflector } from './static-metadata-reflector';
import { LRUCache } from 'lru-cache';
import { AuditService } from '@app/audit';
import { FixedWindowThrottlerStorage } from './fixed-window-storage';
import { countsWithoutPromise } from './throttler-storage-record';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { ResilientThrottlerStorage } from './resilient-throttler-storage';
import { actorOf, ApiProblemResponses, Caller, DegradedDependencies, DomainError, RedisConnections } from '@app/common';
import type { AuthConfig } from '../auth.config';

const AUTH_RATE_LIMIT_KEY = 'modelgate:auth-rate-limit';
/**
 * The metadata keys @Throttle / @SkipThrottle write, followed by the throttler's name (the package's
 * index does not export them and its dist/ is off limits here). rate-limit.spec.ts holds the guard
 * that reads them to @nestjs/throttler's own (limit, ttl and skip, the ones routes use here), so a
 * renamed key fails there.
 */
const THROTTLER_LIMIT = 'THROTTLER:LIMIT';
const THROTTLER_TTL = 'THROTTLER:TTL';
const THROTTLER_TRACKER = 'THROTTLER:TRACKER';
const THROTTLER_BLOCK_DURATION = 'THROTTLER:BLOCK_DURATION';
const THROTTLER_KEY_GENERATOR = 'THROTTLER:KEY_GENERATOR';
const THROTTLER_SKIP = 'THROTTLER:SKIP';
const MINUTE_MS = 60_000;

/**
 * Where a route that proves a password or secret finds the account being tried, for the
 * per-account limit: a body field (sign-in), or the authenticated caller (their email for a user,
 * the same `account:` budget as their sign-ins).
 */
export type AccountField = 'email' | 'client_id' | 'caller';

interface AuthRateLimit {
  account: AccountField;
  /** The audit action of a refusal (429), e.g. `auth.login.throttled`. */
  auditAction: string;
}

/**
 * Brute-force protection for routes that check a password or secret: AUTH_RATE_LIMIT_PER_MINUTE per
 * client IP and, separately, per account tried, on top of the global per-caller limit. Refusals are
 * audited as `auditAction` (once per limit and account or IP per window, on each replica: a flood
 * of refused guesses must not become a flood of audit rows).
 */
export const AuthRateLimited = (account: AccountField, auditAction: string) =>
  applyDecorators(SetMetadata(AUTH_RATE_LIMIT_KEY, { account, auditAction } satisfies AuthRateLimit), ApiProblemResponses(429));

function authRateLimit(ctx: ExecutionContext): AuthRateLimit | undefined {
  return Reflect.getMetadata(AUTH_RATE_LIMIT_KEY, ctx.getHandler()) as AuthRateLimit | undefined;
}

/**
 * The per-account key: `account:<email>` for a user, whether they sign in or prove their password
 * while signed in; `client:<client_id>` for a service account's client credentials.
 */
/** The default budget's key: the authenticated caller (user or key), else the client IP. */
function callerTracker(req: Record<string, unknown>): string {
  const caller = req.caller as Caller | undefined;
  return caller ? `${caller.kind}:${caller.id}` : `ip:${String(req.ip)}`;
}

function accountTracker(req: Record<string, unknown>, field: AccountField): string {
  if (field === 'caller') {
    const caller = req.caller as Caller | undefined;
    if (!caller) return `ip:${String(req.ip)}`;
    return caller.email ? `account:${caller.email.toLowerCase()}` : `${caller.kind}:${caller.id}`;
  }
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  const kind = field === 'client_id' ? 'client' : 'account';
  return typeof value === 'string' && value ? `${kind}:${value.trim().toLowerCase()}` : `ip:${String(req.ip)}`;
}

/**
 * Where counters live: in-memory for one replica; with REDIS_URL, in Redis so the limit holds
 * across replicas, falling back to in-memory counters while Redis is unreachable.
 * Anything implementing @nestjs/throttler's ThrottlerStorage fits.
 */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

function rateLimitStorage(connections: RedisConnections, degraded?: DegradedDependencies) {
  if (!connections.configured) return new FixedWindowThrottlerStorage();
  // The connection is RedisConnections' (errors logged once per outage, quit at shutdown); errors also surface through the commands (and the fallback).
  const redis = connections.create('failFast', 'rate limits');
  const storage = new ResilientThrottlerStorage(new RedisThrottlerStorage(redis, connections.keyPrefix), new FixedWindowThrottlerStorage());
  redis.on('close', () => storage.fallBack());
  redis.on('ready', () => void storage.tryShared());
  degraded?.register('rateLimit', () => ({ status: 'up', storage: storage.mode }));
  return storage;
}

@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [RedisConnections, { token: DegradedDependencies, optional: true }],
      useFactory: rateLimitStorage,
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
})
export class RateLimitStorageModule {}

export function rateLimitOptions(config: Pick<AuthConfig, 'rateLimit'>): ThrottlerModuleOptions {
  // One budget per IP and one per account across every AuthRateLimited route (the key ignores the
  // handler): alternating sign-in and password change buys no extra guesses.
  const auth = {
    ttl: MINUTE_MS,
    limit: config.rateLimit.authPerMinute,
    setHeaders: false,
    generateKey: (_ctx: ExecutionContext, tracker: string, name: string) => `${name}:${tracker}`,
  };
  return {
    throttlers: [
      // One budget per caller across all routes (not per route): the key ignores the handler.
      {
        name: 'default',
        ttl: MINUTE_MS,
        limit: config.rateLimit.perMinute,
        getTracker: callerTracker,
        generateKey: (_ctx, tracker) => `default:${tracker}`,
      },
      { name: 'auth-ip', ...auth, skipIf: (ctx) => !authRateLimit(ctx), getTracker: (req) => `ip:${String(req.ip)}` },
      {
        name: 'auth-account',
        ...auth,
        skipIf: (ctx) => !authRateLimit(ctx),
        getTracker: (req, ctx) => accountTracker(req, authRateLimit(ctx)?.account ?? 'email'),
      },
    ],
  };
}

/**
 * @nestjs/throttler's guard, run by the AccessGuard after authentication so the default budget is
 * per caller (user or key), else per IP; a limit answers a 429 problem with Retry-After. Refusals
 * on AuthRateLimited routes are audited.
 */
@Injectable()
export class RateLimiter extends ThrottlerGuard {
  private readonly auditLogger = new Logger(RateLimiter.name);
  /** Refusals already audited in their window (limit and key → until the window ends). */
  private readonly audited = new LRUCache<string, true>({ max: 10_000, ttl: MINUTE_MS });

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    private readonly audit: AuditService,
  ) {
    super(options, storage, new StaticMetadataReflector());
  }

  /**
   * @nestjs/throttler's canActivate, with each handler's throttler settings resolved once: the
   * guard reads five metadata keys and awaits three values per throttler on every request, which a
   * CPU profile of `npm run bench` showed among the larger costs of a one-row predict. Route
   * metadata never changes once the app runs; a setting given as a function (none is) is read per
   * request by the library's own path. skipIf still runs per request.
   *
   * With in-memory counters (one replica, or Redis down) an allowed request is counted without a
   * promise (countNow); Redis counters and refusals go through the library's handleRequest.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    return this.admit(context);
  }

  /** canActivate's answer, without a promise when the request was counted without one (the AccessGuard calls this). */
  admit(context: ExecutionContext): boolean | Promise<boolean> {
    const handler = context.getHandler();
    let plan = this.plans.get(handler);
    if (plan === undefined) {
      plan = this.planFor(context);
      this.plans.set(handler, plan);
    }
    if (plan === 'dynamic') return super.canActivate(context);
    for (let i = 0; i < plan.length; i++) {
      const step = plan[i];
      if (this.skips(step, context)) continue;
      if (!this.countNow(step, context)) return this.countRest(plan, i, context);
    }
    return true;
  }

  private skips(step: Omit<ThrottlerRequest, 'context'>, context: ExecutionContext): boolean {
    const skipIf = step.throttler.skipIf ?? this.commonOptions.skipIf;
    return Boolean(skipIf?.(context));
  }

  /** From step `from` on, as the library counts (handleRequest answers true or throws the 429). */
  private async countRest(plan: Omit<ThrottlerRequest, 'context'>[], from: number, context: ExecutionContext): Promise<boolean> {
    for (let i = from; i < plan.length; i++) {
      if (i > from && this.skips(plan[i], context)) continue;
      await this.handleRequest({ ...plan[i], context });
    }
    return true;
  }

  /**
   * handleRequest's work for an allowed request on counters that answer synchronously: true when
   * counted and allowed (its headers set as the library sets them); false when it cannot tell
   * without a promise or the request is refused, leaving the step to handleRequest. A refused
   * request is counted twice then, which changes nothing: a blocked window does not count.
   */
  private countNow(step: Omit<ThrottlerRequest, 'context'>, context: ExecutionContext): boolean {
    const storage = this.storageService;
    const { throttler, limit, ttl, blockDuration } = step;
    if (!countsWithoutPromise(storage) || (throttler.ignoreUserAgents ?? this.commonOptions.ignoreUserAgents)) return false;
    const { req, res } = this.getRequestResponse(context);
    const tracker = step.getTracker(req, context);
    if (typeof tracker !== 'string') return false;
    const key = step.generateKey(context, tracker, throttler.name!);
    const record = storage.incrementNow(key, ttl, limit, blockDuration, throttler.name!);
    if (!record || record.isBlocked) return false;
    if (throttler.setHeaders ?? this.commonOptions.setHeaders ?? true) {
      const suffix = throttler.name === 'default' ? '' : `-${throttler.name}`;
      this.setResponseHeader(res, `${this.headerPrefix}-Limit${suffix}`, limit);
      this.setResponseHeader(res, `${this.headerPrefix}-Remaining${suffix}`, Math.max(0, limit - record.totalHits));
      this.setResponseHeader(res, `${this.headerPrefix}-Reset${suffix}`, record.timeToExpire);
    }
    return true;
  }

  private readonly plans = new WeakMap<object, Omit<ThrottlerRequest, 'context'>[] | 'dynamic'>();

  private planFor(context: ExecutionContext): Omit<ThrottlerRequest, 'context'>[] | 'dynamic' {
    const targets = [context.getHandler(), context.getClass()];
    const read = <T>(key: string, name: string) => this.reflector.getAllAndOverride<T>(`${key}${name}`, targets);
    const plan: Omit<ThrottlerRequest, 'context'>[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name!;
      if (read<boolean>(THROTTLER_SKIP, name)) continue;
      const limit = read<unknown>(THROTTLER_LIMIT, name) ?? throttler.limit;
      const ttl = read<unknown>(THROTTLER_TTL, name) ?? throttler.ttl;
      const blockDuration = read<unknown>(THROTTLER_BLOCK_DURATION, name) ?? throttler.blockDuration ?? ttl;
      if (![limit, ttl, blockDuration].every((v) => typeof v === 'number')) return 'dynamic';
      plan.push({
        throttler,
        limit: limit as number,
        ttl: ttl as number,
        blockDuration: blockDuration as number,
        getTracker: read(THROTTLER_TRACKER, name) ?? throttler.getTracker ?? this.commonOptions.getTracker!,
        generateKey: read(THROTTLER_KEY_GENERATOR, name) ?? throttler.generateKey ?? this.commonOptions.generateKey!,
      });
    }
    return plan;
  }

  protected override async throwThrottlingException(ctx: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    const rule = authRateLimit(ctx);
    if (rule) await this.auditRefusal(ctx, rule, detail, seconds);
    throw new DomainError('rate-limited', 'RATE_LIMITED', `Too many requests; retry in ${seconds} s.`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }

  /** Best effort: an audit write that fails (database down) must not turn the 429 into something else. */
  private async auditRefusal(ctx: ExecutionContext, rule: AuthRateLimit, detail: ThrottlerLimitDetail, seconds: number): Promise<void> {
    const once = `${rule.auditAction}\u0000${detail.key}`;
    if (this.audited.has(once)) return;
    this.audited.set(once, true, { ttl: seconds * 1000 });
    const req = ctx.switchToHttp().getRequest<{ caller?: Caller; id: string; ip: string; body?: unknown }>();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const account = rule.account === 'caller' ? undefined : body[rule.account];
    const limit = detail.key.startsWith('auth-account:') ? 'per-account' : detail.key.startsWith('auth-ip:') ? 'per-ip' : 'per-caller';
    try {
      await this.audit.record({
        action: rule.auditAction,
        actor: actorOf(req),
        ip: req.ip,
        requestId: String(req.id),
        targetType: rule.account === 'caller' && req.caller ? req.caller.kind : undefined,
        targetId: rule.account === 'caller' ? req.caller?.id : undefined,
        details: {
          limit,
          retryAfterSeconds: seconds,
          ...(typeof account === 'string' ? { [rule.account === 'email' ? 'email' : 'clientId']: account.slice(0, 254) } : {}),
        },
      });
    } catch (error) {
      this.auditLogger.warn(`Could not audit a refused ${rule.auditAction}: ${(error as Error).message}`);
    }
  }
}
