// A coarse clock for hot paths (message timestamps, TTL, rates): Date.now() costs a syscall-free but
// non-trivial call per message; 10 ms resolution is plenty (LavinMQ rough_time.cr does the same).
let now = Date.now();
const timer = setInterval(() => {
  now = Date.now();
}, 10);
timer.unref();

export function roughNow(): number {
  return now;
}
