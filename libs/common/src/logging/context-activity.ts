import type { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Keeps the process's AsyncLocalStorage stores (the request context: pino's request-bound logger
 * and TraceScope) enabled only while work that reads them is in flight.
 *
 * Why: on Node 20 an AsyncLocalStorage enables async_hooks at its first run() and keeps them on, and
 * while they are on every promise in the process runs them (init, before, after), whether or not
 * it belongs to a context. The lean inference routes never read the stores, yet a one-row predict
 * creates ~44 promises: with the stores stubbed out `npm run bench`'s ModelGate served 22 % more
 * requests at 18 % less CPU each (8 of 8 paired segments). So a request on Nest's router, a training
 * run or a webhook delivery begins activity and ends it when done; when none is left the stores are
 * disabled, and the next run() enables them again (Node's own API for both).
 *
 * The disabling waits for a later macrotask (setImmediate): there no promise reaction is on the
 * stack, so turning the hooks off cannot leave Node's async-id stack with a `before` whose `after`
 * it will never see. Work still running after its activity ended (a fire-and-forget write after a
 * response) loses the stores from then on: its log lines lack the trace, nothing else reads them.
 */
const stores = new Set<AsyncLocalStorage<unknown>>();
let inFlight = 0;
let disableScheduled = false;

export const ContextActivity = {
  /** A store to disable when no activity is left (its run() enables it again). */
  track(store: AsyncLocalStorage<unknown>): void {
    stores.add(store);
  },

  /** Work that reads the stores begins; call the returned function when it ends (once is counted). */
  begin(): () => void {
    inFlight += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      inFlight -= 1;
      if (inFlight === 0) scheduleDisable();
    };
  },

  /** Work in flight that reads the stores (for tests and diagnostics). */
  get inFlight(): number {
    return inFlight;
  },
};

function scheduleDisable(): void {
  if (disableScheduled) return;
  disableScheduled = true;
  setImmediate(() => {
    disableScheduled = false;
    if (inFlight === 0) for (const store of stores) store.disable();
  }).unref();
}
