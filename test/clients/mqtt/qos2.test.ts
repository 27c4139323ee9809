// MQTT QoS 2, exactly once between client and broker (§4.3.3), which RabbitMQ downgrades to QoS 1: the
// `mqtt` npm client end to end, and a raw client (raw.ts) that stops in the middle of each handshake step,
// reconnects and resumes, also across a Warren restart (file storage). --mqtt-qos2 downgrade keeps
// RabbitMQ's behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import type mqttPacket from 'mqtt-packet';
import { eventually, uniqueName } from '../../helpers/broker.js';
import { Inbox, MQTT_GUEST, startMqttBroker, useMqttBroker } from './helpers.js';
import { cutProxy } from './cut-proxy.js';
import { RawMqtt } from './raw.js';

const raws: RawMqtt[] = [];
const { b, clients, connect } = useMqttBroker(MQTT_GUEST, async () => {
  for (const r of raws) if (!r.closed) await r.drop();
});
const raw = async (clientId: string, o: Parameters<typeof RawMqtt.connect>[2] = {}, broker = b) => {
  const r = await RawMqtt.connect(broker.mqttPort!, clientId, o);
  raws.push(r.c);
  return r;
};
const topic = (p: string) => uniqueName(p).replaceAll('.', '_');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('mqtt.js 3.1.1 and 5: QoS 2 publish and subscription, exactly once, through the …qos2 queue', async () => {
  for (const protocolVersion of [4, 5] as const) {
    const t = topic('q2');
    const id = uniqueName('q2sub');
    const sub = await connect({ protocolVersion, clientId: id, clean: false });
    const inbox = new Inbox(sub);
    const granted = await sub.subscribeAsync(`${t}/#`, { qos: 2 });
    assert.equal(granted[0]!.qos, 2);
    const q2 = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos2`)!;
    assert.equal(q2.durable, true);
    const pub = await connect({ protocolVersion });
    await pub.publishAsync(`${t}/a`, 'exactly once', { qos: 2 });
    const m = await inbox.next();
    assert.equal(m.payload, 'exactly once');
    assert.equal(m.packet.qos, 2);
    // QoS 1 publish to a QoS 2 subscription: delivered at QoS 1 (the lower of the two, §3.8.4)
    await pub.publishAsync(`${t}/b`, 'one', { qos: 1 });
    assert.equal((await inbox.next()).packet.qos, 1);
    // the message left the queue at PUBREC, nothing is unacked once PUBCOMP is in
    await eventually(() => q2.messageCount === 0 && q2.unackedCount === 0);
    await sleep(100);
    assert.equal(inbox.all.length, 0);
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  }
});

test('MQTT 5 CONNACK leaves Maximum QoS out (2 is available), a QoS 2 will is accepted and published', async () => {
  const t = topic('will');
  const sub = await connect({ protocolVersion: 5 });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(t, { qos: 2 });
  const r = await raw(uniqueName('q2ack'), {
    version: 5,
    clean: true,
    will: { topic: t, payload: Buffer.from('gone'), qos: 2, retain: false },
  });
  assert.equal(r.connack.reasonCode, 0);
  assert.equal(r.connack.properties?.maximumQoS, undefined);
  await r.c.drop();
  const m = await inbox.next();
  assert.equal(m.payload, 'gone');
  assert.equal(m.packet.qos, 2);
  await sub.endAsync();
});

test('inbound: reconnect after PUBREC before PUBREL: the re-sent PUBLISH (DUP) is not routed again', async () => {
  const t = topic('in');
  const sub = await connect({ clientId: uniqueName('insub') });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(t, { qos: 1 });
  const id = uniqueName('inpub');
  let { c } = await raw(id);
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('m1'), qos: 2, messageId: 7, dup: false, retain: false });
  assert.equal(((await c.next('pubrec')) as mqttPacket.IPubrecPacket).messageId, 7);
  await c.drop();
  const again = await raw(id);
  c = again.c;
  // the session is present: it holds packet id 7 awaiting PUBREL
  assert.equal(again.connack.sessionPresent, true);
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('m1'), qos: 2, messageId: 7, dup: true, retain: false });
  assert.equal(((await c.next('pubrec')) as mqttPacket.IPubrecPacket).messageId, 7);
  c.send({ cmd: 'pubrel', messageId: 7 });
  assert.equal(((await c.next('pubcomp')) as mqttPacket.IPubcompPacket).messageId, 7);
  // after PUBCOMP the id is free: the same id is a new message
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('m2'), qos: 2, messageId: 7, dup: false, retain: false });
  await c.next('pubrec');
  c.send({ cmd: 'pubrel', messageId: 7 });
  await c.next('pubcomp');
  assert.equal((await inbox.next()).payload, 'm1');
  assert.equal((await inbox.next()).payload, 'm2');
  await sleep(150);
  assert.deepEqual(
    inbox.all.map((m) => m.payload),
    [],
  );
  await c.disconnect();
  await sub.endAsync();
});

test('inbound: reconnect after PUBLISH before PUBREC: routed once, the re-sent PUBLISH gets its PUBREC', async () => {
  const t = topic('in2');
  const sub = await connect({ clientId: uniqueName('in2sub') });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(t, { qos: 1 });
  const id = uniqueName('in2pub');
  let { c } = await raw(id);
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('once'), qos: 2, messageId: 3, dup: false, retain: false });
  await c.drop(); // PUBREC not read
  assert.equal((await inbox.next()).payload, 'once');
  ({ c } = await raw(id));
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('once'), qos: 2, messageId: 3, dup: true, retain: false });
  await c.next('pubrec');
  c.send({ cmd: 'pubrel', messageId: 3 });
  await c.next('pubcomp');
  await sleep(150);
  assert.equal(inbox.all.length, 0, 'routed twice');
  await c.disconnect();
  await sub.endAsync();
});

test('outbound: reconnect before PUBREC re-sends the PUBLISH with its id and DUP; before PUBCOMP, the PUBREL', async () => {
  const t = topic('out');
  const id = uniqueName('outsub');
  let { c } = await raw(id);
  assert.deepEqual(await c.subscribe(t, 2), [2]);
  const pub = await connect();
  await pub.publishAsync(t, 'to the subscriber', { qos: 2 });
  const p1 = (await c.next('publish')) as mqttPacket.IPublishPacket;
  assert.equal(p1.qos, 2);
  assert.equal(p1.dup, false);
  await c.drop(); // no PUBREC
  let r = await raw(id);
  c = r.c;
  assert.equal(r.connack.sessionPresent, true);
  const p2 = (await c.next('publish')) as mqttPacket.IPublishPacket;
  assert.equal(p2.messageId, p1.messageId);
  assert.equal(p2.dup, true);
  assert.equal(p2.payload.toString(), 'to the subscriber');
  c.send({ cmd: 'pubrec', messageId: p2.messageId! });
  assert.equal(((await c.next('pubrel')) as mqttPacket.IPubrelPacket).messageId, p1.messageId);
  // the message is settled at PUBREC
  const q2 = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos2`)!;
  await eventually(() => q2.messageCount === 0 && q2.unackedCount === 0);
  await c.drop(); // no PUBCOMP
  r = await raw(id);
  c = r.c;
  assert.equal(((await c.next('pubrel')) as mqttPacket.IPubrelPacket).messageId, p1.messageId);
  c.send({ cmd: 'pubcomp', messageId: p1.messageId! });
  // nothing is sent again; the next message flows
  await pub.publishAsync(t, 'next', { qos: 2 });
  const p3 = (await c.next('publish')) as mqttPacket.IPublishPacket;
  assert.equal(p3.payload.toString(), 'next');
  assert.equal(p3.dup, false);
  c.send({ cmd: 'pubrec', messageId: p3.messageId! });
  await c.next('pubrel');
  c.send({ cmd: 'pubcomp', messageId: p3.messageId! });
  await sleep(100);
  assert.equal(c.pending('publish').length, 0);
  await c.disconnect();
  await pub.endAsync();
});

test('MQTT 5 reason codes: 0x92 for unknown packet ids, 0x10 with no subscribers, PUBREC failure ends the flow', async () => {
  const t = topic('rc');
  const { c } = await raw(uniqueName('rc'), { version: 5, clean: true });
  c.send({ cmd: 'pubrel', messageId: 41 });
  const comp = (await c.next('pubcomp')) as mqttPacket.IPubcompPacket;
  assert.equal(comp.messageId, 41);
  assert.equal(comp.reasonCode, 0x92);
  c.send({ cmd: 'pubrec', messageId: 42 });
  const rel = (await c.next('pubrel')) as mqttPacket.IPubrelPacket;
  assert.equal(rel.reasonCode, 0x92);
  c.send({
    cmd: 'publish',
    topic: `${t}/none`,
    payload: Buffer.from('x'),
    qos: 2,
    messageId: 5,
    dup: false,
    retain: false,
  });
  assert.equal(((await c.next('pubrec')) as mqttPacket.IPubrecPacket).reasonCode, 0x10);
  c.send({ cmd: 'pubrel', messageId: 5 });
  assert.equal(((await c.next('pubcomp')) as mqttPacket.IPubcompPacket).reasonCode ?? 0, 0);
  // PUBREC 0x80 from the subscriber: no PUBREL, the message is not sent again (§4.3.3, [MQTT-4.3.3-4])
  await c.subscribe(t, 2);
  const pub = await connect();
  await pub.publishAsync(t, 'refused', { qos: 2 });
  const p = (await c.next('publish')) as mqttPacket.IPublishPacket;
  c.send({ cmd: 'pubrec', messageId: p.messageId!, reasonCode: 0x80 });
  await pub.publishAsync(t, 'after', { qos: 2 });
  const p2 = (await c.next('publish')) as mqttPacket.IPublishPacket;
  assert.equal(p2.payload.toString(), 'after');
  assert.equal(c.pending('pubrel').length, 0);
  await c.disconnect();
  await pub.endAsync();
});

test('a clean session forgets QoS 2 state: the same packet id is a new message', async () => {
  const t = topic('clean');
  const sub = await connect({ clientId: uniqueName('cleansub') });
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(t, { qos: 1 });
  const id = uniqueName('cleanpub');
  let { c } = await raw(id);
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('a'), qos: 2, messageId: 9, dup: false, retain: false });
  await c.next('pubrec');
  await c.drop();
  const r = await raw(id, { clean: true });
  c = r.c;
  assert.equal(r.connack.sessionPresent, false);
  c.send({ cmd: 'publish', topic: t, payload: Buffer.from('b'), qos: 2, messageId: 9, dup: false, retain: false });
  await c.next('pubrec');
  assert.equal((await inbox.next()).payload, 'a');
  assert.equal((await inbox.next()).payload, 'b');
  await c.disconnect();
  await sub.endAsync();
});

test('QoS 2 state survives a Warren restart (file storage): inbound ids awaiting PUBREL, outbound PUBRELs', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-qos2-'));
  let b2 = await startMqttBroker({ storage: 'file', dataDir: dir });
  const local: RawMqtt[] = [];
  try {
    const t = topic('rs');
    const subId = uniqueName('rssub');
    const pubId = uniqueName('rspub');
    const s1 = await raw(subId, {}, b2);
    local.push(s1.c);
    await s1.c.subscribe(t, 2);
    const p1 = await raw(pubId, {}, b2);
    local.push(p1.c);
    // inbound: PUBREC received, PUBREL not sent
    p1.c.send({
      cmd: 'publish',
      topic: t,
      payload: Buffer.from('m1'),
      qos: 2,
      messageId: 11,
      dup: false,
      retain: false,
    });
    await p1.c.next('pubrec');
    // outbound: the subscriber PUBRECs, PUBREL arrives, PUBCOMP not sent
    const d = (await s1.c.next('publish')) as mqttPacket.IPublishPacket;
    assert.equal(d.payload.toString(), 'm1');
    s1.c.send({ cmd: 'pubrec', messageId: d.messageId! });
    await s1.c.next('pubrel');
    await b2.close();
    b2 = await startMqttBroker({ storage: 'file', dataDir: dir });
    const s2 = await raw(subId, {}, b2);
    local.push(s2.c);
    assert.equal(s2.connack.sessionPresent, true);
    assert.equal(((await s2.c.next('pubrel')) as mqttPacket.IPubrelPacket).messageId, d.messageId);
    s2.c.send({ cmd: 'pubcomp', messageId: d.messageId! });
    const p2 = await raw(pubId, {}, b2);
    local.push(p2.c);
    assert.equal(p2.connack.sessionPresent, true);
    p2.c.send({
      cmd: 'publish',
      topic: t,
      payload: Buffer.from('m1'),
      qos: 2,
      messageId: 11,
      dup: true,
      retain: false,
    });
    await p2.c.next('pubrec');
    p2.c.send({ cmd: 'pubrel', messageId: 11 });
    await p2.c.next('pubcomp');
    // not routed again: the subscriber gets the next message, not m1
    p2.c.send({
      cmd: 'publish',
      topic: t,
      payload: Buffer.from('m2'),
      qos: 2,
      messageId: 12,
      dup: false,
      retain: false,
    });
    const d2 = (await s2.c.next('publish')) as mqttPacket.IPublishPacket;
    assert.equal(d2.payload.toString(), 'm2');
  } finally {
    for (const r of local) if (!r.closed) await r.drop();
    await b2.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a QoS 2 delivery awaiting PUBREC when Warren restarts comes again (redelivered, DUP)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warren-qos2-'));
  let b2 = await startMqttBroker({ storage: 'file', dataDir: dir });
  const local: RawMqtt[] = [];
  try {
    const t = topic('rs2');
    const subId = uniqueName('rs2sub');
    const s1 = await raw(subId, {}, b2);
    local.push(s1.c);
    await s1.c.subscribe(t, 2);
    const pub = await connect({}, b2);
    await pub.publishAsync(t, 'pending', { qos: 2 });
    pub.end(true);
    await s1.c.next('publish');
    await b2.close();
    b2 = await startMqttBroker({ storage: 'file', dataDir: dir });
    const s2 = await raw(subId, {}, b2);
    local.push(s2.c);
    const d = (await s2.c.next('publish')) as mqttPacket.IPublishPacket;
    assert.equal(d.payload.toString(), 'pending');
    assert.equal(d.dup, true);
  } finally {
    for (const r of local) if (!r.closed) await r.drop();
    await b2.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--mqtt-qos2 downgrade: RabbitMQ behaviour (Maximum QoS 1, 0x9B on MQTT 5, QoS 1 on 3.1.1)', async () => {
  const bd = await startMqttBroker({ mqttQos2: 'downgrade' });
  try {
    const r5 = await raw(uniqueName('dg5'), { version: 5, clean: true }, bd);
    assert.equal(r5.connack.properties?.maximumQoS, 1);
    r5.c.send({
      cmd: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 2,
      messageId: 1,
      dup: false,
      retain: false,
    });
    assert.equal(((await r5.c.next('disconnect')) as mqttPacket.IDisconnectPacket).reasonCode, 0x9b);
    const id = uniqueName('dg4');
    const r4 = await raw(id, { clean: true }, bd);
    assert.deepEqual(await r4.c.subscribe('dg/t', 2), [1]);
    r4.c.send({
      cmd: 'publish',
      topic: 'dg/t',
      payload: Buffer.from('y'),
      qos: 2,
      messageId: 2,
      dup: false,
      retain: false,
    });
    assert.equal(((await r4.c.next('puback')) as mqttPacket.IPubackPacket).messageId, 2);
    const d = (await r4.c.next('publish')) as mqttPacket.IPublishPacket;
    assert.equal(d.qos, 1);
    assert.ok(!bd.broker.vhosts.get('/')!.queues.has(`mqtt-subscription-${id}qos2`));
    await r4.c.disconnect();
  } finally {
    await bd.close();
  }
});

// mqtt.js resumes a QoS 2 flow itself after a reconnect (its in-memory stores): each cut below happens at
// one step of the handshake, and the message must arrive exactly once.
for (const [step, cmd, toBroker] of [
  ['publisher: after PUBLISH, before PUBREC', 'pubrec', false],
  ['publisher: after PUBREC, before PUBREL', 'pubrel', true],
  ['publisher: after PUBREL, before PUBCOMP', 'pubcomp', false],
] as const) {
  test(`mqtt.js reconnects in the middle of a QoS 2 publish (${step}): routed once`, async () => {
    const t = topic('mjs');
    const sub = await connect({ clientId: uniqueName('mjssub') });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(t, { qos: 2 });
    const proxy = await cutProxy(b.mqttPort!, cmd, toBroker);
    try {
      const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${proxy.port}`, {
        ...MQTT_GUEST,
        clientId: uniqueName('mjspub'),
        clean: false,
        reconnectPeriod: 100,
      });
      clients.push(pub);
      await pub.publishAsync(t, 'exactly once', { qos: 2 });
      assert.ok(proxy.cut);
      assert.equal((await inbox.next()).payload, 'exactly once');
      await sleep(200);
      assert.equal(inbox.all.length, 0, 'routed twice');
      await pub.endAsync();
    } finally {
      await proxy.close();
      await sub.endAsync();
    }
  });
}

for (const [step, cmd, toBroker] of [
  ['after PUBLISH, before PUBREC', 'publish', false],
  ['after PUBREC sent to the subscriber, before PUBREL', 'pubrel', false],
  ['after PUBREL, before PUBCOMP', 'pubcomp', true],
] as const) {
  test(`mqtt.js subscriber reconnects in the middle of a QoS 2 delivery (${step}): received once`, async () => {
    const t = topic('mjsd');
    const id = uniqueName('mjsdsub');
    const proxy = await cutProxy(b.mqttPort!, cmd, toBroker);
    try {
      const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${proxy.port}`, {
        ...MQTT_GUEST,
        clientId: id,
        clean: false,
        reconnectPeriod: 100,
      });
      clients.push(sub);
      const inbox = new Inbox(sub);
      await sub.subscribeAsync(t, { qos: 2 });
      const pub = await connect();
      await pub.publishAsync(t, 'delivered once', { qos: 2 });
      assert.equal((await inbox.next(5000)).payload, 'delivered once');
      await eventually(() => proxy.cut);
      // the flow completes after the reconnect: nothing left in flight in Warren
      const q2 = b.broker.vhosts.get('/')!.queues.get(`mqtt-subscription-${id}qos2`)!;
      await eventually(() => q2.messageCount === 0 && q2.unackedCount === 0);
      await eventually(() => {
        const conn = [...b.broker.connections.values()].find((c) => (c as { clientId?: string }).clientId === id);
        return (conn as { qos2?: { released: Set<number> } } | undefined)?.qos2?.released.size === 0;
      });
      await sleep(200);
      assert.equal(inbox.all.length, 0, 'received twice');
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    } finally {
      await proxy.close();
    }
  });
}
