// Messages are AMQP 1.0 on a stream, whoever publishes: a Stream protocol publish is stored as the client
// encoded it and read over AMQP 0-9-1 with RabbitMQ's mapping (headers = application properties +
// x-stream-offset); a 0-9-1 publish is read by a stream client with its properties and headers mapped to AMQP
// 1.0 properties and application properties; an MQTT publish carries no MQTT-only annotations (RabbitMQ 3.13
// converts it to AMQP 1.0 directly: the QoS is header durable), so a stream client reads it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import * as rs from 'rabbitmq-stream-js-client';
import { connectClient, startStreamBroker, until, type StreamTestBroker } from './helpers.js';

let t: StreamTestBroker;
before(async () => {
  t = await startStreamBroker({ mqttPort: 0 });
});
after(async () => {
  await t.close();
});

test('a stream-client message read over AMQP 0-9-1: headers are the application properties plus x-stream-offset', async () => {
  const c = await connectClient(t);
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${t.b.amqpPort}`);
  try {
    await c.createStream({ stream: 'io1', arguments: {} });
    const pub = await c.declarePublisher({ stream: 'io1' });
    await pub.send(Buffer.from('hello'), {
      applicationProperties: { color: 'red', size: 'L' },
      messageProperties: { messageId: 'm-1', correlationId: 'c-1', contentType: 'text/plain', replyTo: 'rq' },
    });
    await pub.flush();
    const ch = await conn.createChannel();
    await ch.prefetch(10);
    const got: amqp.ConsumeMessage[] = [];
    await ch.consume('io1', (m) => m && got.push(m), { arguments: { 'x-stream-offset': 'first' } });
    await until(() => got.length === 1, 5000, 'the 0-9-1 delivery');
    const m = got[0]!;
    assert.equal(m.content.toString(), 'hello');
    assert.deepEqual(m.properties.headers, { color: 'red', size: 'L', 'x-stream-offset': 0 });
    assert.equal(m.properties.messageId, 'm-1');
    assert.equal(m.properties.correlationId, 'c-1');
    assert.equal(m.properties.contentType, 'text/plain');
    assert.equal(m.properties.replyTo, 'rq');
  } finally {
    await conn.close();
    await c.close();
  }
});

test('a 0-9-1 message read by a stream client: properties and headers mapped to AMQP 1.0', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${t.b.amqpPort}`);
  const c = await connectClient(t);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertQueue('io2', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    ch.sendToQueue('io2', Buffer.from('from 0-9-1'), {
      headers: { tenant: 'acme' },
      messageId: 'mid',
      correlationId: 'cid',
      contentType: 'application/json',
      persistent: true,
    });
    await ch.waitForConfirms();
    const got: Parameters<Parameters<rs.Client['declareConsumer']>[1]>[0][] = [];
    await c.declareConsumer({ stream: 'io2', offset: rs.Offset.first() }, (m) => {
      got.push(m);
    });
    await until(() => got.length === 1, 5000, 'the stream delivery');
    const m = got[0]!;
    assert.equal(m.content.toString(), 'from 0-9-1');
    assert.deepEqual(m.applicationProperties, { tenant: 'acme' });
    assert.equal(m.messageProperties?.messageId, 'mid');
    assert.equal(m.messageProperties?.correlationId, 'cid');
    assert.equal(m.messageProperties?.contentType, 'application/json');
    assert.equal(m.offset, 0n);
  } finally {
    await conn.close();
    await c.close();
  }
});

test('an MQTT message read by a stream client: durable from the QoS, user properties, no x-mqtt-* annotations', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${t.b.amqpPort}`);
  const c = await connectClient(t);
  const m5 = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.b.mqttPort}`, {
    username: 'guest',
    password: 'guest',
    protocolVersion: 5,
  });
  try {
    const ch = await conn.createChannel();
    await ch.assertQueue('io3', { durable: true, arguments: { 'x-queue-type': 'stream' } });
    await ch.bindQueue('io3', 'amq.topic', 'io3.t');
    await m5.publishAsync('io3/t', 'from mqtt', {
      qos: 1,
      properties: { contentType: 'text/plain', userProperties: { k: 'v' } },
    });
    const got: Parameters<Parameters<rs.Client['declareConsumer']>[1]>[0][] = [];
    await c.declareConsumer({ stream: 'io3', offset: rs.Offset.first() }, (m) => {
      got.push(m);
    });
    // before the fix the client's decoder threw on the byte-typed x-mqtt-publish-qos annotation: nothing came
    await until(() => got.length === 1, 5000, 'the stream delivery');
    const m = got[0]!;
    assert.equal(m.content.toString(), 'from mqtt');
    assert.deepEqual(m.applicationProperties, { k: 'v' });
    assert.equal(m.messageProperties?.contentType, 'text/plain');
    assert.equal(m.messageHeader?.durable, true);
    assert.deepEqual(m.messageAnnotations, { 'x-exchange': 'amq.topic', 'x-routing-key': 'io3.t' });
  } finally {
    await m5.endAsync();
    await conn.close();
    await c.close();
  }
});
