// Timing for the micro-benchmarks: warm up, then run whole batches in slices of ~100 ms for the given time,
// and report the median and the best slice in ops per second of this process's CPU time (user + system,
// process.cpuUsage), not wall-clock time: on a shared machine the process is descheduled for a good part of
// any wall-clock interval, and that time is the neighbours', not the code's.
const seconds = Number(process.argv[2] ?? 2);

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** `fn` runs one batch and returns how many operations it did. */
export function measure(fn: () => number): string {
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) fn();
  const rates: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    let ops = 0;
    const c0 = cpuMicros();
    const t1 = performance.now() + 100;
    while (performance.now() < t1) ops += fn();
    const cpu = cpuMicros() - c0;
    if (cpu > 0) rates.push(ops / (cpu / 1e6));
  }
  rates.sort((a, b) => a - b);
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);
  return `${fmt(rates[rates.length >> 1]!)} msg/s median, ${fmt(rates[rates.length - 1]!)} best (per CPU second)`;
}
