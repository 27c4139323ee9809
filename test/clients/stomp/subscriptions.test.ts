// What stomp.py's suite and a frame-by-frame comparison with RabbitMQ 3.10's STOMP plugin showed (raw frames
// over TCP; the expected texts are what RabbitMQ 3.10.8 sent for the same frames):
// - a SEND's receipt and transaction headers stay on the message (RabbitMQ drops only destination).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import amqp from 'amqplib';
import type { RunningBroker } from '../../../src/index.js';
import { eventually, uniqueName } from '../../helpers/broker.js';
import { startMqttBroker } from '../mqtt/helpers.js';

let b: RunningBroker;
before(async () => {
  b = await startMqttBroker();
});
after(async () => {
  await b.close();
});

/** A logged-in raw STOMP conversation: write frames, read everything the server says. */
class Raw {
  text = '';
  closed = false;
  private constructor(readonly s: net.Socket) {
    s.on('data', (d) => (this.text += d.toString()));
    s.on('close', () => (this.closed = true));
  }
  static async open(version: string): Promise<Raw> {
    const s = net.connect(b.stompPort!, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    const r = new Raw(s);
    r.send(`CONNECT\naccept-version:${version}\nhost:/\nlogin:guest\npasscode:guest\n\n`);
    await r.waitFor(/CONNECTED/);
    return r;
  }
  send(frame: string): void {
    this.s.write(frame + '\0');
  }
  async waitFor(re: RegExp): Promise<string> {
    await eventually(() => re.test(this.text), 3000);
    return this.text;
  }
  end(): void {
    this.s.destroy();
  }
}

test("a SEND's receipt and transaction headers reach STOMP subscribers and AMQP consumers, as RabbitMQ's", async () => {
  const q = uniqueName('hdr');
  const r = await Raw.open('1.1');
  r.send(`SUBSCRIBE\ndestination:/queue/${q}\nid:1\nreceipt:sub\n\n`);
  await r.waitFor(/receipt-id:sub/);
  r.send(`SEND\ndestination:/queue/${q}\nreceipt:123\n\nplain`);
  r.send(`BEGIN\ntransaction:tx1\n\n`);
  r.send(`SEND\ndestination:/queue/${q}\ntransaction:tx1\n\nin-tx`);
  r.send(`COMMIT\ntransaction:tx1\nreceipt:c\n\n`);
  const t = await r.waitFor(/in-tx\0/);
  const first = t.slice(t.indexOf('MESSAGE'), t.indexOf('plain\0'));
  assert.match(first, /\nreceipt:123\n/);
  const second = t.slice(t.lastIndexOf('MESSAGE'));
  assert.match(second, /\ntransaction:tx1\n/);
  assert.doesNotMatch(second, /\ndestination:.*\n[^]*\ndestination:/, 'destination once, the MESSAGE own');
  r.end();

  const c = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await c.createChannel();
  const q2 = uniqueName('hdr-amqp');
  await ch.assertQueue(q2, { durable: true });
  const p = await Raw.open('1.2');
  p.send(`SEND\ndestination:/queue/${q2}\nreceipt:r1\nfoo:bar\n\nx`);
  await p.waitFor(/receipt-id:r1/);
  const m = await ch.get(q2, { noAck: true });
  assert.ok(m);
  assert.equal(m.properties.headers?.receipt, 'r1');
  assert.equal(m.properties.headers?.foo, 'bar');
  assert.equal(m.properties.headers?.destination, undefined);
  p.end();
  await ch.deleteQueue(q2);
  await c.close();
});
