// What stomp.py's suite and a frame-by-frame comparison with RabbitMQ 3.10's STOMP plugin showed (raw frames
// over TCP; the expected texts are what RabbitMQ 3.10.8 sent for the same frames):
// - a SEND's receipt and transaction headers stay on the message (RabbitMQ drops only destination);
// - subscriptions are named by RabbitMQ's consumer tag, T_<id> or Q_<destination> when SUBSCRIBE has no id
//   (RabbitMQ takes that in 1.1 and 1.2 too); UNSUBSCRIBE finds them by id or else by destination;
// - UNSUBSCRIBE of an unknown subscription and a duplicated SUBSCRIBE id get RabbitMQ's ERROR texts, and the
//   duplicate closes the connection.
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

test('SUBSCRIBE without id in STOMP 1.1 (RabbitMQ takes it): MESSAGEs without subscription, UNSUBSCRIBE by destination', async () => {
  const q = uniqueName('noid');
  const r = await Raw.open('1.1');
  r.send(`SUBSCRIBE\ndestination:/queue/${q}\nreceipt:s\n\n`);
  await r.waitFor(/receipt-id:s/);
  r.send(`SEND\ndestination:/queue/${q}\n\none`);
  const t = await r.waitFor(/one\0/);
  assert.doesNotMatch(t, /ERROR/);
  assert.doesNotMatch(t, /\nsubscription:/);
  assert.match(t, /message-id:Q_\/queue\//);
  r.send(`UNSUBSCRIBE\ndestination:/queue/${q}\nreceipt:u\n\n`);
  await r.waitFor(/receipt-id:u/);
  r.send(`SEND\ndestination:/queue/${q}\nreceipt:after\n\ntwo`);
  await r.waitFor(/receipt-id:after/);
  await new Promise((res) => setTimeout(res, 100));
  assert.doesNotMatch(r.text, /two\0/, 'unsubscribed');
  r.end();
});

test("UNSUBSCRIBE of no subscription: RabbitMQ's 'No subscription found' (by id or destination), or 'Missing destination or id'", async () => {
  const q = uniqueName('unsub');
  const r = await Raw.open('1.1');
  r.send(`SUBSCRIBE\ndestination:/queue/${q}\nid:1\n\n`);
  // by destination: names Q_<destination>, not the subscription with id 1
  r.send(`UNSUBSCRIBE\ndestination:/queue/${q}\n\n`);
  await r.waitFor(/destination='[^']*'" not found/);
  const body =
    'UNSUBSCRIBE must refer to an existing subscription.\n' +
    `Subscription to "destination='/queue/${q}'" not found.\n`;
  const error =
    'ERROR\nmessage:No subscription found\ncontent-type:text/plain\nversion:1.0,1.1,1.2\n' +
    `content-length:${Buffer.byteLength(body)}\n\n${body}\0`;
  assert.ok(r.text.includes(error), r.text);
  r.send(`UNSUBSCRIBE\nid:1\nreceipt:u1\n\n`);
  await r.waitFor(/receipt-id:u1/);
  r.send(`UNSUBSCRIBE\nid:1\n\n`);
  await r.waitFor(/Subscription to "id='1'" not found\.\n\0/);
  r.send(`UNSUBSCRIBE\n\n`);
  await r.waitFor(/message:Missing destination or id\n[^]*UNSUBSCRIBE must include a 'destination' or 'id' header\0/);
  assert.equal(r.closed, false, 'not fatal');
  r.end();
});

test('a duplicated subscription id: ERROR naming the consumer tag (T_<id>, Q_<destination>), then the connection closes', async () => {
  const q = uniqueName('dup');
  const r = await Raw.open('1.1');
  r.send(`SUBSCRIBE\ndestination:/queue/${q}\nid:a:b\n\n`);
  r.send(`SUBSCRIBE\ndestination:/topic/${q}\nid:a:b\n\n`);
  await r.waitFor(
    /message:Duplicated subscription identifier\n[^]*\n\nA subscription identified by 'T_a:b' already exists\.\0/,
  );
  await eventually(() => r.closed, 3000);

  const r10 = await Raw.open('1.0');
  r10.send(`SUBSCRIBE\ndestination:/queue/${q}\n\n`);
  r10.send(`SUBSCRIBE\ndestination:/queue/${q}\n\n`);
  await r10.waitFor(new RegExp(`A subscription identified by 'Q_/queue/${q}' already exists\\.\\0`));
  await eventually(() => r10.closed, 3000);
});

test("a durable SUBSCRIBE without id: RabbitMQ's 'Missing Header'", async () => {
  const r = await Raw.open('1.2');
  r.send(`SUBSCRIBE\ndestination:/topic/${uniqueName('d')}\ndurable:true\nauto-delete:false\n\n`);
  await r.waitFor(/message:Missing Header\n[^]*\n\nHeader 'id' is required for durable subscriptions\0/);
  r.end();
});
