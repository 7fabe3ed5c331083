import { AsyncLocalStorage } from 'node:async_hooks';
import { ContextActivity } from './context-activity';

/**
 * Where a piece of work stands in a distributed trace (W3C Trace Context ids, lower-case hex): the
 * trace, this work's own span, and the caller's span when the trace came with the request.
 * @app/observability parses and formats them (`traceparent`); this is all the rest needs to know.
 */
export interface TraceIds {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits: this service's span (the request's SERVER span, a job's run, a delivery's CLIENT span). */
  readonly spanId: string;
  /** The caller's span (its `traceparent`); absent when this service started the trace. */
  readonly parentSpanId?: string;
}

const scope = new AsyncLocalStorage<TraceIds>();
ContextActivity.track(scope);

/**
 * The trace of the work in progress, for code that has no request in hand: log lines (the root
 * logger's mixin), the event outbox (the trace of the request that caused an event), background
 * work that runs on behalf of a traced request (a training job, a webhook delivery). Requests on
 * Nest's router run in their trace's scope (RequestContextHook); the lean inference routes do not
 * (their one log line names the trace itself, and their usage event takes it from the Actor).
 */
export const TraceScope = {
  /** Runs `work` in the trace's scope; the scope stays enabled until a promise it returns settles. */
  run<T>(ids: TraceIds, work: () => T): T {
    const end = ContextActivity.begin();
    let result: T;
    try {
      result = scope.run(ids, work);
    } catch (error) {
      end();
      throw error;
    }
    if (result instanceof Promise) result.then(end, end);
    else end();
    return result;
  },
  current(): TraceIds | undefined {
    return scope.getStore();
  },
};

/** The trace fields of a log line written in a trace's scope (pino's `mixin`). */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const ids = scope.getStore();
  // A new object each time: pino merges the line's own fields into it.
  return ids ? { traceId: ids.traceId, spanId: ids.spanId } : {};
}

/** The trace a request carries (set with its id, request pipeline step 1). */
export function requestTraceOf(req: object): TraceIds | undefined {
  return (req as { trace?: TraceIds }).trace;
}
