// Heartbeats of a 1 s interval: RabbitMQ (rabbit_heartbeat) sends one whenever half an interval passed with
// nothing written, so an idle connection hears from the broker every 0.5 s. @cloudamqp/amqp-client relies on
// it: it sets its socket timeout to the heartbeat and only echoes the server's heartbeats, so with one beat a
// second (the ticker's cadence) its own suite's "can handle heartbeats" lost the connection now and then.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AMQPClient } from '@cloudamqp/amqp-client';
import { startBroker, type RunningBroker } from '../../../src/index.js';

let b: RunningBroker;
before(async () => {
  b = await startBroker({ amqpPort: 0, bind: '127.0.0.1', storage: 'memory', logLevel: 'silent' });
});
after(() => b.close());

test('heartbeat=1: an idle connection gets a frame at least every 0.6 s and stays open', async () => {
  const client = new AMQPClient(`amqp://guest:guest@127.0.0.1:${b.amqpPort}?heartbeat=1`);
  const conn = await client.connect();
  const socket = client.socket!;
  const arrivals: number[] = [];
  socket.on('data', () => arrivals.push(performance.now()));
  const from = performance.now();
  await new Promise((r) => setTimeout(r, 3200));
  assert.equal(conn.closed, false, 'the client timed its socket out');
  const gaps = [arrivals[0]! - from, ...arrivals.slice(1).map((t, i) => t - arrivals[i]!)];
  assert.ok(arrivals.length >= 5, `only ${arrivals.length} heartbeats in 3.2 s`);
  assert.ok(Math.max(...gaps) < 600, `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
  await conn.close();
});

test('heartbeat=1 with traffic: no extra heartbeat right after a frame went out', async () => {
  const client = new AMQPClient(`amqp://guest:guest@127.0.0.1:${b.amqpPort}?heartbeat=1`);
  const conn = await client.connect();
  const ch = await conn.channel();
  const q = await ch.queueDeclare('', { exclusive: true });
  const stop = Date.now() + 2500;
  while (Date.now() < stop) {
    await ch.basicPublish('', q.name, 'x');
    await ch.basicGet(q.name);
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(conn.closed, false);
  await conn.close();
});
