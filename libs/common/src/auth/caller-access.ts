import { Inject, Injectable, Logger, MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { streamsConfig, type StreamsConfig } from './streams.config';
import { InjectConfig } from '../config/config-slice';
import { DomainError } from '../errors/domain-error';
import type { ErrorCode } from '../errors/error-codes';
import { Actor, Caller, hasRole, Role } from './caller';

/** Why a credential that authenticated a caller no longer holds: the code a new request with it gets (401). */
export type RevocationCode = 'CREDENTIALS_REVOKED' | 'TOKEN_REVOKED';

/** A caller as it stands now: its current roles, or why its credential was revoked. */
export type CallerStanding =
  | { readonly ok: true; readonly caller: Caller }
  | { readonly ok: false; readonly code: RevocationCode; readonly detail: string };

/** Whose standing may have changed; 'all' when changes may have been missed (the cluster events resynced). */
export type StandingChange = { readonly kind: Caller['kind']; readonly id: string } | 'all';

/**
 * What auth tells the rest of the app about callers authenticated earlier, for responses that
 * outlive their request (event streams). A port: libs may not import auth.
 */
export interface CallerAccess {
  /** The caller's standing now, judged as a new request with the same credential would be. */
  recheck(caller: Caller): Promise<CallerStanding>;
  /** Called when a user or key changes on this replica or another one; returns the unsubscribe function. */
  watch(listener: (change: StandingChange) => void): () => void;
}

export const CALLER_ACCESS = Symbol('CALLER_ACCESS');

/** How often an open stream re-checks its caller without being told (change events are best effort). */
export const STREAM_RECHECK_MS = 5_000;
/** A refused stream's Retry-After: when a slot frees is up to the caller's other streams. */
const STREAM_RETRY_AFTER_SECONDS = 10;

export interface HeldStreamRules {
  /** The least role the route needs (what the guard checked when the stream opened). */
  readonly role: Role;
  /** The resource's own rule (e.g. owner or admin), asked again with the caller's current roles. */
  readonly allowed?: (caller: Caller) => boolean;
}

/**
 * Long-lived responses (Server-Sent Events) keep to the access rules for as long as they are open,
 * not just when they start: a stream ends, with a last `revoked` event, as soon as its caller
 * loses access (user disabled or deleted, password changed, role removed, key revoked or expired).
 * It is told by the caller directory's change events (this replica and, through the cluster
 * events, the others) and re-checks every STREAM_RECHECK_MS besides. Each caller may hold
 * SSE_MAX_STREAMS_PER_CALLER streams at once on a replica; the next one is refused with a 429
 * before any header is sent, and a stream's slot is freed however it ends (done, revoked, or
 * closed by the client).
 */
@Injectable()
export class CallerStreams {
  private readonly logger = new Logger(CallerStreams.name);
  private readonly openByCaller = new Map<string, number>();

  constructor(
    @Inject(CALLER_ACCESS) private readonly access: CallerAccess,
    @InjectConfig(streamsConfig) private readonly config: StreamsConfig,
  ) {}

  /** Streams currently open for this caller on this replica. */
  openFor(caller: Pick<Caller, 'kind' | 'id'>): number {
    return this.openByCaller.get(slotKey(caller)) ?? 0;
  }

  /**
   * `source`, subscribed only once a slot is taken, and ended when the caller loses access.
   * The slot is taken on subscription (synchronously, so a refusal is still an ordinary 429 answer).
   */
  hold(actor: Actor, rules: HeldStreamRules, source: Observable<MessageEvent>): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      const caller = actor.caller;
      const key = slotKey(caller);
      const max = this.config.maxPerCaller;
      const open = this.openByCaller.get(key) ?? 0;
      if (open >= max) {
        subscriber.error(
          new DomainError('rate-limited', 'TOO_MANY_STREAMS', `At most ${max} event streams may be open at once; close one and retry.`, {
            headers: { 'Retry-After': String(STREAM_RETRY_AFTER_SECONDS) },
          }),
        );
        return;
      }
      this.openByCaller.set(key, open + 1);

      let ended = false;
      const end = (last?: MessageEvent) => {
        if (ended) return;
        ended = true;
        if (last) subscriber.next(last);
        subscriber.complete();
      };

      // One check at a time; a change that arrives during one is checked again after it.
      let checking = false;
      let again = false;
      const check = async (): Promise<void> => {
        if (ended) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        try {
          do {
            again = false;
            const lost = await this.lost(caller, rules);
            if (lost) return end({ type: 'revoked', data: lost });
          } while (again && !ended);
        } catch (error) {
          // The directory already serves known callers through short database outages
          // (STALE_IF_ERROR_MS); past that, a new request would fail, so the stream ends too.
          this.logger.warn(`An event stream of ${key} ended: its caller could not be re-checked (${(error as Error).message}).`);
          end();
        } finally {
          checking = false;
        }
      };

      const unwatch = this.access.watch((change) => {
        if (change === 'all' || (change.kind === caller.kind && change.id === caller.id)) void check();
      });
      const timer = setInterval(() => void check(), STREAM_RECHECK_MS);
      timer.unref();
      const inner = source.subscribe({
        next: (event) => {
          if (!ended) subscriber.next(event);
        },
        error: (error: unknown) => {
          ended = true;
          subscriber.error(error);
        },
        complete: () => end(),
      });

      return () => {
        ended = true;
        unwatch();
        clearInterval(timer);
        inner.unsubscribe();
        const left = (this.openByCaller.get(key) ?? 1) - 1;
        if (left > 0) this.openByCaller.set(key, left);
        else this.openByCaller.delete(key);
      };
    });
  }

  /** Why the caller may no longer follow the stream (the data of the `revoked` event), or null. */
  private async lost(caller: Caller, rules: HeldStreamRules): Promise<StreamRevocation | null> {
    const standing = await this.access.recheck(caller);
    if (!standing.ok) return { status: 401, code: standing.code, detail: standing.detail };
    if (!hasRole(standing.caller.roles, rules.role) || (rules.allowed && !rules.allowed(standing.caller))) {
      return { status: 403, code: 'INSUFFICIENT_ROLE', detail: 'Your roles no longer allow following this stream.' };
    }
    return null;
  }
}

/** The data of a stream's last `revoked` event: the status and code a new request would get. */
export interface StreamRevocation {
  status: 401 | 403;
  code: Extract<ErrorCode, RevocationCode | 'INSUFFICIENT_ROLE'>;
  detail: string;
}

function slotKey(caller: Pick<Caller, 'kind' | 'id'>): string {
  return `${caller.kind}:${caller.id}`;
}
