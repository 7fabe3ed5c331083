import { Controller, ExecutionContext, Post } from '@nestjs/common';
import { SkipThrottle, Throttle, ThrottlerGuard } from '@nestjs/throttler';
import type { AuditService } from '@app/audit';
import { Caller, DomainError } from '@app/common';
import { FixedWindowThrottlerStorage } from './fixed-window-storage';
import { AuthRateLimited, RateLimiter, rateLimitOptions } from './rate-limit';
import { StaticMetadataReflector } from './static-metadata-reflector';

@Controller('probe')
class ProbeController {
  @Post('plain')
  plain() {}

  @Post('skipped')
  @SkipThrottle()
  skipped() {}

  @Post('tight')
  @Throttle({ default: { limit: 1, ttl: 60_000 } })
  tight() {}

  @Post('dynamic')
  @Throttle({ default: { limit: () => 2, ttl: 60_000 } })
  dynamic() {}

  @Post('login')
  @AuthRateLimited('email', 'auth.login.throttled')
  login() {}
}

const handlers = ProbeController.prototype as unknown as Record<string, () => void>;
const options = rateLimitOptions({ rateLimit: { perMinute: 3, authPerMinute: 2 } } as Parameters<typeof rateLimitOptions>[0]);

function call(guard: ThrottlerGuard, handler: string, caller?: Caller, body?: object) {
  const headers: Record<string, string> = {};
  const req = { headers: {}, ip: '10.0.0.1', caller, body };
  const res = { header: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)) };
  const ctx = {
    getHandler: () => handlers[handler],
    getClass: () => ProbeController,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
  return guard.canActivate(ctx).then(
    (allowed) => ({ allowed, headers }),
    (error: unknown) => ({ allowed: error instanceof DomainError ? error.code : String(error), headers }),
  );
}

async function guards() {
  const audit = { record: jest.fn().mockResolvedValue(undefined) };
  const ours = new RateLimiter(options, new FixedWindowThrottlerStorage(), audit as unknown as AuditService);
  // @nestjs/throttler's own guard with the same options, trackers and refusal: what ours must equal.
  const library = new (class extends ThrottlerGuard {
    protected override throwThrottlingException = (ctx: ExecutionContext, detail: Parameters<RateLimiter['throwThrottlingException']>[1]) =>
      RateLimiter.prototype['throwThrottlingException'].call({ ...this, auditRefusal: async () => {} }, ctx, detail);
  })(options, new FixedWindowThrottlerStorage(), new StaticMetadataReflector());
  await ours.onModuleInit();
  await library.onModuleInit();
  return { ours, library, audit };
}

/** Runs the same requests through both guards; every answer and header (but X-RateLimit-Reset's seconds) must match. */
async function same(steps: [string, Caller?, object?][]) {
  const { ours, library, audit } = await guards();
  const answers: unknown[] = [];
  for (const [handler, caller, body] of steps) {
    const [a, b] = [await call(ours, handler, caller, body), await call(library, handler, caller, body)];
    for (const r of [a, b]) if (r.headers['x-ratelimit-reset']) r.headers['x-ratelimit-reset'] = '<s>';
    expect(a).toEqual(b);
    answers.push(a);
  }
  return { answers, audit };
}

const alice: Caller = { id: 'alice', kind: 'api-key', roles: ['consumer'] };
const bob: Caller = { id: 'bob', kind: 'api-key', roles: ['consumer'] };

describe('RateLimiter (settings resolved once per handler)', () => {
  it('limits each caller across routes as @nestjs/throttler does, with the same headers and the 429 after the limit', async () => {
    const { answers } = await same([
      ['plain', alice],
      ['plain', alice],
      ['plain', bob],
      ['tight', alice],
      ['plain', alice],
      ['plain', bob],
    ]);
    expect(answers[0]).toEqual({
      allowed: true,
      headers: { 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': '<s>' },
    });
    expect(answers.map((a) => (a as { allowed: unknown }).allowed)).toEqual([true, true, true, 'RATE_LIMITED', 'RATE_LIMITED', true]);
  });

  it('honours @SkipThrottle, a route @Throttle, and a limit given as a function (read per request)', async () => {
    const { answers } = await same([
      ['skipped', alice],
      ['skipped', alice],
      ['skipped', alice],
      ['skipped', alice],
      ['dynamic', bob],
      ['dynamic', bob],
      ['dynamic', bob],
    ]);
    expect(answers.slice(0, 4)).toEqual(Array(4).fill({ allowed: true, headers: {} }));
    expect(answers.slice(4).map((a) => (a as { allowed: unknown }).allowed)).toEqual([true, true, 'RATE_LIMITED']);
  });

  it('adds the per-IP and per-account budgets on @AuthRateLimited routes only, and audits their refusal', async () => {
    const { answers, audit } = await same([
      ['login', undefined, { email: 'a@b.test' }],
      ['login', undefined, { email: 'a@b.test' }],
      ['login', undefined, { email: 'c@d.test' }],
    ]);
    expect(answers.map((a) => (a as { allowed: unknown }).allowed)).toEqual([true, true, 'RATE_LIMITED']);
    expect(audit.record).toHaveBeenCalledWith(expect.objectContaining({ action: 'auth.login.throttled' }));
  });

  it('counts an allowed request without a promise on in-memory counters; through the library on others (Redis)', async () => {
    const audit = { record: jest.fn() } as unknown as AuditService;
    const memory = new RateLimiter(options, new FixedWindowThrottlerStorage(), audit);
    // Redis-like: counters only through a promise.
    const counters = new FixedWindowThrottlerStorage();
    const remote = new RateLimiter(
      options,
      { increment: (...args: Parameters<typeof counters.increment>) => counters.increment(...args) },
      audit,
    );
    for (const guard of [memory, remote]) await guard.onModuleInit();
    const ctx = (caller: Caller) => {
      const req = { headers: {}, ip: '10.0.0.1', caller };
      const res = { header: () => undefined };
      return {
        getHandler: () => handlers.plain,
        getClass: () => ProbeController,
        getType: () => 'http',
        switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
      } as unknown as ExecutionContext;
    };
    expect(memory.admit(ctx(alice))).toBe(true);
    const viaPromise = remote.admit(ctx(alice));
    expect(viaPromise).toBeInstanceOf(Promise);
    await expect(viaPromise).resolves.toBe(true);
    // A refusal is the library's 429 either way (perMinute is 3 here).
    for (const guard of [memory, remote]) {
      for (let i = 0; i < 3; i++) expect(await guard.admit(ctx(bob))).toBe(true);
      await expect(Promise.resolve().then(() => guard.admit(ctx(bob)))).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    }
  });
});
