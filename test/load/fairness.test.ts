// Fairness under load (issue #6), the short version of bench/fairness.mjs: a Node publisher floods 16-byte
// messages flat out (no rate limit; an AMQP publisher with a manual-ack consumer on its queue, then an MQTT
// QoS 0 publisher with a QoS 0 subscriber) while a second connection publishes ~100 msg/s with confirms to
// its own queue and consumes them, and a third, raw, negotiates a 1 s heartbeat. The probes must keep
// getting through. The bounds here are generous (p99 < 250 ms) for a noisy shared CI machine; the script
// reports the real figures (BENCHMARKS.md, "Fairness").
// WARREN_TEST_AMQP_URL=amqp://guest:guest@localhost:5672/ runs it against another broker (RabbitMQ; its MQTT
// listener is taken to be on 1883 of the same host).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runFairnessCase, startWarrenChild, type FairnessCase } from '../../bench/fairness/run.js';

const ext = process.env['WARREN_TEST_AMQP_URL'];
let warren: Awaited<ReturnType<typeof startWarrenChild>> | null = null;
let uri = '';
let mqttUri = '';

before(async () => {
  if (ext) {
    uri = ext;
    mqttUri = `mqtt://guest:guest@${new URL(ext).hostname}:1883`;
  } else {
    warren = await startWarrenChild({ mqtt: true });
    uri = warren.uri;
    mqttUri = warren.mqttUri!;
  }
});

after(async () => {
  await warren?.stop();
});

async function assertFair(c: FairnessCase, seconds: number): Promise<void> {
  const r = await runFairnessCase(uri, c, { seconds, warmup: 0.5, tool: 'node', mqttUri });
  const detail = JSON.stringify(r);
  assert.equal(r.loadError, null, detail);
  // the load really ran flat out
  assert.ok(r.sentPerS > 10000, `load too slow to mean anything: ${detail}`);
  // ~100 probe messages a second in the window, all confirmed and delivered, none late by much
  assert.equal(r.probe.error, null, detail);
  assert.equal(r.probe.missing, 0, detail);
  assert.ok(r.probe.confirm.n >= 30 * seconds, detail);
  assert.ok(r.probe.confirm.p99 < 250, `confirm p99 ${r.probe.confirm.p99} ms: ${detail}`);
  assert.ok(r.probe.deliver.p99 < 250, `publish→deliver p99 ${r.probe.deliver.p99} ms: ${detail}`);
  // heartbeats kept coming (for a 1 s heartbeat Warren and RabbitMQ send two a second) and, answered,
  // kept the connection open
  const hb = r.heartbeat;
  assert.equal(hb.closedBy, null, detail);
  assert.ok(hb.gaps.n >= 1, detail);
  assert.ok(hb.late.p99 < 250, `heartbeat late by ${hb.late.p99} ms: ${detail}`);
  assert.ok(hb.longestSilence < 1500, `no heartbeat for ${hb.longestSilence} ms: ${detail}`);
}

test(
  'an AMQP publisher flooding flat out does not starve confirms, deliveries or heartbeats of others',
  { timeout: 60000 },
  () => assertFair({ size: 16, consumer: 'ack' }, 3),
);

test(
  'an MQTT publisher flooding flat out does not starve AMQP confirms, deliveries or heartbeats',
  { timeout: 60000 },
  () => assertFair({ size: 16, consumer: 'autoack', protocol: 'mqtt' }, 2),
);
