// Is a slow probe the broker or the machine? One broker child; for each phase a fresh probe connection doing
// publish → confirm every 5 ms, and the broker's own event-loop delay (broker-child.ts) over the same time:
// first with no fuzzing (the machine's own floor), then fuzz cases at each concurrency. A probe p99 far above
// the broker's loop-delay p99 is time the broker's turns do not account for (the OS not running the broker or
// the probe: a loaded machine); a loop delay as long as the probe's round trips is the broker's turns.
// Each phase also shows how long the broker child and this process (the fuzzer and the probe's thread) ran
// and waited for a CPU (/proc/PID/task/*/schedstat, as shares of the phase): a broker that waits as long as
// it runs is starved by the machine, not slow.
//   nice -n 10 node dist/bench/fuzz/probe-check.js amqp [--seconds 30] [--phases 0,16,64,256]
//   ... --other /path/to/old/checkout [--rounds 3]   (A/B in one run: this build and another build's
//       dist/, alternating phase by phase on two broker children, each phase on both before the next)
//   FUZZ_BROKER_CPU_PROF=/tmp/prof ...     (the broker child's CPU profile, written when it stops)
import { schedstat } from '../lib/schedstat.js';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { FuzzBroker, runCases } from '../../test/fuzz/lib/harness.js';
import { Probe } from '../../test/fuzz/lib/probe.js';
import { reniceProcess } from '../../test/fuzz/lib/isolate.js';
import { cleanup } from '../../test/fuzz/lib/cleanup.js';
import { TARGETS } from '../../test/fuzz/lib/targets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    // the broker and the probe at nice -10, above the fuzzer (test/fuzz/lib/isolate.ts; root only)
    isolate: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '30' },
    phases: { type: 'string', default: '0,16,64,256' },
    seed: { type: 'string', default: '11' },
    other: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const target = TARGETS[positionals[0] ?? 'amqp'];
if (!target) throw new Error(`unknown protocol; one of ${Object.keys(TARGETS).join(', ')}`);
const seconds = Number(values.seconds);

const builds: { name: string; broker: FuzzBroker; first: number }[] = [
  { name: 'this build', broker: await FuzzBroker.start(), first: 0 },
];
if (values.other !== undefined) {
  const script = join(values.other, 'dist/test/fuzz/lib/broker-child.js');
  builds.push({ name: values.other, broker: await FuzzBroker.start({}, {}, script), first: 0 });
}
if (values.isolate)
  for (const b of builds) if (!reniceProcess(b.broker.child.pid!)) console.error('--isolate needs root: not isolated');
console.log(
  '| build | concurrency | cases/s | probe p50 / p99 / max (ms) | broker loop delay p50 / p99 / max (ms) | broker ran / waited, fuzzer ran / waited (share of the phase) | load |',
);
console.log('|---|---|---|---|---|---|---|');
for (let round = 0; round < Number(values.rounds); round++) {
  for (const c of values.phases.split(',').map(Number)) {
    for (const b of builds) {
      const broker = b.broker;
      const probe = new Probe(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}/`, values.isolate);
      await broker.loop();
      const s0 = schedstat(broker.child.pid);
      const f0 = schedstat(process.pid);
      const t0 = Date.now();
      let cases = 0;
      if (c === 0) await new Promise((r) => setTimeout(r, seconds * 1000));
      else {
        const r = await runCases({
          target,
          broker,
          seed: Number(values.seed),
          first: b.first,
          cases: 1e9,
          concurrency: c,
          deadline: t0 + seconds * 1000,
        });
        cases = r.cases;
        b.first += r.cases;
      }
      const loop = await broker.loop();
      const p = await probe.stop();
      const dt = (Date.now() - t0) / 1000;
      const s1 = schedstat(broker.child.pid);
      const f1 = schedstat(process.pid);
      const pct = (a: number, z: number): string => `${Math.round((100 * (z - a)) / dt)}%`;
      const sched =
        s0 && s1 && f0 && f1
          ? `${pct(s0.run, s1.run)} / ${pct(s0.wait, s1.wait)}, ${pct(f0.run, f1.run)} / ${pct(f0.wait, f1.wait)}`
          : '-';
      const f = (n: number): string => n.toFixed(1);
      console.log(
        `| ${b.name} | ${c === 0 ? 'no fuzzing' : c} | ${Math.round((cases * 1000) / (Date.now() - t0))} | ${f(p.p50)} / ${f(p.p99)} / ${f(p.max)} | ${f(loop.p50)} / ${f(loop.p99)} / ${f(loop.max)} | ${sched} | ${loadavg()[0]!.toFixed(1)} |`,
      );
      await cleanup(broker.ports.management);
    }
  }
}
for (const b of builds) {
  if (b.broker.failures.length) console.log(`${b.name}: broker errors:`, b.broker.failures);
  await b.broker.stop();
}
