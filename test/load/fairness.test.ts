// Fairness under load (issue #6), the short version of bench/fairness.mjs: a Node publisher floods 16-byte
// messages flat out (no rate limit, a manual-ack consumer on its queue) while a second connection publishes
// ~100 msg/s with confirms to its own queue and consumes them, and a third, raw, negotiates a 1 s heartbeat.
// The probes must keep getting through. The bound here is generous (p99 < 250 ms) for a noisy shared CI
// machine; the script reports the real figures (BENCHMARKS.md, "Fairness").
// WARREN_TEST_AMQP_URL=amqp://guest:guest@localhost:5672/ runs it against another broker (RabbitMQ).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFairnessCase, startWarrenChild } from '../../bench/fairness/run.js';

test(
  'a flat-out publisher does not starve confirms, deliveries or heartbeats of other connections',
  { timeout: 60000 },
  async () => {
    const ext = process.env['WARREN_TEST_AMQP_URL'];
    const warren = ext ? null : await startWarrenChild();
    try {
      const r = await runFairnessCase(
        ext ?? warren!.uri,
        { size: 16, consumer: 'ack' },
        { seconds: 3, warmup: 0.5, tool: 'node' },
      );
      const detail = JSON.stringify(r);
      assert.equal(r.loadError, null, detail);
      // the load really ran flat out
      assert.ok(r.sentPerS > 10000, `load too slow to mean anything: ${detail}`);
      // ~300 probe messages in the window, all confirmed and delivered, none late by much
      assert.equal(r.probe.error, null, detail);
      assert.equal(r.probe.missing, 0, detail);
      assert.ok(r.probe.confirm.n >= 100, detail);
      assert.ok(r.probe.confirm.p99 < 250, `confirm p99 ${r.probe.confirm.p99} ms: ${detail}`);
      assert.ok(r.probe.deliver.p99 < 250, `publish→deliver p99 ${r.probe.deliver.p99} ms: ${detail}`);
      // heartbeats kept coming (Warren sends one a second for a 1 s heartbeat, RabbitMQ two) and, answered,
      // kept the connection open
      const hb = r.heartbeat;
      assert.equal(hb.closedBy, null, detail);
      assert.ok(hb.gaps.n >= 2, detail);
      assert.ok(hb.late.p99 < 250, `heartbeat late by ${hb.late.p99} ms: ${detail}`);
      assert.ok(hb.longestSilence < 1500, `no heartbeat for ${hb.longestSilence} ms: ${detail}`);
    } finally {
      await warren?.stop();
    }
  },
);
