import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { requestTraceOf, type TraceIds } from '../logging/trace-scope';

export const ROLES = ['consumer', 'ml-engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** admin > ml-engineer > consumer: a role includes every role ranked below it. */
export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

export function hasRole(roles: readonly Role[], needed: Role): boolean {
  return roles.some((r) => roleRank(r) >= roleRank(needed));
}

/** Who is calling: a signed-in user or a service account (API key / client credentials). */
export interface Caller {
  readonly id: string;
  readonly kind: 'user' | 'api-key';
  readonly roles: readonly Role[];
  readonly email?: string;
  /** Set for users authenticated by JWT: the token id, for revocation and audit. */
  readonly tokenId?: string;
  /**
   * Set for users authenticated by JWT: the account's credential version the token was issued at.
   * A password change or reset, a disable or a role change moves the account on, refusing older tokens.
   */
  readonly credentialVersion?: number;
  /** Users only: may approve or reject promotion requests (the account's `approver` flag). */
  readonly approver?: boolean;
}

/** The authenticated caller of this request (set by the global auth guard). */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller | undefined => {
  return ctx.switchToHttp().getRequest<{ caller?: Caller }>().caller;
});

/**
 * The caller plus where the call came from: what services need to authorise, attribute and audit
 * an action without knowing about HTTP.
 */
export interface Actor {
  readonly caller: Caller;
  readonly requestId: string;
  readonly ip: string;
  /** The request's trace (absent outside HTTP): usage events, training jobs and events carry it on. */
  readonly trace?: TraceIds;
}

/** `@CurrentActor() actor: Actor` — the authenticated caller with the request id and client ip. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor | undefined =>
  actorOf(ctx.switchToHttp().getRequest<{ caller?: Caller; id: string; ip: string; raw?: object }>()),
);

/** `raw`: the Node request (Fastify's `request.raw`), which holds the trace. */
export function actorOf(req: { caller?: Caller; id: string; ip: string; raw?: object }): Actor | undefined {
  if (!req.caller) return undefined;
  return { caller: req.caller, requestId: String(req.id), ip: req.ip, trace: req.raw && requestTraceOf(req.raw) };
}
