// Is a process slow or starved? Seconds all its threads have run on a CPU and waited for one while runnable,
// from /proc/PID/task/N/schedstat (Linux): a broker that waits for a CPU as long as it runs is starved by the
// machine's other load, not limited by its own work. Used by bench/fuzz/probe-check.ts and
// bench/stream/load.mjs.
import { readdirSync, readFileSync } from 'node:fs';

/** Seconds process `pid` has run and waited to run, summed over its threads; null if not known. */
export function schedstat(pid: number | undefined): { run: number; wait: number } | null {
  if (pid === undefined) return null;
  try {
    let run = 0;
    let wait = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const [r, w] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ');
      run += Number(r);
      wait += Number(w);
    }
    return { run: run / 1e9, wait: wait / 1e9 };
  } catch {
    return null;
  }
}
