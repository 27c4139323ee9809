// MQTT 3.1.1 and 5.0 with the `mqtt` npm client (TCP and WebSocket), and the cross-protocol paths with
// amqplib: what RabbitMQ's MQTT plugin users observe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import amqp from 'amqplib';
import { eventually, uniqueName } from '../../helpers/broker.js';
import { Inbox, mqttUrl, useMqttBroker } from './helpers.js';

const { b, connect } = useMqttBroker();

test('MQTT 3.1.1 publish/subscribe at QoS 0 and 1, wildcards mapped as RabbitMQ maps them', async () => {
  const sub = await connect({ clientId: uniqueName('sub') });
  const inbox = new Inbox(sub);
  const granted = await sub.subscribeAsync({ 'sensors/+/temp': { qos: 1 }, 'sensors/#': { qos: 0 } });
  assert.deepEqual(
    granted.map((g) => g.qos),
    [1, 0],
  );
  const pub = await connect();
  await pub.publishAsync('sensors/kitchen/temp', '21.5', { qos: 1 });
  const got = [await inbox.next(), await inbox.next()].sort((x, y) => y.packet.qos - x.packet.qos);
  assert.equal(got[0]!.topic, 'sensors/kitchen/temp');
  assert.equal(got[0]!.payload, '21.5');
  assert.equal(got[0]!.packet.qos, 1);
  assert.equal(got[1]!.packet.qos, 0);
  await pub.endAsync();
  await sub.endAsync();
});

test('subscription queues are named and declared as RabbitMQ 3.10 does (QoS 2: a …qos2 queue like the QoS 1 one)', async () => {
  const id = uniqueName('c');
  const c = await connect({ clientId: id, clean: false });
  const granted = await c.subscribeAsync('a/b', { qos: 1 });
  assert.equal(granted[0]!.qos, 1);
  assert.equal((await c.subscribeAsync('a/c', { qos: 2 }))[0]!.qos, 2);
  const q2 = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos2`)!;
  assert.equal(q2.durable, true);
  assert.equal(q2.autoDelete, false);
  assert.deepEqual(q2.args, { 'x-expires': 86400000 });
  await c.subscribeAsync('x/y', { qos: 0 });
  const v = b.broker.vhosts.get('/')!;
  const q1 = v.queues.get(`mqtt-subscription-${id}qos1`)!;
  const q0 = v.queues.get(`mqtt-subscription-${id}qos0`)!;
  assert.equal(q1.durable, true);
  assert.equal(q1.autoDelete, false);
  assert.deepEqual(q1.args, { 'x-expires': 86400000 });
  assert.equal(q0.durable, false);
  assert.equal(q0.autoDelete, true);
  assert.deepEqual(
    [...q1.bindings].map((x) => [x.source.name, x.routingKey]),
    [['amq.topic', 'a.b']],
  );
  await c.endAsync();
  // the persistent session's QoS 1 queue stays; the QoS 0 one goes with the connection
  await eventually(() => !v.queues.has(`mqtt-subscription-${id}qos0`));
  assert.ok(v.queues.has(`mqtt-subscription-${id}qos1`));
  // a clean session removes what the last session left
  const c2 = await connect({ clientId: id, clean: true });
  assert.ok(!v.queues.has(`mqtt-subscription-${id}qos1`));
  assert.ok(!v.queues.has(`mqtt-subscription-${id}qos2`));
  await c2.endAsync();
});

test('persistent session: QoS 1 messages published while away arrive on reconnect', async () => {
  const id = uniqueName('p');
  const c = await connect({ clientId: id, clean: false });
  await c.subscribeAsync('away/+', { qos: 1 });
  await c.endAsync();
  const pub = await connect();
  await pub.publishAsync('away/1', 'one', { qos: 1 });
  await pub.publishAsync('away/2', 'two', { qos: 1 });
  await pub.endAsync();
  // the queued messages follow CONNACK at once: listen before connecting
  const c2 = mqtt.connect(mqttUrl(b), {
    clientId: id,
    clean: false,
    reconnectPeriod: 0,
    username: 'guest',
    password: 'guest',
  });
  const inbox = new Inbox(c2);
  const present = await new Promise<boolean>((r) => c2.once('connect', (ack) => r(ack.sessionPresent)));
  assert.equal(present, true);
  assert.equal((await inbox.next()).payload, 'one');
  assert.equal((await inbox.next()).payload, 'two');
  await c2.endAsync();
  const c3 = await connect({ clientId: id, clean: true });
  await c3.endAsync();
});

test('retained messages: delivered to later subscribers with retain set; empty payload clears', async () => {
  const t = uniqueName('ret').replaceAll('.', '_');
  const pub = await connect();
  await pub.publishAsync(`${t}/state`, 'on', { qos: 1, retain: true });
  const s = await connect();
  const inbox = new Inbox(s);
  await s.subscribeAsync(`${t}/+`, { qos: 1 });
  const m = await inbox.next();
  assert.equal(m.payload, 'on');
  assert.equal(m.packet.retain, true);
  await pub.publishAsync(`${t}/state`, '', { qos: 1, retain: true });
  await inbox.next(); // the empty retained publish is itself delivered to the live subscriber
  const s2 = await connect();
  const inbox2 = new Inbox(s2);
  await s2.subscribeAsync(`${t}/+`);
  await assert.rejects(inbox2.next(300));
  await Promise.all([pub.endAsync(), s.endAsync(), s2.endAsync()]);
});

test('a wildcard subscription gets every matching retained message of thousands (sent over several turns); an exact one its own', async () => {
  const t = uniqueName('many').replaceAll('.', '_');
  const pub = await connect();
  const N = 3000;
  for (let i = 0; i < N; i++) void pub.publish(`${t}/n/${i}`, String(i), { qos: 0, retain: true });
  await pub.publishAsync(`${t}-other/x`, 'not matched', { qos: 1, retain: true });
  await pub.publishAsync(`${t}/n/last`, 'last', { qos: 1, retain: true }); // (QoS 1: the QoS 0 ones before it are in)
  const s = await connect();
  const inbox = new Inbox(s);
  await s.subscribeAsync(`${t}/#`, { qos: 0 });
  const seen = new Set<string>();
  for (let i = 0; i <= N; i++) {
    const m = await inbox.next();
    assert.equal(m.packet.retain, true);
    assert.ok(m.topic.startsWith(`${t}/n/`), m.topic);
    seen.add(m.topic);
  }
  assert.equal(seen.size, N + 1);
  await assert.rejects(inbox.next(300));
  const e = await connect();
  const exact = new Inbox(e);
  await e.subscribeAsync(`${t}/n/7`, { qos: 1 });
  const m = await exact.next();
  assert.equal(m.payload, '7');
  await assert.rejects(exact.next(300));
  // a subscriber that leaves while its retained messages are being sent: the rest are dropped, nothing breaks
  const gone = await connect();
  await gone.subscribeAsync('#');
  await gone.endAsync(true);
  await Promise.all([pub.endAsync(), s.endAsync(), e.endAsync()]);
});

test('retained messages for a client that stops reading wait for its output to drain, then all arrive', async () => {
  const t = uniqueName('slow').replaceAll('.', '_');
  const pub = await connect();
  const N = 200;
  const body = Buffer.alloc(32 * 1024, 0x61); // 6.4 MB in all: more than the socket buffers and the output's 1 MiB
  for (let i = 0; i < N; i++) void pub.publish(`${t}/${i}`, body, { qos: 0, retain: true });
  await pub.publishAsync(`${t}/x`, 'last', { qos: 1, retain: true });
  const s = await connect();
  const inbox = new Inbox(s);
  await s.subscribeAsync(`${t}/#`, { qos: 0 });
  s.stream.pause();
  await new Promise((r) => setTimeout(r, 300));
  s.stream.resume();
  for (let i = 0; i <= N; i++) await inbox.next(5000);
  await Promise.all([pub.endAsync(), s.endAsync()]);
});

test('last will is published on an abnormal disconnect, not on DISCONNECT', async () => {
  const t = uniqueName('will').replaceAll('.', '_');
  const watcher = await connect();
  const inbox = new Inbox(watcher);
  await watcher.subscribeAsync(`${t}/#`, { qos: 1 });
  const polite = await connect({ will: { topic: `${t}/polite`, payload: Buffer.from('gone'), qos: 1, retain: false } });
  await polite.endAsync();
  const rude = await connect({ will: { topic: `${t}/rude`, payload: Buffer.from('lost'), qos: 1, retain: false } });
  rude.stream.destroy();
  const m = await inbox.next();
  assert.equal(m.topic, `${t}/rude`);
  assert.equal(m.payload, 'lost');
  await assert.rejects(inbox.next(300));
  rude.end(true);
  await watcher.endAsync();
});

test('client id takeover: the older connection is closed', async () => {
  const id = uniqueName('dup');
  const first = await connect({ clientId: id });
  const closed = new Promise<void>((r) => first.on('close', () => r()));
  const second = await connect({ clientId: id });
  await closed;
  assert.equal(second.connected, true);
  first.end(true);
  await second.endAsync();
});

test('CONNACK refusals as RabbitMQ 3.10: 4 for bad credentials or a missing vhost, 5 for a refused vhost', async () => {
  await assert.rejects(connect({ username: 'guest', password: 'wrong' }), /Bad username or password/);
  await assert.rejects(connect({ username: 'nope:guest', password: 'guest' }), /Bad username or password/);
  b.broker.addVHost('mqtt-no-access');
  await assert.rejects(connect({ username: 'mqtt-no-access:guest', password: 'guest' }), /Not authorized/);
  const ok = await connect({ username: '/:guest', password: 'guest' });
  await ok.endAsync();
});

test('MQTT 5: user properties, content type, correlation data, response topic, topic alias, expiry', async () => {
  const sub = await connect({ protocolVersion: 5 });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync('v5/#', { qos: 1 });
  const pub = await connect({ protocolVersion: 5 });
  await pub.publishAsync('v5/a', 'x', {
    qos: 1,
    properties: {
      userProperties: { k: 'v' },
      contentType: 'text/plain',
      correlationData: Buffer.from('corr'),
      responseTopic: 'v5/reply',
      messageExpiryInterval: 60,
      topicAlias: 3,
    },
  });
  // topic alias 3 now stands for v5/a
  await pub.publishAsync('', 'y', { qos: 1, properties: { topicAlias: 3 } });
  const m = await inbox.next();
  assert.equal(m.topic, 'v5/a');
  assert.deepEqual({ ...m.packet.properties?.userProperties }, { k: 'v' });
  assert.equal(m.packet.properties?.contentType, 'text/plain');
  assert.equal(m.packet.properties?.correlationData?.toString(), 'corr');
  assert.equal(m.packet.properties?.responseTopic, 'v5/reply');
  assert.ok((m.packet.properties?.messageExpiryInterval ?? 0) <= 60);
  const m2 = await inbox.next();
  assert.equal(m2.topic, 'v5/a');
  assert.equal(m2.payload, 'y');
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});

test('MQTT over WebSocket (/ws)', async () => {
  const sub = await mqtt.connectAsync(`ws://127.0.0.1:${b.webMqttPort}/ws`, {
    username: 'guest',
    password: 'guest',
    reconnectPeriod: 0,
  });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync('web/x', { qos: 1 });
  const pub = await connect();
  await pub.publishAsync('web/x', 'over ws', { qos: 1 });
  assert.equal((await inbox.next()).payload, 'over ws');
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});

test('MQTT publish → AMQP consumer bound to amq.topic, with RabbitMQ 3.10 properties', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  const { queue } = await ch.assertQueue('', { exclusive: true });
  await ch.bindQueue(queue, 'amq.topic', 'cross.*.amqp');
  const pub = await connect();
  await pub.publishAsync('cross/to/amqp', 'hello amqp', { qos: 1 });
  const m = await eventually(() => ch.get(queue, { noAck: true }));
  assert.ok(m);
  assert.equal(m.content.toString(), 'hello amqp');
  assert.equal(m.fields.routingKey, 'cross.to.amqp');
  assert.equal(m.properties.deliveryMode, 2);
  assert.deepEqual(m.properties.headers, { 'x-mqtt-publish-qos': 1, 'x-mqtt-dup': false });
  await pub.endAsync();
  await conn.close();
});

test('AMQP publish to amq.topic → MQTT subscriber; subscription queue visible to AMQP', async () => {
  const id = uniqueName('amqp2mqtt');
  const sub = await connect({ clientId: id });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync('from/amqp/#', { qos: 1 });
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  const ok = await ch.checkQueue(`mqtt-subscription-${id}qos1`);
  assert.equal(ok.consumerCount, 1);
  ch.publish('amq.topic', 'from.amqp.x', Buffer.from('hi mqtt'), { headers: { h: 'v' } });
  const m = await inbox.next();
  assert.equal(m.topic, 'from/amqp/x');
  assert.equal(m.payload, 'hi mqtt');
  assert.equal(m.packet.qos, 1);
  await sub.endAsync();
  await conn.close();
});

test('a malformed packet closes only that connection', async () => {
  const good = await connect();
  const net = await import('node:net');
  const s = net.connect(b.mqttPort!, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const closed = new Promise((r) => s.once('close', r));
  // CONNECT with protocol name "XXXX"
  s.write(Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x58, 0x58, 0x58, 0x58, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]));
  await closed;
  await good.publishAsync('still/alive', 'yes', { qos: 1 });
  await good.endAsync();
});

test('MQTT 5 will delay: published after the delay, cancelled by a reconnect of the same client id', async () => {
  const t = uniqueName('wd').replaceAll('.', '_');
  const watcher = await connect();
  const inbox = new Inbox(watcher);
  await watcher.subscribeAsync(`${t}/#`, { qos: 1 });
  const will = (name: string) => ({
    topic: `${t}/${name}`,
    payload: Buffer.from(name),
    qos: 1 as const,
    retain: false,
    properties: { willDelayInterval: 1 },
  });
  const v5 = { protocolVersion: 5 as const, properties: { sessionExpiryInterval: 10 } };
  const back = await connect({ ...v5, clientId: `${t}-back`, will: will('back') });
  const gone = await connect({ ...v5, clientId: `${t}-gone`, will: will('gone') });
  const t0 = Date.now();
  back.stream.destroy();
  gone.stream.destroy();
  const again = await connect({ ...v5, clientId: `${t}-back`, clean: false });
  const m = await inbox.next(3000);
  assert.equal(m.topic, `${t}/gone`);
  assert.ok(Date.now() - t0 >= 900, 'not before the delay');
  await assert.rejects(inbox.next(300));
  back.end(true);
  gone.end(true);
  await again.endAsync();
  await connect({ clientId: `${t}-back`, clean: true }).then((c) => c.endAsync());
  await connect({ clientId: `${t}-gone`, clean: true }).then((c) => c.endAsync());
  await watcher.endAsync();
});

test('MQTT 5 Maximum Packet Size: a message too large for the subscriber is not sent to it', async () => {
  const sub = await connect({ protocolVersion: 5, properties: { maximumPacketSize: 200 } });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync('big/+', { qos: 1 });
  const pub = await connect();
  await pub.publishAsync('big/a', Buffer.alloc(500), { qos: 1 });
  await pub.publishAsync('big/b', 'small', { qos: 1 });
  const m = await inbox.next();
  assert.equal(m.topic, 'big/b');
  await Promise.all([sub.endAsync(), pub.endAsync()]);
});

test('permissions: topic write/read permissions refuse a publish (connection closed) and a subscription (0x80)', async () => {
  const users = b.broker.users;
  const name = uniqueName('u');
  users.add(name, 'pw');
  users.setPermissions(name, '/', { configure: '.*', write: '.*', read: '.*' });
  // only routing keys under "{client_id}." may be published, only "allowed.#" subscribed
  users.setTopicPermission(name, '/', { exchange: 'amq.topic', write: '^{client_id}\\.', read: '^allowed\\.' });
  // the users are not on loopback-only lists: connect over 127.0.0.1 with the new user
  const id = uniqueName('perm').replaceAll('.', '_');
  const c = await connect({ username: name, password: 'pw', clientId: id });
  const granted = await c.subscribeAsync('allowed/x', { qos: 1 });
  assert.equal(granted[0]!.qos, 1);
  // MQTT 3.1.1 SUBACK failure 0x80 (mqtt.js reports it as an error)
  await assert.rejects(c.subscribeAsync('secret/x', { qos: 1 }), /Unspecified error/);
  await c.publishAsync(`${id}/ok`, 'fine', { qos: 1 });
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  c.publish('other/topic', 'refused', { qos: 1 });
  await closed;
  c.end(true);
});

test('UNSUBSCRIBE removes the binding; MQTT 5 UNSUBACK says 0x11 for a filter never subscribed', async () => {
  const id = uniqueName('unsub');
  const c = await connect({ protocolVersion: 5, clientId: id });
  const inbox = new Inbox(c);
  await c.subscribeAsync('u/a', { qos: 1 });
  const ack = (await c.unsubscribeAsync(['u/a', 'u/never'])) as { reasonCode?: number; granted?: number[] };
  const q = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos1`)!;
  assert.equal(q.bindings.size, 0);
  assert.deepEqual((ack as { granted?: number[] }).granted ?? (ack as { reasonCode?: number[] }).reasonCode, [0, 0x11]);
  const pub = await connect();
  await pub.publishAsync('u/a', 'gone', { qos: 1 });
  await assert.rejects(inbox.next(300));
  await Promise.all([c.endAsync(), pub.endAsync()]);
});
