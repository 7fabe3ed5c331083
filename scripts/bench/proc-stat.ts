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

/**
 * The whole machine's CPU time so far (`/proc/stat`'s first line, in clock ticks): all of it, and
 * the part no one used (idle + iowait; steal is a neighbour's, counted as busy). The difference of
 * two readings tells whether a load left the machine's cores idle, whoever the threads were.
 */
export function machineTicks(): { total: number; idle: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, idle: fields[3] + fields[4] };
}

/** Share of the machine's CPU left idle between two `machineTicks()` readings (0–1). */
export function idleShare(before: { total: number; idle: number }, after: { total: number; idle: number }): number {
  const total = after.total - before.total;
  return total > 0 ? (after.idle - before.idle) / total : 0;
}

/** Resident memory now and at its peak, MB. */
export function rssMb(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/**
 * What the thread and machine readings say bounds ModelGate's throughput: a main thread that ran
 * nearly all the time, a machine with no CPU left, or neither (its stages wait on each other).
 */
export function threadVerdict(r: { mainThreadBusy?: number; machineIdle?: number }): string {
  if (r.mainThreadBusy === undefined || r.machineIdle === undefined) return '';
  if (r.mainThreadBusy >= 0.95) return 'The main thread ran nearly all the time: it bounds throughput here.';
  if (r.machineIdle <= 0.05) return 'The machine had no CPU left: less CPU per request, on any thread, is what raises throughput here.';
  return 'Neither the main thread nor the machine was full: the stages (HTTP on the main thread, the math on the inference threads) waited on each other.';
}
