import { Logger, MessageEvent } from '@nestjs/common';
import { Observable, Subject, Subscription } from 'rxjs';
import { DomainError } from '../errors/domain-error';
import { Actor, Caller } from './caller';
import { CallerAccess, CallerStanding, CallerStreams, StandingChange, STREAM_RECHECK_MS } from './caller-access';

/** A caller directory the test controls: who stands how, and the change events. */
class FakeAccess implements CallerAccess {
  readonly standings = new Map<string, CallerStanding>();
  readonly listeners = new Set<(change: StandingChange) => void>();
  rechecks = 0;

  async recheck(caller: Caller): Promise<CallerStanding> {
    this.rechecks += 1;
    return this.standings.get(caller.id) ?? { ok: true, caller };
  }

  watch(listener: (change: StandingChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  change(change: StandingChange): void {
    for (const l of this.listeners) l(change);
  }
}

const engineer: Caller = { id: 'u1', kind: 'user', roles: ['ml-engineer'], email: 'u1@x.test', credentialVersion: 1 };
const actorOf = (caller: Caller): Actor => ({ caller, requestId: 'r', ip: '127.0.0.1' });
const flush = () => new Promise((r) => setImmediate(r));

interface Followed {
  events: MessageEvent[];
  done: 'open' | 'complete' | 'error';
  error?: unknown;
  subscription: Subscription;
}

function follow(stream: Observable<MessageEvent>): Followed {
  const f: Followed = { events: [], done: 'open', subscription: undefined as unknown as Subscription };
  f.subscription = stream.subscribe({
    next: (e) => f.events.push(e),
    complete: () => (f.done = 'complete'),
    error: (e: unknown) => {
      f.done = 'error';
      f.error = e;
    },
  });
  return f;
}

describe('CallerStreams', () => {
  let access: FakeAccess;
  let streams: CallerStreams;
  beforeEach(() => {
    access = new FakeAccess();
    streams = new CallerStreams(access, { maxPerCaller: 2 });
  });

  it('lets a caller hold SSE_MAX_STREAMS_PER_CALLER streams; the next is a 429 until one closes', () => {
    const source = new Subject<MessageEvent>();
    const a = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, source));
    const b = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, source));
    const c = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, source));
    expect([a.done, b.done, c.done]).toEqual(['open', 'open', 'error']);
    expect(c.error).toBeInstanceOf(DomainError);
    expect(c.error).toMatchObject({ kind: 'rate-limited', code: 'TOO_MANY_STREAMS', headers: { 'Retry-After': '10' } });
    // Another caller has slots of its own.
    const other = follow(streams.hold(actorOf({ ...engineer, id: 'u2' }), { role: 'ml-engineer' }, source));
    expect(other.done).toBe('open');
    // Closed by the client: the slot is free again.
    a.subscription.unsubscribe();
    expect(streams.openFor(engineer)).toBe(1);
    const d = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, source));
    expect(d.done).toBe('open');
    // Ended by the source: freed too.
    source.complete();
    expect([b.done, d.done, other.done]).toEqual(['complete', 'complete', 'complete']);
    expect(streams.openFor(engineer)).toBe(0);
  });

  it('ends a stream with a revoked event when told its caller lost access, and frees its slot', async () => {
    const source = new Subject<MessageEvent>();
    const f = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, source));
    source.next({ type: 'progress', data: { epoch: 1 } });
    // A change to someone else is checked for nobody here.
    access.change({ kind: 'user', id: 'someone-else' });
    await flush();
    expect(access.rechecks).toBe(0);
    access.standings.set('u1', { ok: false, code: 'TOKEN_REVOKED', detail: 'signed out' });
    access.change({ kind: 'user', id: 'u1' });
    await flush();
    expect(f.done).toBe('complete');
    expect(f.events).toEqual([
      { type: 'progress', data: { epoch: 1 } },
      { type: 'revoked', data: { status: 401, code: 'TOKEN_REVOKED', detail: 'signed out' } },
    ]);
    source.next({ type: 'progress', data: { epoch: 2 } });
    expect(f.events).toHaveLength(2);
    expect(streams.openFor(engineer)).toBe(0);
    expect(source.observed).toBe(false);
  });

  it('ends a stream whose caller no longer has the role, or no longer passes the resource rule', async () => {
    const demoted = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, new Subject<MessageEvent>()));
    access.standings.set('u1', { ok: true, caller: { ...engineer, roles: ['consumer'] } });
    access.change('all');
    await flush();
    expect(demoted.events.at(-1)).toEqual({ type: 'revoked', data: expect.objectContaining({ status: 403, code: 'INSUFFICIENT_ROLE' }) });

    const admin: Caller = { ...engineer, id: 'a1', roles: ['admin'] };
    const othersJob = follow(
      streams.hold(actorOf(admin), { role: 'ml-engineer', allowed: (c) => c.roles.includes('admin') }, new Subject<MessageEvent>()),
    );
    access.standings.set('a1', { ok: true, caller: { ...admin, roles: ['ml-engineer'] } });
    access.change({ kind: 'user', id: 'a1' });
    await flush();
    expect(othersJob.done).toBe('complete');
    expect(othersJob.events.at(-1)?.type).toBe('revoked');
  });

  it('re-checks every STREAM_RECHECK_MS without being told (a key that expired, a lost change event)', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const key: Caller = { id: 'k1', kind: 'api-key', roles: ['ml-engineer'] };
      const f = follow(streams.hold(actorOf(key), { role: 'ml-engineer' }, new Subject<MessageEvent>()));
      jest.advanceTimersByTime(STREAM_RECHECK_MS);
      await flush();
      expect(access.rechecks).toBe(1);
      expect(f.done).toBe('open');
      access.standings.set('k1', { ok: false, code: 'CREDENTIALS_REVOKED', detail: 'expired' });
      jest.advanceTimersByTime(STREAM_RECHECK_MS);
      await flush();
      expect(f.done).toBe('complete');
      expect(f.events).toEqual([{ type: 'revoked', data: { status: 401, code: 'CREDENTIALS_REVOKED', detail: 'expired' } }]);
      // Ended: no more checks.
      jest.advanceTimersByTime(STREAM_RECHECK_MS * 3);
      await flush();
      expect(access.rechecks).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('ends the stream when its caller cannot be re-checked at all (database gone past the stale bound)', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const f = follow(streams.hold(actorOf(engineer), { role: 'ml-engineer' }, new Subject<MessageEvent>()));
    access.recheck = async () => {
      throw new Error('database unavailable');
    };
    access.change({ kind: 'user', id: 'u1' });
    await flush();
    expect(f.done).toBe('complete');
    expect(f.events).toEqual([]);
    expect(streams.openFor(engineer)).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('could not be re-checked'));
    warn.mockRestore();
  });
});
