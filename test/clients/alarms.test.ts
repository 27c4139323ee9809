// Resource alarms on the MQTT and STOMP front ends (mqtt.js; raw STOMP frames over TCP): as RabbitMQ's
// MQTT and STOMP readers, a connection that publishes during an alarm is no longer read until it clears,
// then resumes with nothing lost; a connection that only subscribes keeps receiving and acknowledging.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import mqtt from 'mqtt';
import amqp from 'amqplib';
import type { RunningBroker } from '../../src/index.js';
import { eventually, uniqueName } from '../helpers/broker.js';
import { Inbox, MQTT_GUEST, mqttUrl, startMqttBroker } from './mqtt/helpers.js';

let b: RunningBroker;
before(async () => {
  b = await startMqttBroker({ logLevel: 'error' });
});
after(async () => {
  await b.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** RabbitMQ's set_vm_memory_high_watermark 0 raises the memory alarm at once; 0.4 clears it. */
const raise = () => b.memory.setWatermark({ relative: 0 });
const clear = () => b.memory.setWatermark({ relative: 0.4 });
const blockedConnections = () => [...b.broker.connections.values()].filter((c) => c.blocked === true).length;

test('MQTT: a publisher is paused during the memory alarm and resumes after it; a subscriber keeps PUBACKing', async () => {
  const topic = uniqueName('alarm').replace(/\./g, '/');
  const sub = await mqtt.connectAsync(mqttUrl(b), { ...MQTT_GUEST, clientId: uniqueName('sub'), clean: true });
  const pub = await mqtt.connectAsync(mqttUrl(b), { ...MQTT_GUEST, clientId: uniqueName('pub'), clean: true });
  try {
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(topic, { qos: 1 });
    // 30 QoS 1 messages waiting (more than the 10 in flight a subscriber gets without PUBACKs)
    for (let i = 0; i < 30; i++) await pub.publishAsync(topic, `before ${i}`, { qos: 1 });
    raise();
    try {
      for (let i = 0; i < 30; i++) assert.equal((await inbox.next()).payload, `before ${i}`);
      // the first publish during the alarm goes through and blocks the connection
      await pub.publishAsync(topic, 'during 0', { qos: 1 });
      assert.equal((await inbox.next()).payload, 'during 0');
      let acked = 0;
      for (let i = 1; i <= 3; i++) pub.publish(topic, `during ${i}`, { qos: 1 }, () => void acked++);
      await sleep(300);
      assert.equal(acked, 0, 'the blocked publisher is not read: no PUBACK');
      assert.equal(inbox.all.length, 0);
      assert.equal(blockedConnections(), 1);
      clear();
      for (let i = 1; i <= 3; i++) assert.equal((await inbox.next()).payload, `during ${i}`);
      await eventually(() => acked === 3);
      assert.equal(blockedConnections(), 0);
    } finally {
      clear();
    }
  } finally {
    await pub.endAsync();
    await sub.endAsync();
  }
});

/** A raw STOMP conversation over TCP. */
class Raw {
  text = '';
  private constructor(readonly s: net.Socket) {
    s.on('data', (d) => (this.text += d.toString()));
  }
  static async open(): Promise<Raw> {
    const s = net.connect(b.stompPort!, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const r = new Raw(s);
    r.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n');
    await r.waitFor(/CONNECTED/);
    return r;
  }
  send(frame: string): void {
    this.s.write(frame + '\0');
  }
  async waitFor(re: RegExp, ms = 3000): Promise<string> {
    await eventually(() => re.test(this.text), ms);
    return this.text;
  }
  count(re: RegExp): number {
    return (this.text.match(re) ?? []).length;
  }
}

test('STOMP: a SEND during the alarm blocks its connection until it clears; a subscriber keeps ACKing', async () => {
  const q = uniqueName('salarm');
  const pub = await Raw.open();
  const sub = await Raw.open();
  try {
    for (let i = 0; i < 20; i++) pub.send(`SEND\ndestination:/queue/${q}\nreceipt:b${i}\n\nbefore ${i}`);
    await pub.waitFor(/receipt-id:b19/);
    raise();
    try {
      // prefetch 5 with client-individual acks: all 20 arrive only if the subscriber's ACKs are read
      sub.send(`SUBSCRIBE\ndestination:/queue/${q}\nid:s1\nack:client-individual\nprefetch-count:5\n\n`);
      for (let n = 0; n < 20; n++) {
        await eventually(() => sub.count(/(^|\n|\0)MESSAGE\n/g) > n);
        const ids = [...sub.text.matchAll(/\nack:([^\n]+)/g)].map((m) => m[1]!);
        sub.send(`ACK\nid:${ids[n]}\n\n`);
      }
      await sub.waitFor(/before 19/);
      pub.send(`SEND\ndestination:/queue/${q}\nreceipt:d0\n\nduring 0`);
      await pub.waitFor(/receipt-id:d0/);
      pub.send(`SEND\ndestination:/queue/${q}\nreceipt:d1\n\nduring 1`);
      await sleep(300);
      assert.doesNotMatch(pub.text, /receipt-id:d1/, 'the blocked connection is not read');
      assert.equal(blockedConnections(), 1);
      clear();
      await pub.waitFor(/receipt-id:d1/);
      await sub.waitFor(/during 1/);
    } finally {
      clear();
    }
  } finally {
    pub.s.destroy();
    sub.s.destroy();
  }
});

test('AMQP: blocked at its first publish during the alarm, unblocked only when every alarm has cleared', async () => {
  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}/`);
  try {
    const ch = await c.createChannel();
    const q = uniqueName('aq');
    await ch.assertQueue(q, { exclusive: true });
    raise();
    try {
      const conn = [...b.broker.connections.values()].find((x) => x.protocol.startsWith('AMQP'))!;
      assert.equal(conn.blocked, false, "'blocking': no publish yet");
      const blocked = new Promise<string>((r) => c.once('blocked', r));
      ch.sendToQueue(q, Buffer.from('x'));
      assert.equal(await blocked, 'low on memory');
      assert.equal(conn.blocked, true);
      b.broker.alarms.set('disk', true);
      const unblocked = new Promise<void>((r) => c.once('unblocked', () => r()));
      clear();
      await sleep(100);
      assert.equal(conn.blocked, true, 'still blocked: the disk alarm is in effect');
      b.broker.alarms.set('disk', false);
      await unblocked;
      assert.equal((await ch.checkQueue(q)).messageCount, 1);
    } finally {
      b.broker.alarms.set('disk', false);
      clear();
    }
  } finally {
    await c.close();
  }
});
