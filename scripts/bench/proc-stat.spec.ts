import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { cpuUs, rssMb, threadCpuUs } from './proc-stat';

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
