// Memory back to baseline after connection churn (issue 15): a broker child takes 4,000 fuzz cases (a new
// connection each: handshakes, garbage, protocol errors, closes), what they declared is deleted, and its live
// memory (heapUsed + arrayBuffers after a full GC) must come back to within MARGIN of what it was after a
// warm-up. What it catches: an AMQP connection closed at its protocol header kept its handshake timer, and
// with it the connection, its socket and output buffer, for the whole handshake_timeout (the broker here has
// one longer than the test, so anything such a timer holds is still there at the end).
// bench/fuzz/mem-check.ts shows what is left by constructor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FuzzBroker, runCases } from './lib/harness.js';
import { cleanup } from './lib/cleanup.js';
import { TARGETS } from './lib/targets.js';

const CASES = 4000;
/** JIT code and caches the run compiles beyond the warm-up's (0.2-0.9 MiB in bench/fuzz/mem-check.ts runs). */
const MARGIN = 2 * 1048576;
const mib = (n: number): string => (n / 1048576).toFixed(2);

for (const name of ['amqp', 'mqtt', 'stomp', 'stream']) {
  test(`${name}: ${CASES} connections' churn leaves live memory within ${mib(MARGIN)} MiB of the baseline`, async (t) => {
    // handshake_timeout longer than the test: a closed connection its timer still held would stay to the end
    const broker = await FuzzBroker.start({ handshakeTimeout: 120000 });
    try {
      const target = TARGETS[name]!;
      // the warm-up as long as the run is wide: caches with a bound fill to their level (Stream: the block
      // reader's free 2 MiB blocks, up to 16; 2 of them after runs like this one)
      await runCases({ target, broker, seed: 1000003, cases: 2000, concurrency: 64 });
      await cleanup(broker.ports.management);
      await new Promise((r) => setTimeout(r, 1500));
      const m0 = await broker.mem();
      const r = await runCases({ target, broker, seed: 5, cases: CASES, concurrency: 64 });
      await cleanup(broker.ports.management);
      // what goes by itself within seconds is not a leak: the close graces of the last cases (1 s after an
      // error), a deleted stream's segments still being written; asked again each second, up to 5 s
      // the Stream block reader's pool of free 2 MiB blocks is a cache with a bound (16 blocks): one block more
      // or less in it after the run is not growth, so it is left out of both figures
      const live = (m: { heapUsed: number; arrayBuffers: number; pooledBlocks: number }): number =>
        m.heapUsed + m.arrayBuffers - m.pooledBlocks;
      const live0 = live(m0);
      let m1 = m0;
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        m1 = await broker.mem();
        if (live(m1) - live0 < MARGIN) break;
      }
      const live1 = live(m1);
      t.diagnostic(
        `${r.cases} cases in ${r.ms} ms; live ${mib(live0)} → ${mib(live1)} MiB (arrayBuffers ${mib(m0.arrayBuffers)} → ${mib(m1.arrayBuffers)}, free stream blocks ${mib(m0.pooledBlocks)} → ${mib(m1.pooledBlocks)})`,
      );
      assert.deepEqual(broker.failures, []);
      assert.equal(r.cases, CASES);
      assert.ok(live1 - live0 < MARGIN, `live memory grew ${mib(live1 - live0)} MiB`);
    } finally {
      await broker.stop();
    }
  });
}
