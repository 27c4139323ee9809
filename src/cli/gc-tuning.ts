// V8's young generation, tuned for a broker process (`warren server` only: an embedding host's VM is its own).
//
// A broker allocates fast, and a backlog being drained holds many messages for tens of milliseconds, so with
// V8's default new space (semi-spaces growing to 16 MiB) megabytes are alive at each scavenge and copying
// them is a pause every connection feels. On 2 CPUs the parallel scavenge makes it worse: the main thread
// waits for helper threads that the clients and the libuv pool have descheduled. bench/durability/offloop.mjs
// on this 2-core machine (loaded, 1,000,000-message drain, BENCHMARKS.md): scavenge p50/p99 5-6 / 40-135 ms
// by default, 1.3-1.5 / 5-25 ms with 4 MiB semi-spaces and one scavenger thread, and no more broker CPU a
// message (compare.sh: equal or lower in every scenario).
//
// The old generation starts at 64 MiB (`--initial-old-space-size=64`) instead of growing from a few MiB: under
// connection churn (the Stream fuzzer's 3,000 connections a second, each leaving its socket and session to be
// promoted) a 15-20 MiB live heap had a mark-compact every 0.2 s, each a 2-9 ms pause; with it, a third as
// many, and the fuzz probe's p99 went from 10.8-11.8 to 7.5-8.7 ms (BENCHMARKS.md, tenth sitting). The cost is
// that much more heap before the first full GC (RSS after a million cases ~135 MiB against ~120).
//
// Both sizes only count at launch: bin/warren's first line and `npm start` pass them (SERVER_NODE_FLAGS). The
// single scavenger thread is set here, at run time (it takes effect at the next scavenge). What the operator names (`node --parallel-scavenge …`, NODE_OPTIONS)
// is left as given.
import { setFlagsFromString } from 'node:v8';

/** Node flags `warren server` is launched with (bin/warren, package.json's start, the bench scripts). */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=4', '--initial-old-space-size=64'];

/** Set the run-time V8 flags the operator did not name; returns those set. */
export function tuneGc(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions = process.env.NODE_OPTIONS,
  set: (flag: string) => void = setFlagsFromString,
): string[] {
  const named = (name: string): boolean =>
    execArgv.some((a) => a.includes(name)) || (nodeOptions !== undefined && nodeOptions.includes(name));
  const flags = named('parallel-scavenge') ? [] : ['--no-parallel-scavenge'];
  for (const f of flags) set(f);
  return flags;
}
