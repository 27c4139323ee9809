// A vhost's max-queues holds for every way of declaring a queue, as in RabbitMQ (the check is in the core's
// declare): amqplib queue.declare (406), the management API (400 bad_request), an MQTT subscription (its
// subscription queue: the connection is closed, as RabbitMQ 3.10's MQTT plugin does) and a STOMP SUBSCRIBE
// (ERROR precondition_failed, RabbitMQ's text). Texts checked against RabbitMQ 3.10.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { eventually } from '../helpers/broker.js';
import { startMqttBroker } from './mqtt/helpers.js';

const limitText = (q: string) => `cannot declare queue '${q}': queue limit in vhost 'limited' (1) is reached`;

test('max-queues refuses a new queue from AMQP, the management API, MQTT and STOMP alike', async (t) => {
  const b = await startMqttBroker({ managementPort: 0 });
  t.after(() => b.close());
  b.broker.addVHost('limited', { limits: { 'max-queues': 1 } });
  b.broker.users.setPermissions('guest', 'limited', { configure: '.*', write: '.*', read: '.*' });

  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/limited`);
  t.after(() => c.close().catch(() => {}));
  const ch = await c.createChannel();
  await ch.assertQueue('q1');
  const closed = new Promise<Error>((r) => ch.once('error', r));
  await assert.rejects(ch.assertQueue('q2'));
  const msg = (await closed).message;
  assert.ok(msg.includes(`406 (PRECONDITION-FAILED)`) && msg.includes(limitText('q2')), msg);

  const auth = 'Basic ' + Buffer.from('guest:guest').toString('base64');
  const res = await fetch(`http://127.0.0.1:${b.managementPort}/api/queues/limited/q3`, {
    method: 'PUT',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { error: 'bad_request', reason: limitText('q3') });

  const m = mqtt.connect(`mqtt://127.0.0.1:${b.mqttPort}`, {
    username: 'limited:guest',
    password: 'guest',
    clientId: 'limits-mqtt',
    reconnectPeriod: 0,
  });
  t.after(() => m.end(true));
  await new Promise((r, j) => m.once('connect', r).once('error', j));
  let mqttClosed = false;
  m.once('close', () => (mqttClosed = true));
  m.subscribe('a/b', { qos: 1 });
  await eventually(() => mqttClosed, 3000);

  const s = net.connect(b.stompPort!, '127.0.0.1');
  t.after(() => s.destroy());
  let text = '';
  s.on('data', (d) => (text += d.toString()));
  await new Promise((r) => s.once('connect', r));
  s.write('CONNECT\naccept-version:1.2\nhost:limited\nlogin:guest\npasscode:guest\n\n\0');
  await eventually(() => text.startsWith('CONNECTED'), 3000);
  s.write('SUBSCRIBE\nid:1\ndestination:/queue/qx\n\n\0');
  await eventually(() => text.includes('ERROR'), 3000);
  assert.match(text, /message:precondition_failed/);
  assert.ok(text.includes(`PRECONDITION_FAILED - ${limitText('qx')}`), text);

  // one queue, as the limit says, whoever asked
  assert.equal(b.broker.vhosts.get('limited')!.queues.size, 1);
});
