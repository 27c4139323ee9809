// What the Eclipse Paho MQTT interoperability suite (client_test.py, client_test5.py) found, as a user of
// the `mqtt` npm client observes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { uniqueName } from '../../helpers/broker.js';
import { Inbox, useMqttBroker } from './helpers.js';

const { b, connect } = useMqttBroker();

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
