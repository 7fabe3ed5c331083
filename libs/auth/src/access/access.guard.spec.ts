import { Controller, ExecutionContext, Get } from '@nestjs/common';
import { Caller, DomainError, Public, Roles } from '@app/common';
import { AccessGuard } from './access.guard';
import type { ApiKeyStrategy } from './api-key.strategy';
import type { JwtStrategy } from './jwt.strategy';
import type { RateLimiter } from './rate-limit';

@Controller('probe')
class ProbeController {
  @Get('open')
  @Public()
  open() {}

  @Get('engineers')
  @Roles('ml-engineer')
  engineers() {}

  @Get('forgotten')
  forgotten() {}
}

@Controller('consumers')
@Roles('consumer')
class ClassLevelController {
  @Get()
  list() {}
}

/** A strategy double: answers as passport would, with the given caller (or a failure). */
function strategy(caller: Caller | null) {
  return {
    getPassportInstance: () => ({
      authenticate: (_name: string, _opts: unknown, done: (err: unknown, user: unknown, info: unknown) => void) => () =>
        done(null, caller ?? false, caller ? undefined : new Error('nope')),
    }),
  };
}

function context(handler: () => void, cls: object, headers: Record<string, string>) {
  const req: Record<string, unknown> = { headers, ip: '127.0.0.1' };
  const ctx = {
    getHandler: () => handler,
    getClass: () => cls,
    getType: () => 'http',
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

const user = (role: Caller['roles'][number]): Caller => ({ id: 'u', kind: 'user', roles: [role] });

async function decide(
  handler: () => void,
  cls: object,
  caller: Caller | null,
  headers: Record<string, string> = { authorization: 'Bearer x' },
) {
  const limiter = { admit: jest.fn().mockResolvedValue(true) };
  const guard = new AccessGuard(
    strategy(caller) as unknown as JwtStrategy,
    strategy(caller) as unknown as ApiKeyStrategy,
    limiter as unknown as RateLimiter,
  );
  const { ctx, req } = context(handler, cls, headers);
  try {
    await guard.canActivate(ctx);
    return { outcome: 'allowed', req, limiter };
  } catch (e) {
    return { outcome: e instanceof DomainError ? `${e.kind}:${e.code}` : String(e), req, limiter };
  }
}

describe('AccessGuard', () => {
  const p = ProbeController.prototype;

  it('lets anyone through a @Public() route without looking at credentials', async () => {
    expect((await decide(p.open, ProbeController, null, {})).outcome).toBe('allowed');
  });

  it('answers 401 without credentials on any other route', async () => {
    expect((await decide(p.engineers, ProbeController, null, {})).outcome).toBe('unauthenticated:UNAUTHENTICATED');
    expect((await decide(p.engineers, ProbeController, null)).outcome).toBe('unauthenticated:TOKEN_INVALID');
  });

  it('applies the role hierarchy and sets the caller', async () => {
    expect((await decide(p.engineers, ProbeController, user('consumer'))).outcome).toBe('forbidden:INSUFFICIENT_ROLE');
    const ok = await decide(p.engineers, ProbeController, user('ml-engineer'));
    expect(ok.outcome).toBe('allowed');
    expect(ok.req.caller).toEqual(user('ml-engineer'));
    expect((await decide(p.engineers, ProbeController, user('admin'))).outcome).toBe('allowed');
  });

  it('treats a route that declares nothing as admin-only (deny by default)', async () => {
    expect((await decide(p.forgotten, ProbeController, user('consumer'))).outcome).toBe('forbidden:INSUFFICIENT_ROLE');
    expect((await decide(p.forgotten, ProbeController, user('ml-engineer'))).outcome).toBe('forbidden:INSUFFICIENT_ROLE');
    expect((await decide(p.forgotten, ProbeController, user('admin'))).outcome).toBe('allowed');
  });

  it('reads @Roles() on the controller class', async () => {
    expect((await decide(ClassLevelController.prototype.list, ClassLevelController, user('consumer'))).outcome).toBe('allowed');
  });

  it('counts failed authentications against the rate limit before refusing them', async () => {
    const { outcome, limiter } = await decide(p.engineers, ProbeController, null);
    expect(outcome).toBe('unauthenticated:TOKEN_INVALID');
    expect(limiter.admit).toHaveBeenCalledTimes(1);
  });

  it('refuses two credentials at once and unsupported schemes', async () => {
    expect((await decide(p.engineers, ProbeController, user('admin'), { authorization: 'Bearer x', 'x-api-key': 'k' })).outcome).toBe(
      'unauthenticated:AMBIGUOUS_CREDENTIALS',
    );
    expect((await decide(p.engineers, ProbeController, user('admin'), { authorization: 'Basic eDp5' })).outcome).toBe(
      'unauthenticated:UNSUPPORTED_AUTHORIZATION',
    );
  });

  describe('an X-API-Key whose standing is cached', () => {
    const key = { 'x-api-key': 'mgk_cached' };
    const service: Caller = { id: 'k', kind: 'api-key', roles: ['ml-engineer'] };
    /** An API-key strategy double: validateNow answers from the "cache" (a caller, undefined, or a refusal); validate from the database. */
    function withKey(now: Caller | undefined | Error, limiterAnswer: boolean | Promise<boolean> = true) {
      const apiKey = {
        validateNow: jest.fn(() => {
          if (now instanceof Error) throw now;
          return now;
        }),
        validate: jest.fn(async () => {
          if (now instanceof Error) throw now;
          return service;
        }),
      };
      const limiter = { admit: jest.fn(() => limiterAnswer) };
      const guard = new AccessGuard(
        strategy(null) as unknown as JwtStrategy,
        apiKey as unknown as ApiKeyStrategy,
        limiter as unknown as RateLimiter,
      );
      return { guard, apiKey, limiter };
    }

    it('answers without a promise when the limiter counts without one, and sets the caller', () => {
      const { guard, apiKey, limiter } = withKey(service);
      const { ctx, req } = context(p.engineers, ProbeController, key);
      expect(guard.canActivate(ctx)).toBe(true);
      expect(req.caller).toEqual(service);
      expect(apiKey.validate).not.toHaveBeenCalled();
      expect(limiter.admit).toHaveBeenCalledTimes(1);
      // The role still decides, synchronously.
      expect(() => guard.canActivate(context(p.forgotten, ProbeController, key).ctx)).toThrow(
        expect.objectContaining({ code: 'INSUFFICIENT_ROLE' }),
      );
    });

    it('awaits the limiter when it counts through a promise (Redis)', async () => {
      const { guard } = withKey(service, Promise.resolve(true));
      const answer = guard.canActivate(context(p.engineers, ProbeController, key).ctx);
      expect(answer).toBeInstanceOf(Promise);
      await expect(answer).resolves.toBe(true);
    });

    it('takes the full path when the standing is not cached, or the key is refused (the limiter still counts it)', async () => {
      const unknown = withKey(undefined);
      const first = unknown.guard.canActivate(context(p.engineers, ProbeController, key).ctx);
      expect(first).toBeInstanceOf(Promise);
      await expect(first).resolves.toBe(true);
      expect(unknown.apiKey.validate).toHaveBeenCalledTimes(1);

      const refused = withKey(new DomainError('unauthenticated', 'API_KEY_INVALID', 'The API key is unknown, revoked or expired.'));
      await expect(refused.guard.canActivate(context(p.engineers, ProbeController, key).ctx)).rejects.toMatchObject({
        code: 'API_KEY_INVALID',
      });
      expect(refused.limiter.admit).toHaveBeenCalledTimes(1);
    });
  });
});
