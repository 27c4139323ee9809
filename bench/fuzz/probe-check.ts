// Is a slow probe the broker or the machine? One broker child; for each phase a fresh probe connection doing
// publish → confirm every 5 ms, and the broker's own event-loop delay (broker-child.ts) over the same time:
// first with no fuzzing (the machine's own floor), then fuzz cases at each concurrency. A probe p99 far above
// the broker's loop-delay p99 is time the broker's turns do not account for (the OS not running the broker or
// the probe: a loaded machine); a loop delay as long as the probe's round trips is the broker's turns.
//   nice -n 10 node dist/bench/fuzz/probe-check.js amqp [--seconds 30] [--phases 0,16,64,256]
//   FUZZ_BROKER_CPU_PROF=/tmp/prof ...     (the broker child's CPU profile, written when it stops)
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { FuzzBroker, runCases } from '../../test/fuzz/lib/harness.js';
import { Probe } from '../../test/fuzz/lib/probe.js';
import { cleanup } from '../../test/fuzz/lib/cleanup.js';
import { TARGETS } from '../../test/fuzz/lib/targets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '30' },
    phases: { type: 'string', default: '0,16,64,256' },
    seed: { type: 'string', default: '11' },
  },
});
const target = TARGETS[positionals[0] ?? 'amqp'];
if (!target) throw new Error(`unknown protocol; one of ${Object.keys(TARGETS).join(', ')}`);
const seconds = Number(values.seconds);
const broker = await FuzzBroker.start();
let first = 0;
console.log('| concurrency | cases/s | probe p50 / p99 / max (ms) | broker loop delay p50 / p99 / max (ms) | load |');
console.log('|---|---|---|---|---|');
for (const c of values.phases.split(',').map(Number)) {
  const probe = new Probe(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}/`);
  await broker.loop();
  const t0 = Date.now();
  let cases = 0;
  if (c === 0) await new Promise((r) => setTimeout(r, seconds * 1000));
  else {
    const r = await runCases({
      target,
      broker,
      seed: Number(values.seed),
      first,
      cases: 1e9,
      concurrency: c,
      deadline: t0 + seconds * 1000,
    });
    cases = r.cases;
    first += r.cases;
  }
  const loop = await broker.loop();
  const p = await probe.stop();
  const f = (n: number): string => n.toFixed(1);
  console.log(
    `| ${c === 0 ? 'no fuzzing' : c} | ${Math.round((cases * 1000) / (Date.now() - t0))} | ${f(p.p50)} / ${f(p.p99)} / ${f(p.max)} | ${f(loop.p50)} / ${f(loop.p99)} / ${f(loop.max)} | ${loadavg()[0]!.toFixed(1)} |`,
  );
  await cleanup(broker.ports.management);
}
if (broker.failures.length) console.log('broker errors:', broker.failures);
await broker.stop();
