import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuUs, idleShare, machineTicks, rssMb, threadCpuUs, threadVerdict } from './proc-stat';

const spin = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    /* burn CPU on this thread */
  }
};

/**
 * Reads this process's threads' CPU until `enough` holds (10 s at most), running `between` in
 * between: spinning for CPU time, not wall time, holds on a loaded machine.
 */
const readUntil = async (enough: (cpu: ReturnType<typeof threadCpuUs>) => boolean, between: () => unknown) => {
  let cpu = threadCpuUs(process.pid);
  const deadline = performance.now() + 10_000;
  while (!enough(cpu) && performance.now() < deadline) {
    await between();
    cpu = threadCpuUs(process.pid);
  }
  return cpu;
};

// /proc is Linux's: the bench runs there (CI and the project machine); elsewhere there is nothing to read.
const onLinux = existsSync(`/proc/${process.pid}/task`) ? describe : describe.skip;

onLinux('proc-stat (this process, read from /proc)', () => {
  it('charges CPU spent on the main thread to main, and a worker thread’s to others', async () => {
    // Spun until the thread has had 200 ms of CPU, not for a fixed wall time: on a loaded machine
    // (CI runs the suites beside Postgres on 2 cores) 300 ms of wall time gave this thread 180 ms.
    const before = threadCpuUs(process.pid);
    const afterMain = await readUntil(
      (cpu) => cpu.main - before.main >= 200_000,
      () => spin(20),
    );
    expect(afterMain.main - before.main).toBeGreaterThanOrEqual(200_000);

    // The worker spins until it is stopped; this thread only polls /proc between timers meanwhile.
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.postMessage('spinning'); for (;;) {}`,
      { eval: true },
    );
    await new Promise((resolve) => worker.once('message', resolve));
    const afterWorker = await readUntil(
      (cpu) => cpu.others - afterMain.others >= 200_000,
      () => sleep(20),
    );
    await worker.terminate();
    const others = afterWorker.others - afterMain.others;
    expect(others).toBeGreaterThanOrEqual(200_000);
    // Waiting for the worker cost the main thread a small part of what the worker spent.
    expect(afterWorker.main - afterMain.main).toBeLessThan(others / 2);
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
