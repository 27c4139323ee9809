#!/usr/bin/env node
// Fairness under load (issue #6): one connection publishing flat out must not starve the others. For each
// case (16 B and 64 KiB messages; no consumer on the flooded queue, a manual-ack consumer, a no-ack consumer)
// it runs the load (amqp-perf when built, else bench/fairness/flood.ts) and, at the same time, a probe
// connection publishing ~100 msg/s with confirms to its own queue and consuming them (confirm latency,
// publish → deliver latency), and a raw connection with a 1 s heartbeat (gaps between the broker's heartbeat
// frames; the broker must not close it, as its heartbeats are answered). Prints p50/p99/max per case.
// Bar: p99 ≤ 100 ms for Warren.
//
//   npx tsc -p tsconfig.json
//   node bench/fairness.mjs                                   # Warren, started here as a child process
//   node bench/fairness.mjs --rabbitmq amqp://guest:guest@127.0.0.1:5672/   # and RabbitMQ, alternating
//   node bench/fairness.mjs --uri amqp://guest:guest@127.0.0.1:5680/        # a broker already running
//   options: --seconds 5 --warmup 1 --tool amqp-perf|node --cases 16:none,65536:autoack,16:autoack:mqtt --json
//   (a case ending in :mqtt floods over MQTT, bench/fairness/flood-mqtt.ts; the probes stay AMQP)
import { parseArgs } from 'node:util';
import { findAmqpPerf, runFairnessCase, startWarrenChild } from '../dist/bench/fairness/run.js';

const { values } = parseArgs({
  options: {
    uri: { type: 'string' },
    rabbitmq: { type: 'string' },
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    tool: { type: 'string' },
    cases: { type: 'string', default: '16:none,16:ack,16:autoack,65536:none,65536:ack,65536:autoack' },
    mqtt: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

const amqpPerf = findAmqpPerf();
const tool = values.tool ?? (amqpPerf !== null ? 'amqp-perf' : 'node');
if (tool === 'amqp-perf' && amqpPerf === null) {
  console.error('amqp-perf not found: build it with shared/bench/build.sh, set AMQP_PERF, or use --tool node');
  process.exit(2);
}
// size:consumer[:mqtt] (an MQTT load: its flat-out publisher and QoS 0 subscriber are MQTT, the probes AMQP)
const cases = values.cases.split(',').map((c) => {
  const [size, consumer, protocol] = c.split(':');
  return { size: Number(size), consumer, protocol: protocol === 'mqtt' ? 'mqtt' : 'amqp' };
});
const wantMqtt = cases.some((c) => c.protocol === 'mqtt');
const opts = { seconds: Number(values.seconds), warmup: Number(values.warmup), tool, amqpPerf: amqpPerf ?? undefined };

const brokers = [];
let warren = null;
// --mqtt: the MQTT listener of the --uri broker; RabbitMQ's (the anchor's) is taken to be on 1883
if (values.uri !== undefined) brokers.push({ name: 'broker', uri: values.uri, mqttUri: values.mqtt });
else {
  warren = await startWarrenChild({ mqtt: wantMqtt });
  brokers.push({ name: 'Warren', uri: warren.uri, mqttUri: warren.mqttUri ?? undefined });
}
if (values.rabbitmq !== undefined) {
  const host = new URL(values.rabbitmq).hostname;
  brokers.push({ name: 'RabbitMQ', uri: values.rabbitmq, mqttUri: `mqtt://guest:guest@${host}:1883` });
}

const f = (x) => (x >= 100 ? Math.round(x).toString() : x.toFixed(1));
const s3 = (s) => (s.n === 0 ? '-' : `${f(s.p50)} / ${f(s.p99)} / ${f(s.max)}`);
const results = [];
console.log(
  `load: ${tool}, ${opts.seconds} s measured after ${opts.warmup} s warm-up; latencies in ms (p50 / p99 / max)`,
);
console.log('');
console.log(
  '| broker | load | load sent/s | load recv/s | confirm | publish→deliver | heartbeat gap | heartbeat late p99 | closed |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
try {
  // case by case, brokers alternating, so both see the machine in the same state
  for (const c of cases) {
    for (const b of brokers) {
      const r = await runFairnessCase(b.uri, c, { ...opts, mqttUri: b.mqttUri });
      results.push({ broker: b.name, ...r });
      const sub = c.protocol === 'mqtt' ? (c.consumer === 'none' ? 'no subscriber' : 'QoS 0 subscriber') : null;
      const who = sub ?? (c.consumer === 'none' ? 'no consumer' : c.consumer);
      const load = `${c.protocol === 'mqtt' ? 'MQTT ' : ''}${c.size >= 1024 ? `${c.size / 1024} KiB` : `${c.size} B`}, ${who}`;
      const hb = r.heartbeat;
      const closed = hb.closedBy ?? r.probe.error ?? r.loadError ?? 'no';
      const miss = r.probe.missing !== 0 ? ` (${r.probe.missing} missing)` : '';
      console.log(
        `| ${b.name} | ${load} | ${Math.round(r.sentPerS).toLocaleString('en-US')} | ${Math.round(r.receivedPerS).toLocaleString('en-US')} | ` +
          `${s3(r.probe.confirm)}${miss} | ${s3(r.probe.deliver)} | ${s3(hb.gaps)} | ${f(hb.late.p99)} | ${closed} |`,
      );
    }
  }
} finally {
  await warren?.stop();
}
if (values.json) console.log(JSON.stringify(results));
