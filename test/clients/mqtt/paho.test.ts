// What the Eclipse Paho MQTT interoperability suite (client_test.py, client_test5.py) found, as a user of
// the `mqtt` npm client observes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import amqp from 'amqplib';
import { uniqueName } from '../../helpers/broker.js';
import { Inbox, MQTT_GUEST, mqttUrl, useMqttBroker } from './helpers.js';

const { b, clients, connect } = useMqttBroker();
/** An MQTT 5 client and its CONNACK. */
const connect5 = (o: mqtt.IClientOptions) =>
  new Promise<{ c: mqtt.MqttClient; ack: mqtt.IConnackPacket }>((resolve, reject) => {
    const c = mqtt.connect(mqttUrl(b), { ...MQTT_GUEST, protocolVersion: 5, ...o });
    clients.push(c);
    c.once('connect', (ack) => resolve({ c, ack }));
    c.once('error', reject);
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('[MQTT-4.7.2-1] filters starting with + or # do not match topics starting with $; a $ filter does', async () => {
  for (const protocolVersion of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      const wild = await connect({ clientId: uniqueName('wild'), protocolVersion });
      const wildInbox = new Inbox(wild);
      await wild.subscribeAsync({ '+/+': { qos }, '#': { qos } });
      const dollar = await connect({ clientId: uniqueName('dollar'), protocolVersion });
      const dollarInbox = new Inbox(dollar);
      await dollar.subscribeAsync({ '$TopicA/+': { qos } });
      const pub = await connect({ protocolVersion });
      await pub.publishAsync('$TopicA/B', 'dollar', { qos: 1 });
      await pub.publishAsync('TopicA/B', 'plain', { qos: 1 });
      // the wildcard subscriber gets the plain topic (one copy: both filters bind the same queue), not the $ one
      const got = await wildInbox.next();
      assert.equal(got.topic, 'TopicA/B', `v${protocolVersion} QoS ${qos}`);
      assert.equal(got.payload, 'plain');
      await assert.rejects(wildInbox.next(200));
      const d = await dollarInbox.next();
      assert.equal(d.topic, '$TopicA/B');
      assert.equal(d.payload, 'dollar');
      await Promise.all([wild.endAsync(), dollar.endAsync(), pub.endAsync()]);
    }
  }
});

test('[MQTT-4.7.2-1] also for $ routing keys published by AMQP clients to amq.topic', async () => {
  const sub = await connect({ clientId: uniqueName('wild') });
  const inbox = new Inbox(sub);
  // two queues: '#' binds the QoS 1 one, '$SYS/#' the QoS 0 one
  await sub.subscribeAsync({ '#': { qos: 1 }, '$SYS/#': { qos: 0 } });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  ch.publish('amq.topic', '$SYS.broker.load', Buffer.from('sys'));
  ch.publish('amq.topic', 'plain.topic', Buffer.from('plain'));
  const got = [await inbox.next(), await inbox.next()].map((m) => `${m.topic} ${m.payload} QoS ${m.packet.qos}`);
  assert.deepEqual(got.sort(), ['$SYS/broker/load sys QoS 0', 'plain/topic plain QoS 1']);
  await assert.rejects(inbox.next(300));
  await conn.close();
  await sub.endAsync();
});

test('MQTT 5 session expiry changed in DISCONNECT or by a resuming CONNECT: the session lasts the new interval', async () => {
  const clientId = uniqueName('sei');
  const queue = () => b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${clientId}qos1`);
  // CONNECT says 1 s, DISCONNECT 5 s: the session is still there after 2 s (it was gone after 1 s)
  let { c, ack } = await connect5({ clientId, clean: true, properties: { sessionExpiryInterval: 1 } });
  assert.equal(ack.sessionPresent, false);
  await c.subscribeAsync('sei/t', { qos: 1 });
  assert.equal(queue()!.args['x-expires'], 1000);
  await c.endAsync(false, { properties: { sessionExpiryInterval: 5 } });
  assert.equal(queue()!.args['x-expires'], 5000);
  await sleep(2000);
  ({ c, ack } = await connect5({ clientId, clean: false, properties: { sessionExpiryInterval: 1 } }));
  assert.equal(ack.sessionPresent, true);
  // resumed with 1 s: the queue expires after 1 s again
  assert.equal(queue()!.args['x-expires'], 1000);
  // DISCONNECT with 0 ends the session at once
  await c.endAsync(false, { properties: { sessionExpiryInterval: 0 } });
  ({ c, ack } = await connect5({ clientId, clean: false, properties: { sessionExpiryInterval: 1 } }));
  assert.equal(ack.sessionPresent, false);
  await c.endAsync();
  // [MQTT-3.14.2-2]: after 0 in CONNECT a non-zero interval in DISCONNECT is ignored, as RabbitMQ does
  ({ c } = await connect5({ clientId, clean: true, properties: { sessionExpiryInterval: 0 } }));
  await c.subscribeAsync('sei/t', { qos: 1 });
  await c.endAsync(false, { properties: { sessionExpiryInterval: 60 } });
  ({ c, ack } = await connect5({ clientId, clean: false }));
  assert.equal(ack.sessionPresent, false);
  await c.endAsync();
});
