import { createParamDecorator, ExecutionContext } from '@nestjs/common';

/** Where an unauthenticated call came from: for the audit trail of logins and token requests. */
export interface RequestOrigin {
  ip: string;
  requestId: string;
}

export const CurrentOrigin = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestOrigin => {
  const req = ctx.switchToHttp().getRequest<{ ip: string; id: string }>();
  return { ip: req.ip, requestId: String(req.id) };
});
