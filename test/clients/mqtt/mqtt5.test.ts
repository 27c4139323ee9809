// MQTT 5 features as RabbitMQ 3.13+ has them, with the `mqtt` npm client: subscription identifiers (also
// across a resumed session and from AMQP publishers), subscription options (No Local, Retain As Published,
// Retain Handling), server → client topic aliases, CONNACK properties, enhanced authentication refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import amqp from 'amqplib';
import { eventually, uniqueName } from '../../helpers/broker.js';
import { Inbox, MQTT_GUEST, mqttUrl, startMqttBroker, useMqttBroker } from './helpers.js';

const MQTT5: mqtt.IClientOptions = { ...MQTT_GUEST, protocolVersion: 5 };
const { b, clients, connect } = useMqttBroker(MQTT5);
/** A connected client, the CONNACK it got and its inbox (listening before the CONNACK arrives). */
const connectAck = (url: string, o: mqtt.IClientOptions = {}) =>
  new Promise<{ c: mqtt.MqttClient; ack: mqtt.IConnackPacket; inbox: Inbox }>((resolve, reject) => {
    const c = mqtt.connect(url, { ...MQTT5, ...o });
    clients.push(c);
    const inbox = new Inbox(c);
    c.once('connect', (ack) => resolve({ c, ack, inbox }));
    c.once('error', reject);
  });
const topic = (p: string) => uniqueName(p).replaceAll('.', '_');
const ids = (m: { packet: mqtt.IPublishPacket }) => {
  const v = m.packet.properties?.subscriptionIdentifier;
  return v === undefined ? [] : Array.isArray(v) ? [...v].sort((x, y) => x - y) : [v];
};

/** The CONNACK a raw MQTT 5 CONNECT gets (mqtt.js hides refusals' reason codes behind its own errors). */
function rawConnack(props: mqttPacket.IConnectPacket['properties']): Promise<mqttPacket.IConnackPacket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(b.mqttPort!, '127.0.0.1');
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    parser.on('packet', (p) => {
      s.destroy();
      if (p.cmd === 'connack') resolve(p);
      else reject(new Error(`got ${p.cmd}`));
    });
    s.on('data', (d) => parser.parse(d));
    s.on('error', reject);
    s.write(
      mqttPacket.generate(
        {
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 5,
          clean: true,
          clientId: topic('raw'),
          keepalive: 0,
          username: 'guest',
          password: Buffer.from('guest'),
          properties: props,
        },
        { protocolVersion: 5 },
      ),
    );
  });
}

test('CONNACK properties are RabbitMQ 3.13s but for QoS 2 and shared subscriptions: Topic Alias Maximum 16', async () => {
  const { c, ack } = await connectAck(mqttUrl(b), { properties: { sessionExpiryInterval: 120 } });
  const p = ack.properties ?? {};
  // Maximum QoS left out: QoS 2 is available (RabbitMQ says 1; --mqtt-qos2 downgrade does too, qos2.test.ts)
  assert.equal(p.maximumQoS, undefined);
  assert.equal(p.topicAliasMaximum, 16);
  assert.equal(p.maximumPacketSize, 268435455);
  // absent: shared subscriptions are available (shared.test.ts); RabbitMQ says false
  assert.equal(p.sharedSubscriptionAvailable, undefined);
  assert.equal(p.sessionExpiryInterval, 120);
  // absent: available (§3.2.2.3.5, .11, .12), as RabbitMQ leaves them out
  assert.equal(p.subscriptionIdentifiersAvailable, undefined);
  assert.equal(p.retainAvailable, undefined);
  assert.equal(p.wildcardSubscriptionAvailable, undefined);
  await c.endAsync();
});

test('a subscription identifier comes with every message of its subscription, all of them when several match', async () => {
  const t = topic('sid');
  const sub = await connect();
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(`${t}/1`, { qos: 0, properties: { subscriptionIdentifier: 1 } });
  await sub.subscribeAsync(`${t}/2`, { qos: 0, properties: { subscriptionIdentifier: 2 } });
  await sub.subscribeAsync(`${t}/#`, { qos: 0, properties: { subscriptionIdentifier: 3 } });
  await sub.subscribeAsync(`${t}/+/none`, { qos: 0 });
  const pub = await connect({ protocolVersion: 4 });
  await pub.publishAsync(`${t}/1`, 'a', { qos: 1 });
  await pub.publishAsync(`${t}/2`, 'b', { qos: 1 });
  await pub.publishAsync(`${t}/x/none`, 'c', { qos: 1 });
  const m1 = await inbox.next();
  assert.equal(m1.payload, 'a');
  assert.deepEqual(ids(m1), [1, 3]);
  const m2 = await inbox.next();
  assert.deepEqual(ids(m2), [2, 3]);
  // matched by t/# (id 3) and by t/+/none (no identifier)
  const m3 = await inbox.next();
  assert.deepEqual(ids(m3), [3]);
  // RabbitMQ keeps them in the binding arguments (binding args v2)
  const q = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${sub.options.clientId}qos0`)!;
  const args = [...q.bindings].find((x) => x.routingKey === `${t}.#`)!.args;
  assert.deepEqual(args, {
    'x-mqtt-subscription-opts': {
      id: 3,
      'no-local': false,
      qos: 0,
      'retain-as-published': false,
      'retain-handling': 0,
    },
    'x-binding-key': `${t}.#`,
  });
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});

test('subscription identifiers: per QoS queue, from AMQP publishers, replaced by a new SUBSCRIBE, gone after UNSUBSCRIBE', async () => {
  const t = topic('sidq');
  const sub = await connect();
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(`${t}/a`, { qos: 1, properties: { subscriptionIdentifier: 10 } });
  await sub.subscribeAsync(`${t}/+`, { qos: 0, properties: { subscriptionIdentifier: 20 } });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  ch.publish('amq.topic', `${t}.a`, Buffer.from('amqp'));
  // one copy per subscription queue, each with its own queue's identifiers
  const got = [await inbox.next(), await inbox.next()].map((m) => `${m.packet.qos}:${ids(m).join(',')}`).sort();
  assert.deepEqual(got, ['0:20', '1:10']);
  // the same filter subscribed again with another identifier replaces it
  await sub.subscribeAsync(`${t}/a`, { qos: 1, properties: { subscriptionIdentifier: 11 } });
  await sub.unsubscribeAsync(`${t}/+`);
  ch.publish('amq.topic', `${t}.a`, Buffer.from('again'));
  const m = await inbox.next();
  assert.equal(m.payload, 'again');
  assert.deepEqual(ids(m), [11]);
  await assert.rejects(inbox.next(200));
  const q1 = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${sub.options.clientId}qos1`)!;
  assert.equal([...q1.bindings].filter((x) => x.source.name === 'amq.topic').length, 1);
  await conn.close();
  await sub.endAsync();
});

test('subscription identifiers survive a resumed session; an MQTT 3.1.1 client resuming it gets plain bindings', async () => {
  const t = topic('sidsess');
  const clientId = topic('sess');
  const first = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
  await first.subscribeAsync(`${t}/#`, { qos: 1, properties: { subscriptionIdentifier: 42 } });
  await first.endAsync();
  const pub = await connect({ protocolVersion: 4 });
  await pub.publishAsync(`${t}/x`, 'while away', { qos: 1 });
  const {
    c: again,
    ack,
    inbox,
  } = await connectAck(mqttUrl(b), {
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
  });
  assert.equal(ack.sessionPresent, true);
  const m = await inbox.next();
  assert.equal(m.payload, 'while away');
  assert.deepEqual(ids(m), [42]);
  await again.endAsync();
  // MQTT 3.1.1 has no subscription options: the session's bindings lose their arguments (RabbitMQ's
  // session downgrade), the subscription stays
  const v4 = await connect({ protocolVersion: 4, clientId, clean: false });
  const q1 = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${clientId}qos1`)!;
  const bs = [...q1.bindings].filter((x) => x.source.name === 'amq.topic');
  assert.equal(bs.length, 1);
  assert.deepEqual(bs[0]!.args, {});
  await v4.endAsync();
  // and an MQTT 5 client resuming a 3.1.1 session gets them with (default) options again: the upgrade
  const v5 = await connect({ clientId, clean: false, properties: { sessionExpiryInterval: 300 } });
  const up = [...q1.bindings].filter((x) => x.source.name === 'amq.topic');
  assert.deepEqual(up[0]!.args, {
    'x-mqtt-subscription-opts': { 'no-local': false, qos: 1, 'retain-as-published': false, 'retain-handling': 0 },
    'x-binding-key': `${t}.#`,
  });
  await v5.endAsync();
  await connect({ clientId, clean: true }).then((c) => c.endAsync());
  await pub.endAsync();
});

test('No Local: a client does not get its own messages through a No Local subscription; others do', async () => {
  const t = topic('nl');
  const me = await connect();
  const mine = new Inbox(me);
  await me.subscribeAsync(`${t}/#`, { qos: 1, nl: true });
  const other = await connect();
  const theirs = new Inbox(other);
  await other.subscribeAsync(`${t}/#`, { qos: 1, nl: true });
  const r = await me.publishAsync(`${t}/a`, 'from me', { qos: 1 });
  assert.equal((await theirs.next()).payload, 'from me');
  await assert.rejects(mine.next(200));
  // PUBACK reports the subscribers it reached: the other client's queue
  assert.notEqual((r as (mqtt.IPublishPacket & { reasonCode?: number }) | undefined)?.reasonCode, 0x10);
  await other.publishAsync(`${t}/b`, 'from other', { qos: 1 });
  assert.equal((await mine.next()).payload, 'from other');
  // a second, ordinary subscription matching the same topic delivers it after all
  await me.subscribeAsync(`${t}/a`, { qos: 1 });
  await me.publishAsync(`${t}/a`, 'mine again', { qos: 1 });
  assert.equal((await mine.next()).payload, 'mine again');
  await Promise.all([me.endAsync(), other.endAsync()]);
});

test('Retain As Published keeps the RETAIN flag of forwarded messages; without it the flag is 0', async () => {
  const t = topic('rap');
  const keep = await connect();
  const kept = new Inbox(keep);
  await keep.subscribeAsync(`${t}/+`, { qos: 1, rap: true, rh: 2 });
  const plain = await connect();
  const plainIn = new Inbox(plain);
  await plain.subscribeAsync(`${t}/+`, { qos: 1, rh: 2 });
  const pub = await connect();
  await pub.publishAsync(`${t}/r`, 'retained', { qos: 1, retain: true });
  await pub.publishAsync(`${t}/n`, 'not retained', { qos: 1 });
  const k1 = await kept.next();
  const k2 = await kept.next();
  assert.deepEqual([k1.packet.retain, k2.packet.retain], [true, false]);
  const p1 = await plainIn.next();
  assert.equal(p1.packet.retain, false);
  await pub.publishAsync(`${t}/r`, '', { qos: 1, retain: true });
  await Promise.all([keep.endAsync(), plain.endAsync(), pub.endAsync()]);
});

test('Retain Handling: 0 sends retained messages at every SUBSCRIBE, 1 only for a new subscription, 2 never', async () => {
  const t = topic('rh');
  const pub = await connect();
  await pub.publishAsync(`${t}/x`, 'kept', { qos: 1, retain: true });
  for (const [rh, expected] of [
    [0, 2],
    [1, 1],
    [2, 0],
  ] as const) {
    const c = await connect();
    const inbox = new Inbox(c);
    await c.subscribeAsync(`${t}/x`, { qos: 1, rh, properties: { subscriptionIdentifier: 7 } });
    await c.subscribeAsync(`${t}/x`, { qos: 1, rh, properties: { subscriptionIdentifier: 7 } });
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(inbox.all.length, expected, `retain handling ${rh}`);
    for (const m of inbox.all) {
      assert.equal(m.packet.retain, true);
      // a retained message sent for a subscription carries its identifier (§3.3.4)
      assert.deepEqual(ids(m), [7]);
    }
    await c.endAsync();
  }
  await pub.publishAsync(`${t}/x`, '', { qos: 1, retain: true });
  await pub.endAsync();
});

test('server → client topic aliases: up to the client Topic Alias Maximum, name first then alias only', async () => {
  const t = topic('alias');
  const sub = await connect({ properties: { topicAliasMaximum: 2 } });
  const seen: { topic: string; alias: number | undefined }[] = [];
  // the raw packets as they come off the wire (mqtt.js puts the topic back before 'message')
  sub.on('packetreceive', (p) => {
    if (p.cmd === 'publish') seen.push({ topic: p.topic, alias: p.properties?.topicAlias });
  });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(`${t}/#`, { qos: 1 });
  const pub = await connect({ protocolVersion: 4 });
  for (const x of ['a', 'a', 'b', 'c', 'b', 'c']) await pub.publishAsync(`${t}/${x}`, x, { qos: 1 });
  const topics: string[] = [];
  for (let i = 0; i < 6; i++) topics.push((await inbox.next()).topic);
  assert.deepEqual(
    topics,
    ['a', 'a', 'b', 'c', 'b', 'c'].map((x) => `${t}/${x}`),
  );
  assert.deepEqual(seen, [
    { topic: `${t}/a`, alias: 1 },
    { topic: '', alias: 1 },
    { topic: `${t}/b`, alias: 2 },
    // both aliases taken: by name from now on
    { topic: `${t}/c`, alias: undefined },
    { topic: '', alias: 2 },
    { topic: `${t}/c`, alias: undefined },
  ]);
  // a client that sets no Topic Alias Maximum gets none
  const none = await connect();
  const noneSeen: (number | undefined)[] = [];
  none.on('packetreceive', (p) => {
    if (p.cmd === 'publish') noneSeen.push(p.properties?.topicAlias);
  });
  const noneIn = new Inbox(none);
  await none.subscribeAsync(`${t}/#`, { qos: 0 });
  await pub.publishAsync(`${t}/a`, 'x', { qos: 1 });
  await pub.publishAsync(`${t}/a`, 'y', { qos: 1 });
  await noneIn.next();
  await noneIn.next();
  assert.deepEqual(noneSeen, [undefined, undefined]);
  await Promise.all([sub.endAsync(), none.endAsync(), pub.endAsync()]);
});

test('mqttTopicAliasMaximum 0 turns topic aliases off in both directions', async () => {
  const b0 = await startMqttBroker({ mqttTopicAliasMaximum: 0 });
  try {
    const { c, ack } = await connectAck(`mqtt://127.0.0.1:${b0.mqttPort}`, { properties: { topicAliasMaximum: 10 } });
    assert.equal(ack.properties?.topicAliasMaximum, 0);
    const aliases: (number | undefined)[] = [];
    c.on('packetreceive', (p) => {
      if (p.cmd === 'publish') aliases.push(p.properties?.topicAlias);
    });
    const inbox = new Inbox(c);
    const t = topic('noalias');
    await c.subscribeAsync(t, { qos: 0 });
    await c.publishAsync(t, '1', { qos: 1 });
    await c.publishAsync(t, '2', { qos: 1 });
    await inbox.next();
    await inbox.next();
    assert.deepEqual(aliases, [undefined, undefined]);
    // a client alias is then invalid: DISCONNECT 0x94 (written raw: mqtt.js would not send it)
    const disc = new Promise<number | undefined>((r) => c.on('disconnect', (p) => r(p.reasonCode)));
    (c as unknown as { stream: net.Socket }).stream.write(
      mqttPacket.generate(
        { cmd: 'publish', topic: t, payload: 'x', qos: 0, dup: false, retain: false, properties: { topicAlias: 1 } },
        { protocolVersion: 5 },
      ),
    );
    assert.equal(await disc, 0x94);
    c.end(true);
  } finally {
    await b0.close();
  }
});

test('enhanced authentication: CONNACK 0x8C for an Authentication Method; AUTH is a protocol error', async () => {
  const ack = await rawConnack({ authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from('x') });
  assert.equal(ack.reasonCode, 0x8c);
  assert.equal(ack.sessionPresent, false);
  // an AUTH packet on an ordinary connection: DISCONNECT 0x82, the connection closes, the will is published
  const t = topic('authwill');
  const watcher = await connect();
  const inbox = new Inbox(watcher);
  await watcher.subscribeAsync(t, { qos: 1 });
  const c = await connect({ will: { topic: t, payload: Buffer.from('gone'), qos: 1, retain: false } });
  const disc = new Promise<number | undefined>((r) => c.on('disconnect', (p) => r(p.reasonCode)));
  (c as unknown as { stream: net.Socket }).stream.write(
    mqttPacket.generate({ cmd: 'auth', reasonCode: 0x19 } as mqttPacket.IAuthPacket, { protocolVersion: 5 }),
  );
  assert.equal(await disc, 0x82);
  assert.equal((await inbox.next()).payload, 'gone');
  c.end(true);
  await watcher.endAsync();
});

test('a Subscription Identifier of 0 is a protocol error (DISCONNECT 0x82); other clients go on', async () => {
  const c = await connect();
  const disc = new Promise<number | undefined>((r) => c.on('disconnect', (p) => r(p.reasonCode)));
  const s = (c as unknown as { stream: net.Socket }).stream;
  s.write(
    mqttPacket.generate(
      {
        cmd: 'subscribe',
        messageId: 9,
        subscriptions: [{ topic: 'x', qos: 0 }],
        properties: { subscriptionIdentifier: 0 },
      },
      { protocolVersion: 5 },
    ),
  );
  assert.equal(await disc, 0x82);
  c.end(true);
  const ok = await connect();
  await ok.subscribeAsync(topic('fine'), { qos: 0, properties: { subscriptionIdentifier: 268435455 } });
  await ok.endAsync();
});

test('MQTT 5 CONNECT user properties are shown as the connection client property user_property', async () => {
  const c = await connect({ properties: { userProperties: { 'connecting-from': 'London' } } });
  const conn = [...b.broker.connections.values()].find(
    (x) => (x.clientProperties as { client_id?: string }).client_id === c.options.clientId,
  );
  assert.deepEqual(conn?.clientProperties, {
    client_id: c.options.clientId,
    user_property: { 'connecting-from': 'London' },
  });
  await c.endAsync();
});

test('a subscription identifier survives a Warren restart with its persistent session (file storage)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-mqtt5-'));
  let b2 = await startMqttBroker({ storage: 'file', dataDir: dir });
  try {
    const clientId = topic('restart5');
    const t = topic('r5');
    const session = { clientId, clean: false, properties: { sessionExpiryInterval: 600 } };
    const first = await connectAck(`mqtt://127.0.0.1:${b2.mqttPort}`, session);
    await first.c.subscribeAsync(`${t}/#`, { qos: 1, properties: { subscriptionIdentifier: 99 } });
    await first.c.endAsync();
    await b2.close();
    b2 = await startMqttBroker({ storage: 'file', dataDir: dir });
    const again = await connectAck(`mqtt://127.0.0.1:${b2.mqttPort}`, session);
    assert.equal(again.ack.sessionPresent, true);
    const pub = await connectAck(`mqtt://127.0.0.1:${b2.mqttPort}`, { protocolVersion: 4 });
    await pub.c.publishAsync(`${t}/x`, 'after restart', { qos: 1 });
    const m = await again.inbox.next();
    assert.equal(m.payload, 'after restart');
    assert.deepEqual(ids(m), [99]);
    await pub.c.endAsync();
    again.c.end(true);
  } finally {
    await b2.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a connection taken over leaves no delayed will behind (the session goes on)', async () => {
  const t = topic('tow');
  const watcher = await connect();
  const inbox = new Inbox(watcher);
  await watcher.subscribeAsync(t, { qos: 1 });
  const clientId = topic('towc');
  const o = { clientId, clean: false, properties: { sessionExpiryInterval: 10 } };
  const old = await connect({
    ...o,
    will: { topic: t, payload: Buffer.from('will'), qos: 1, retain: false, properties: { willDelayInterval: 1 } },
  });
  const disc = new Promise<number | undefined>((r) => old.on('disconnect', (p) => r(p.reasonCode)));
  const taker = await connect(o);
  assert.equal(await disc, 0x8e);
  await assert.rejects(inbox.next(1500));
  old.end(true);
  await taker.endAsync();
  await connect({ clientId, clean: true }).then((c) => c.endAsync());
  await watcher.endAsync();
});

test('request/response with an AMQP responder: response topic as header x-reply-to-topic, as RabbitMQ 3.13', async () => {
  const t = topic('rr');
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, 'amq.topic', `${t}.requests`);
  const requester = await connect();
  const inbox = new Inbox(requester);
  await requester.subscribeAsync(`${t}/responses/+`, { qos: 1, properties: { subscriptionIdentifier: 5 } });
  await requester.publishAsync(`${t}/requests`, 'ping', {
    qos: 1,
    properties: { responseTopic: `${t}/responses/me`, correlationData: Buffer.from('c-1') },
  });
  const req = await eventually(() => ch.get(queue, { noAck: true }));
  assert.ok(req);
  assert.equal(req.properties.replyTo, undefined);
  assert.equal(req.properties.correlationId, 'c-1');
  const replyKey = req.properties.headers?.['x-reply-to-topic'] as unknown;
  assert.equal(String(replyKey), `${t}.responses.me`);
  // the AMQP responder publishes to amq.topic with that routing key and the correlation id
  ch.publish('amq.topic', String(replyKey), Buffer.from('pong'), {
    correlationId: req.properties.correlationId as string,
    headers: { 'x-reply-to-topic': `${t}.again` },
  });
  const m = await inbox.next();
  assert.equal(m.topic, `${t}/responses/me`);
  assert.equal(m.payload, 'pong');
  assert.equal(m.packet.properties?.correlationData?.toString(), 'c-1');
  // x-reply-to-topic from AMQP becomes the MQTT response topic
  assert.equal(m.packet.properties?.responseTopic, `${t}/again`);
  assert.deepEqual(ids(m), [5]);
  await requester.endAsync();
  await conn.close();
});

test('a publish a queue refuses (x-overflow reject-publish): MQTT 5 PUBACK 0x83, MQTT 3.1.1 no PUBACK, as RabbitMQ', async () => {
  const t = topic('rp');
  const q = uniqueName('mqtt-rp');
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  await ch.assertQueue(q, { exclusive: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
  await ch.bindQueue(q, 'amq.topic', t);
  const v5 = await connect();
  const first = (await v5.publishAsync(t, 'fits', { qos: 1 })) as mqtt.IPublishPacket & { reasonCode?: number };
  assert.equal(first.reasonCode ?? 0, 0);
  // rabbit_mqtt_processor: a rejected publish gets RC_IMPLEMENTATION_SPECIFIC_ERROR on MQTT 5
  const refused = await v5.publishAsync(t, 'refused', { qos: 1 }).then(
    () => 'acked',
    (e: { code?: number }) => e.code,
  );
  assert.equal(refused, 0x83);
  // MQTT 3.1.1 has no negative acknowledgement: no PUBACK at all
  const v3 = await connect({ protocolVersion: 4 });
  let acked = false;
  v3.publishAsync(t, 'refused too', { qos: 1 }).then(
    () => (acked = true),
    () => {},
  );
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(acked, false);
  // the connection goes on: a publish the queue takes is acknowledged
  await ch.purgeQueue(q);
  await v3.publishAsync(t, 'fits again', { qos: 1 });
  assert.equal((await ch.checkQueue(q)).messageCount, 1);
  await v3.endAsync(true);
  await conn.close();
});
