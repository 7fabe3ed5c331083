import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { cpuUs, idleShare, machineTicks, rssMb, threadCpuUs, threadVerdict } from './proc-stat';

const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* burn CPU on this thread */
  }
};

// /proc is Linux's: the bench runs there (CI and the project machine); elsewhere there is nothing to read.
const onLinux = existsSync(`/proc/${process.pid}/task`) ? describe : describe.skip;

onLinux('proc-stat (this process, read from /proc)', () => {
  it('charges CPU spent on the main thread to main, and a worker thread’s to others', async () => {
    const before = threadCpuUs(process.pid);
    spin(300);
    const afterMain = threadCpuUs(process.pid);
    expect(afterMain.main - before.main).toBeGreaterThanOrEqual(200_000);

    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       const until = performance.now() + 300; while (performance.now() < until) {}
       parentPort.postMessage('done'); setTimeout(() => {}, 10000);`,
      { eval: true },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const afterWorker = threadCpuUs(process.pid);
    await worker.terminate();
    expect(afterWorker.others - afterMain.others).toBeGreaterThanOrEqual(200_000);
    // Waiting for the worker cost the main thread little.
    expect(afterWorker.main - afterMain.main).toBeLessThan(200_000);
    expect(cpuUs(process.pid)).toBeGreaterThanOrEqual(afterWorker.main);
  });

  it('reads resident memory now and at its peak', () => {
    const { now, peak } = rssMb(process.pid);
    expect(now).toBeGreaterThan(10);
    expect(peak).toBeGreaterThanOrEqual(now);
  });
});

onLinux('machineTicks (the whole machine, /proc/stat)', () => {
  it('counts the machine’s CPU time, idle included, and reads a busy spell as less idle', () => {
    const before = machineTicks();
    spin(300);
    const after = machineTicks();
    expect(after.total).toBeGreaterThan(before.total);
    expect(after.idle).toBeGreaterThanOrEqual(before.idle);
    const share = idleShare(before, after);
    expect(share).toBeGreaterThanOrEqual(0);
    // This thread kept at least one core busy all along, so at most the others can have idled.
    expect(share).toBeLessThan(1 - 1 / availableParallelism() + 0.15);
  });
});

describe('threadVerdict', () => {
  it('names the main thread when it ran nearly all the time', () => {
    expect(threadVerdict({ mainThreadBusy: 0.97, machineIdle: 0.2 })).toMatch(/main thread .* bounds throughput/);
  });

  it('names the machine when no CPU was left', () => {
    expect(threadVerdict({ mainThreadBusy: 0.85, machineIdle: 0.03 })).toMatch(/no CPU left/);
  });

  it('says the stages waited on each other when neither was full', () => {
    expect(threadVerdict({ mainThreadBusy: 0.83, machineIdle: 0.15 })).toMatch(/waited on each other/);
  });

  it('says nothing without readings', () => {
    expect(threadVerdict({})).toBe('');
  });
});
