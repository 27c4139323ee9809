#!/usr/bin/env node
// MQTT throughput: one publisher, one subscriber, small messages, QoS 0 and QoS 1, against any MQTT broker
// (Warren, RabbitMQ's MQTT plugin, mosquitto). Both clients are MQTT.js in this process, so the figure is
// end-to-end messages/s including the client's cost; compare brokers with the same script on the same
// machine, alternating runs.
//
//   node bench/mqtt/throughput.mjs mqtt://127.0.0.1:1884 [count] [rounds]
/* global setImmediate, setTimeout, clearTimeout */
import mqtt from 'mqtt';

const url = process.argv[2] ?? 'mqtt://127.0.0.1:1883';
const count = Number(process.argv[3] ?? 20000);
const rounds = Number(process.argv[4] ?? 3);
const opts = { username: 'guest', password: 'guest', reconnectPeriod: 0, clean: true };
const payload = Buffer.alloc(16, 'x');

async function run(qos) {
  const topic = `bench/${process.pid}/${Date.now()}`;
  const sub = await mqtt.connectAsync(url, { ...opts, clientId: `bench-sub-${process.pid}-${qos}` });
  const pub = await mqtt.connectAsync(url, { ...opts, clientId: `bench-pub-${process.pid}-${qos}` });
  await sub.subscribeAsync(topic, { qos });
  let received = 0;
  const done = new Promise((resolve) =>
    sub.on('message', () => {
      if (++received === count) resolve();
    }),
  );
  const t0 = process.hrtime.bigint();
  // QoS 1: keep a window of unacknowledged publishes in flight (as a real publisher would)
  let sent = 0;
  let acked = 0;
  const WINDOW = 100;
  await new Promise((resolve) => {
    const pump = () => {
      while (sent < count && (qos === 0 || sent - acked < WINDOW)) {
        sent++;
        if (qos === 0) pub.publish(topic, payload, { qos });
        else
          pub.publish(topic, payload, { qos }, () => {
            acked++;
            if (acked === count) resolve();
            else pump();
          });
      }
      if (qos === 0 && sent === count) resolve();
      else if (qos === 0) setImmediate(pump);
    };
    pump();
  });
  const timeout = setTimeout(() => {
    console.error(`qos${qos}: only ${received}/${count} received`);
    process.exit(1);
  }, 60000);
  await done;
  clearTimeout(timeout);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await pub.endAsync();
  await sub.endAsync();
  return count / secs;
}

for (const qos of [0, 1]) {
  const rates = [];
  for (let i = 0; i < rounds; i++) rates.push(await run(qos));
  rates.sort((a, b) => a - b);
  console.log(
    `qos${qos} msgs/s median ${Math.round(rates[Math.floor(rates.length / 2)])} (runs: ${rates.map(Math.round).join(', ')})`,
  );
}
