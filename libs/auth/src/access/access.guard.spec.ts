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
  const limiter = { canActivate: jest.fn().mockResolvedValue(true) };
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
    expect(limiter.canActivate).toHaveBeenCalledTimes(1);
  });

  it('refuses two credentials at once and unsupported schemes', async () => {
    expect((await decide(p.engineers, ProbeController, user('admin'), { authorization: 'Bearer x', 'x-api-key': 'k' })).outcome).toBe(
      'unauthenticated:AMBIGUOUS_CREDENTIALS',
    );
    expect((await decide(p.engineers, ProbeController, user('admin'), { authorization: 'Basic eDp5' })).outcome).toBe(
      'unauthenticated:UNSUPPORTED_AUTHORIZATION',
    );
  });
});
