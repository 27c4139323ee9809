// The short fuzz run of npm test: 2,000 cases per protocol (AMQP 0-9-1, MQTT 3.1/3.1.1/5, STOMP, Stream, management
// API) against a broker child, with a probe connection doing publish-confirm round trips all along. No
// crash, no error in the broker's log, no case the broker leaves hanging, the probe never disconnected and
// never stalled. The full run (1,000,000 cases, memory, probe p99) is bench/fuzz/run.ts. FUZZ_SEED picks
// another seed (default 1); a failure names its seed and case numbers for `run.js --only`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FuzzBroker, runCases } from './lib/harness.js';
import { Probe } from './lib/probe.js';
import { TARGETS } from './lib/targets.js';

const SEED = Number(process.env.FUZZ_SEED ?? 1);
const CASES = 2000;

for (const name of ['amqp', 'mqtt', 'stomp', 'stream', 'http']) {
  test(`${name}: ${CASES} fuzz cases, no crash, no error logged, no hang, the probe undisturbed`, async (t) => {
    const broker = await FuzzBroker.start();
    try {
      const probe = new Probe(`amqp://guest:guest@127.0.0.1:${broker.ports.amqp}/`);
      const r = await runCases({ target: TARGETS[name]!, broker, seed: SEED, cases: CASES, concurrency: 16 });
      const p = await probe.stop();
      t.diagnostic(
        `${r.cases} cases in ${r.ms} ms; probe ${p.n} round trips, p50 ${p.p50.toFixed(1)} ms, p99 ${p.p99.toFixed(1)} ms, max ${p.max.toFixed(1)} ms; outcomes ${JSON.stringify(r.outcomes)}`,
      );
      assert.deepEqual(broker.failures, [], `broker errors (seed ${SEED})`);
      assert.ok(broker.alive, 'the broker is alive');
      assert.deepEqual(r.hangs, [], `cases the broker left open (seed ${SEED})`);
      assert.equal(r.cases, CASES);
      assert.deepEqual(p.errors, [], 'the probe connection was not disturbed');
      assert.ok(p.n > 0, 'the probe made round trips');
      // a stall, not latency: p99 on a shared CI machine is in BENCHMARKS.md, measured by bench/fuzz/run.ts
      assert.ok(p.max < 3000, `a probe round trip took ${p.max} ms`);
    } finally {
      await broker.stop();
    }
  });
}
