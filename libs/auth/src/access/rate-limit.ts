import { applyDecorators, ExecutionContext, Injectable, Module, SetMetadata } from '@nestjs/common';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerModuleOptions,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { StaticMetadataReflector } from './static-metadata-reflector';
import { Redis } from 'ioredis';
import { FixedWindowThrottlerStorage } from './fixed-window-storage';
import { RedisThrottlerStorage } from './redis-throttler-storage';
import { ResilientThrottlerStorage } from './resilient-throttler-storage';
import { ApiProblemResponses, APP_CONFIG, AppConfig, Caller, DegradedDependencies, DomainError, redisOptions } from '@app/common';

const AUTH_RATE_LIMIT_KEY = 'modelgate:auth-rate-limit';
const MINUTE_MS = 60_000;

/** Where a sign-in route finds the account being tried (a body field), for the per-account limit. */
export type AccountField = 'email' | 'client_id';

/**
 * Brute-force protection for sign-in routes: AUTH_RATE_LIMIT_PER_MINUTE per client IP and, separately,
 * per account tried, on top of the global per-caller limit.
 */
export const AuthRateLimited = (account: AccountField) =>
  applyDecorators(SetMetadata(AUTH_RATE_LIMIT_KEY, account), ApiProblemResponses(429));

function accountField(ctx: ExecutionContext): AccountField | undefined {
  return Reflect.getMetadata(AUTH_RATE_LIMIT_KEY, ctx.getHandler()) as AccountField | undefined;
}

/**
 * Where counters live: in-memory for one replica; with REDIS_URL, in Redis so the limit holds
 * across replicas, falling back to in-memory counters while Redis is unreachable.
 * Anything implementing @nestjs/throttler's ThrottlerStorage fits.
 */
export const RATE_LIMIT_STORAGE = Symbol('RATE_LIMIT_STORAGE');

function rateLimitStorage(config: AppConfig, degraded?: DegradedDependencies) {
  if (!config.redisUrl) return new FixedWindowThrottlerStorage();
  const redis = new Redis(config.redisUrl, redisOptions.failFast);
  const storage = new ResilientThrottlerStorage(new RedisThrottlerStorage(redis, config.redisKeyPrefix), new FixedWindowThrottlerStorage());
  // Errors surface through the commands (and the fallback); the client would otherwise log each reconnect attempt.
  redis.on('error', () => undefined);
  redis.on('close', () => storage.fallBack());
  redis.on('ready', () => void storage.tryShared());
  degraded?.register('rateLimit', () => ({ status: 'up', storage: storage.mode }));
  return storage;
}

@Module({
  providers: [
    {
      provide: RATE_LIMIT_STORAGE,
      inject: [APP_CONFIG, { token: DegradedDependencies, optional: true }],
      useFactory: rateLimitStorage,
    },
  ],
  exports: [RATE_LIMIT_STORAGE],
})
export class RateLimitStorageModule {}

export function rateLimitOptions(config: Pick<AppConfig, 'rateLimit'>): ThrottlerModuleOptions {
  const auth = { ttl: MINUTE_MS, limit: config.rateLimit.authPerMinute, setHeaders: false };
  return {
    throttlers: [
      // One budget per caller across all routes (not per route): the key ignores the handler.
      { name: 'default', ttl: MINUTE_MS, limit: config.rateLimit.perMinute, generateKey: (_ctx, tracker) => `default:${tracker}` },
      { name: 'auth-ip', ...auth, skipIf: (ctx) => !accountField(ctx), getTracker: (req) => `ip:${String(req.ip)}` },
      {
        name: 'auth-account',
        ...auth,
        skipIf: (ctx) => !accountField(ctx),
        getTracker: (req, ctx) => {
          const value = (req.body as Record<string, unknown> | undefined)?.[accountField(ctx) ?? ''];
          return typeof value === 'string' && value ? `account:${value.trim().toLowerCase()}` : `ip:${String(req.ip)}`;
        },
      },
    ],
  };
}

/**
 * @nestjs/throttler's guard, run by the AccessGuard after authentication so the default budget is
 * per caller (user or key), else per IP; a limit answers a 429 problem with Retry-After.
 */
@Injectable()
export class RateLimiter extends ThrottlerGuard {
  constructor(@InjectThrottlerOptions() options: ThrottlerModuleOptions, @InjectThrottlerStorage() storage: ThrottlerStorage) {
    super(options, storage, new StaticMetadataReflector());
  }

  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const caller = req.caller as Caller | undefined;
    return caller ? `${caller.kind}:${caller.id}` : `ip:${String(req.ip)}`;
  }

  protected override async throwThrottlingException(_ctx: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const seconds = Math.max(1, Math.ceil(detail.timeToBlockExpire || detail.timeToExpire || 1));
    throw new DomainError('rate-limited', 'RATE_LIMITED', `Too many requests; retry in ${seconds} s.`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }
}
