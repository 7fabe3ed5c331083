import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process's CPU and memory as Linux /proc reports them: what the servers under load really
 * spent, measured from outside (no instrumentation of their own in the way).
 */

/** utime + stime of a stat line, in microseconds (clock ticks of 10 ms). */
function statCpuUs(path: string): number {
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/** utime + stime of a whole process (every thread), µs. */
export function cpuUs(pid: number): number {
  return statCpuUs(`/proc/${pid}/stat`);
}

/**
 * CPU of a process split by thread, µs: its main thread (the event loop: HTTP, JSON, auth, the
 * batcher) and every other thread together (inference threads, V8's GC helpers, libuv's pool).
 * A thread that ended in between is no longer counted in `others`.
 */
export function threadCpuUs(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const us = statCpuUs(`/proc/${pid}/task/${tid}/stat`);
      if (Number(tid) === pid) main = us;
      else others += us;
    } catch {
      // The thread ended while we read.
    }
  }
  return { main, others };
}

/** Resident memory now and at its peak, MB. */
export function rssMb(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
