import { AsyncLocalStorage } from 'node:async_hooks';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { ContextActivity } from './context-activity';
import { TraceScope } from './trace-scope';

const IDS = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };

/** Two macrotasks: the disabling ContextActivity schedules has run. */
async function settle(): Promise<void> {
  await nextMacrotask();
  await nextMacrotask();
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/**
 * A tracked store, an activity begun, and work run in the store with `value` that records the
 * store it sees before and after `open()` (across an await and a macrotask).
 */
function gatedRun(value: string) {
  const store = new AsyncLocalStorage<string>();
  ContextActivity.track(store);
  const end = ContextActivity.begin();
  const { wait, open } = gate();
  const seen: (string | undefined)[] = [];
  const work = store.run(value, async () => {
    seen.push(store.getStore());
    await wait;
    await nextMacrotask();
    seen.push(store.getStore());
  });
  return { store, end, open, seen, work };
}

describe('ContextActivity', () => {
  afterEach(() => settle());

  it('keeps a store across awaits while activity is in flight', async () => {
    const { end, open, seen, work } = gatedRun('request');
    await settle();
    open();
    await work;
    end();
    expect(seen).toEqual(['request', 'request']);
  });

  it('disables the stores once no activity is left (work still pending loses them), and run() enables them again', async () => {
    const { store, end, open, seen, work: pending } = gatedRun('first');
    end();
    expect(ContextActivity.inFlight).toBe(0);
    await settle();
    open();
    await pending;
    // Disabled: Node exits every context of the store (the async_hooks are off for the process).
    expect(seen).toEqual(['first', undefined]);

    const again = await store.run('second', async () => {
      await nextMacrotask();
      return store.getStore();
    });
    expect(again).toBe('second');
  });

  it('ends an activity once, however often its end is called', async () => {
    const before = ContextActivity.inFlight;
    const a = ContextActivity.begin();
    const b = ContextActivity.begin();
    a();
    a();
    expect(ContextActivity.inFlight).toBe(before + 1);
    b();
    expect(ContextActivity.inFlight).toBe(before);
  });
});

describe('TraceScope.run', () => {
  afterEach(() => settle());

  it('holds its scope until the work it returns settles, though every other activity ended', async () => {
    const other = ContextActivity.begin();
    const { wait, open } = gate();
    const run = TraceScope.run(IDS, async () => {
      await wait;
      await nextMacrotask();
      return TraceScope.current();
    });
    other();
    await settle();
    expect(ContextActivity.inFlight).toBe(1);
    open();
    await expect(run).resolves.toEqual(IDS);
    await settle();
    expect(ContextActivity.inFlight).toBe(0);
  });

  it('ends its activity when the work throws or rejects', async () => {
    expect(() =>
      TraceScope.run(IDS, () => {
        throw new Error('sync');
      }),
    ).toThrow('sync');
    await expect(TraceScope.run(IDS, async () => Promise.reject(new Error('async')))).rejects.toThrow('async');
    await settle();
    expect(ContextActivity.inFlight).toBe(0);
  });
});
