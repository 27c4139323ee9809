// The fuzz run of one protocol (or all) against a broker child: N cases (1,000,000 for the full run), a
// probe connection doing publish-confirm round trips all along, the broker's memory after a GC before and
// after (the leftovers deleted first). Prints progress every 10,000 cases and a JSON summary at the end;
// exits 1 on any crash, unhandled error, hang or disturbed probe.
//   node dist/bench/fuzz/run.js amqp --cases 1000000 [--seed 1] [--concurrency 64] [--minutes M (stop then)]
//   node dist/bench/fuzz/run.js amqp --seed 1 --only 12345 --dump     (replay one case, print its bytes)
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { caseOf, FuzzBroker, runCases, type RunResult } from '../../test/fuzz/lib/harness.js';
import { Probe, type ProbeReport } from '../../test/fuzz/lib/probe.js';
import { reniceProcess } from '../../test/fuzz/lib/isolate.js';
import { cleanup } from '../../test/fuzz/lib/cleanup.js';
import { TARGETS } from '../../test/fuzz/lib/targets.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    // the broker and the probe at nice -10, above the fuzzer (test/fuzz/lib/isolate.ts; root only)
    isolate: { type: 'boolean', default: false },
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    first: { type: 'string', default: '0' },
    // 256 connections at a time: fewer left the 2-core machine idle while cases held their connections open
    // (AMQP: 64 → 1,364 cases/s, 256 → 2,027/s with the cheaper generators; BENCHMARKS.md "Fuzzing")
    concurrency: { type: 'string', default: '256' },
    minutes: { type: 'string' },
    only: { type: 'string' },
    dump: { type: 'boolean', default: false },
  },
});
const names = positionals.length === 0 || positionals[0] === 'all' ? Object.keys(TARGETS) : positionals;
const seed = Number(values.seed);
/** The n most frequent outcomes (unknown class/method ids make hundreds of rare ones; the summary has all). */
const top = (m: Record<string, number>, n: number): Record<string, number> =>
  Object.fromEntries(
    Object.entries(m)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n),
  );
const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;

export interface ProtocolSummary {
  protocol: string;
  seed: number;
  result: RunResult;
  failures: { line: string; inFlight: number[] }[];
  probe: ProbeReport;
  memory: { before: number; after: number; rssBefore: number; rssAfter: number };
  /** The broker's event-loop delay (ms) over the run: a long turn is the broker's, a slow probe with short turns the machine's. */
  brokerLoop: { p50: number; p99: number; max: number };
  /** The machine's 1-minute load average at each progress line (the runs share a 2-core machine). */
  load: { min: number; max: number; mean: number };
}

let bad = false;
for (const name of names) {
  const target = TARGETS[name];
  if (!target) throw new Error(`unknown protocol ${name}; one of ${Object.keys(TARGETS).join(', ')}`);
  if (values.only !== undefined) {
    const i = Number(values.only);
    const c = caseOf(target, seed, i);
    if (values.dump) for (const ch of c.chunks) console.log(ch.toString('hex'));
  }
  const broker = await FuzzBroker.start();
  if (values.isolate && !reniceProcess(broker.child.pid!)) console.error('--isolate needs root: not isolated');
  // warm-up: 1,000 cases of another seed, so the baseline already holds what any run compiles and caches
  // (JIT code, codec caches, pools); what stays above it after the run is what the run left behind
  if (values.only === undefined) {
    await runCases({ target, broker, seed: seed + 1000003, cases: 1000, concurrency: 16 });
    await cleanup(broker.ports.management);
  }
  const probe = new Probe(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}/`, values.isolate);
  await new Promise((r) => setTimeout(r, 1000));
  const m0 = await broker.mem();
  await broker.loop();
  const loads: number[] = [];
  const cases = values.only !== undefined ? 1 : Number(values.cases);
  const first = values.only !== undefined ? Number(values.only) : Number(values.first);
  const result = await runCases({
    target,
    broker,
    seed,
    first,
    cases,
    concurrency: Number(values.concurrency),
    deadline: values.minutes === undefined ? undefined : Date.now() + Number(values.minutes) * 60000,
    onProgress: (n, r) => {
      const p = probe.report();
      loads.push(loadavg()[0]!);
      console.error(
        `${name} ${n} cases ${Math.round((n * 1000) / r.ms)}/s, load ${loadavg()[0]!.toFixed(1)}, hangs ${r.hangs.length}, failures ${broker.failures.length}, probe p99 ${p.p99.toFixed(2)} ms (n ${p.n}), top outcomes ${JSON.stringify(top(r.outcomes, 12))}`,
      );
      if (n % 50000 === 0)
        void cleanup(broker.ports.management)
          .then(() => broker.mem())
          .then((m) =>
            console.error(`${name} ${n} cases: live memory after cleanup ${mb(m.heapUsed + m.arrayBuffers)}`),
          )
          .catch(() => {});
    },
  });
  const brokerLoop = broker.alive ? await broker.loop() : { p50: 0, p99: 0, max: 0 };
  const probeReport = await probe.stop();
  if (broker.alive) await cleanup(broker.ports.management);
  await new Promise((r) => setTimeout(r, 2000));
  const m1 = broker.alive ? await broker.mem() : m0;
  await broker.stop();
  const live = (m: typeof m0): number => m.heapUsed + m.arrayBuffers;
  const summary: ProtocolSummary = {
    protocol: name,
    seed,
    result,
    failures: broker.failures,
    probe: probeReport,
    memory: { before: live(m0), after: live(m1), rssBefore: m0.rss, rssAfter: m1.rss },
    brokerLoop,
    load: {
      min: loads.length ? Math.min(...loads) : 0,
      max: loads.length ? Math.max(...loads) : 0,
      mean: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : 0,
    },
  };
  console.log(JSON.stringify(summary, null, 1));
  console.error(
    `${name}: ${result.cases} cases in ${(result.ms / 1000).toFixed(0)} s, crashes/errors ${broker.failures.length}, hangs ${result.hangs.length}, probe p99 ${probeReport.p99.toFixed(2)} ms (worst 10 s window ${probeReport.worstWindowP99.toFixed(2)} ms, max ${probeReport.max.toFixed(1)} ms, ${probeReport.errors.length} errors), broker event-loop delay p99 ${brokerLoop.p99.toFixed(1)} ms (max ${brokerLoop.max.toFixed(0)}), live memory ${mb(live(m0))} → ${mb(live(m1))}, RSS ${mb(m0.rss)} → ${mb(m1.rss)}`,
  );
  if (broker.failures.length || result.hangs.length || probeReport.errors.length) bad = true;
}
process.exit(bad ? 1 : 0);
