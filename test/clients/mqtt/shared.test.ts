// MQTT 5 shared subscriptions (§4.8.2, `$share/group/filter`), which RabbitMQ does not have, with the
// `mqtt` npm client: one queue per group and filter, its messages spread round-robin over the group's
// sessions; the subscribe rules (share name, No Local), no retained messages, persistent members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { eventually, uniqueName } from '../../helpers/broker.js';
import { Inbox, MQTT_GUEST, mqttUrl, useMqttBroker } from './helpers.js';
import { RawMqtt } from './raw.js';

const { b, clients, connect } = useMqttBroker({ ...MQTT_GUEST, protocolVersion: 5 });
const topic = (p: string) => uniqueName(p).replaceAll('.', '_');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vhost = () => b.broker.vhosts.get('/')!;

test('a group shares its messages round-robin; a plain subscriber still gets them all (MQTT 5 and 3.1.1 members)', async () => {
  const t = topic('sh');
  const g = topic('g');
  const a = await connect();
  const c = await connect({ protocolVersion: 4 });
  const plain = await connect();
  const [ia, ic, ip] = [new Inbox(a), new Inbox(c), new Inbox(plain)];
  assert.equal((await a.subscribeAsync(`$share/${g}/${t}/#`, { qos: 1 }))[0]!.qos, 1);
  assert.equal((await c.subscribeAsync(`$share/${g}/${t}/#`, { qos: 0 }))[0]!.qos, 0);
  await plain.subscribeAsync(`${t}/#`, { qos: 1 });
  const q = vhost().queues.get(`mqtt-shared-${g}-${t}.#`)!;
  assert.ok(q, 'the group queue');
  assert.equal(q.consumers.length, 2);
  const pub = await connect();
  for (let i = 0; i < 10; i++) await pub.publishAsync(`${t}/x`, `m${i}`, { qos: 1 });
  for (let i = 0; i < 10; i++) assert.equal((await ip.next()).payload, `m${i}`);
  await eventually(() => ia.all.length + ic.all.length === 10);
  assert.equal(ia.all.length, 5);
  assert.equal(ic.all.length, 5);
  // each member gets its own subscription's QoS (§4.8.2)
  assert.ok(ia.all.every((m) => m.packet.qos === 1));
  assert.ok(ic.all.every((m) => m.packet.qos === 0));
  // the group's queue goes with its last member
  await a.unsubscribeAsync(`$share/${g}/${t}/#`);
  assert.ok(vhost().queues.has(q.name));
  await c.endAsync();
  await eventually(() => !vhost().queues.has(q.name));
  await Promise.all([a.endAsync(), plain.endAsync(), pub.endAsync()]);
});

test('share names and filters are checked (§4.8.2): 0x8F on MQTT 5, 0x80 on 3.1.1', async () => {
  // a raw client: mqtt.js refuses some of these itself
  const r5 = await RawMqtt.connect(b.mqttPort!, uniqueName('sh5'), { version: 5, clean: true });
  let id = 1;
  for (const f of ['$share/g', '$share//t', '$share/g+/t', '$share/g#/t', '$share/g/', '$share/g/a/#/b']) {
    assert.deepEqual(await r5.c.subscribe(f, 1, id++), [0x8f], f);
  }
  assert.deepEqual(await r5.c.subscribe('$share/g/ok/+', 1, id), [1]);
  await r5.c.disconnect();
  const r = await RawMqtt.connect(b.mqttPort!, uniqueName('sh4'), { clean: true });
  assert.deepEqual(await r.c.subscribe('$share/g', 1), [0x80]);
  await r.c.disconnect();
});

test('No Local on a shared subscription is a protocol error (MQTT-3.8.3-4)', async () => {
  const r = await RawMqtt.connect(b.mqttPort!, uniqueName('shnl'), { version: 5, clean: true });
  r.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: '$share/g/t', qos: 1, nl: true }] });
  const d = await r.c.next('disconnect');
  assert.equal((d as { reasonCode?: number }).reasonCode, 0x82);
});

test('retained messages are not sent to a shared subscription', async () => {
  const t = topic('shr');
  const pub = await connect();
  await pub.publishAsync(t, 'kept', { qos: 1, retain: true });
  const a = await connect();
  const ia = new Inbox(a);
  await a.subscribeAsync(`$share/g/${t}`, { qos: 1 });
  await sleep(300);
  assert.equal(ia.all.length, 0);
  await pub.publishAsync(t, 'live', { qos: 1 });
  assert.equal((await ia.next()).payload, 'live');
  await pub.publishAsync(t, '', { qos: 1, retain: true });
  await Promise.all([a.endAsync(), pub.endAsync()]);
});

test('a persistent member: messages wait for it while the whole group is away; it resumes its membership', async () => {
  const t = topic('shp');
  const g = topic('pg');
  const id = uniqueName('shpm');
  const m1 = await connect({ clientId: id, clean: false, properties: { sessionExpiryInterval: 600 } });
  await m1.subscribeAsync(`$share/${g}/${t}`, { qos: 2 });
  await m1.endAsync();
  const q = vhost().queues.get(`mqtt-shared-${g}-${t}`)!;
  assert.ok(q);
  const pub = await connect();
  for (const m of ['a', 'b', 'c']) await pub.publishAsync(t, m, { qos: 2 });
  await eventually(() => q.messageCount === 3);
  const again = await new Promise<{ c: mqtt.MqttClient; present: boolean; inbox: Inbox }>((resolve, reject) => {
    const c = mqtt.connect(mqttUrl(b), {
      ...MQTT_GUEST,
      protocolVersion: 5,
      clientId: id,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    clients.push(c);
    const inbox = new Inbox(c);
    c.once('connect', (ack) => resolve({ c, present: ack.sessionPresent, inbox }));
    c.once('error', reject);
  });
  assert.equal(again.present, true);
  const got = [await again.inbox.next(), await again.inbox.next(), await again.inbox.next()];
  assert.deepEqual(
    got.map((m) => [m.payload, m.packet.qos]),
    [
      ['a', 2],
      ['b', 2],
      ['c', 2],
    ],
  );
  // a clean start leaves the group (its last member: the queue goes)
  await again.c.endAsync();
  const clean = await connect({ clientId: id, clean: true });
  assert.ok(!vhost().queues.has(q.name));
  await Promise.all([clean.endAsync(), pub.endAsync()]);
});
