// --isolate for the fuzz scripts (bench/fuzz/run.ts, probe-check.ts) whose bar is another client's latency under load (issue 12's off-loop probe,
// issue 15's fuzz probe): on this 2-core machine the load generator takes a core of its own and competes
// with the broker and the probe for the CPU, as it would not from another machine. Isolated, the broker's
// threads and the probe's thread run at nice -10 and the load generator at its own nice (0, or what it was
// started with), so that the probe's figure is the broker's and not the scheduler's. Needs root (CAP_SYS_NICE);
// without it nothing changes and the scripts say so.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

export const ISOLATED_NICE = -10;

/**
 * Every thread of process `pid` (Linux: nice is per thread, and setpriority on a pid sets only its main
 * thread) to `nice`. False if it is not allowed.
 */
export function reniceProcess(pid: number, nice = ISOLATED_NICE): boolean {
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) setPriority(Number(tid), nice);
    return true;
  } catch {
    return false;
  }
}

/** The calling thread (a worker's own: setpriority(PRIO_PROCESS, 0) is the caller's thread on Linux) to `nice`. */
export function reniceThisThread(nice = ISOLATED_NICE): boolean {
  try {
    setPriority(0, nice);
    return true;
  } catch {
    return false;
  }
}
