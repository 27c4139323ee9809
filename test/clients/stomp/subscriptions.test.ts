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

// Compared frame by frame with RabbitMQ 3.10.8 (raw frames over TCP, the same frames sent to both).

test('ERROR frames carry no receipt-id, as RabbitMQ 3.10 sends them, with its texts; none of these closes', async () => {
  const q = uniqueName('err');
  const r = await Raw.open('1.2');
  const error = (message: string, body: string) =>
    `ERROR\nmessage:${message}\ncontent-type:text/plain\nversion:1.0,1.1,1.2\n` +
    `content-length:${Buffer.byteLength(body)}\n\n${body}\0`;
  const cases: [string, string, string][] = [
    ['SEND\nreceipt:r1\n\nx', 'Missing destination', `"SEND" must include a 'destination' header\n`],
    [
      'SEND\ndestination:/temp-queue/t\nreceipt:r2\n\nx',
      'Invalid destination',
      `'/temp-queue/t' is not a valid destination for 'SEND'\n`,
    ],
    ['SUBSCRIBE\nid:s\nreceipt:r3\n\n', 'Missing destination', `"SUBSCRIBE" must include a 'destination' header\n`],
    [`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nack:bogus\nreceipt:r4\n\n`, 'Processing error', 'Processing error'],
    [
      'SUBSCRIBE\nid:s\ndestination:/temp-queue/t\nreceipt:r5\n\n',
      'Invalid destination',
      `'/temp-queue/t' is not a valid destination for 'SUBSCRIBE'\n`,
    ],
    ['BEGIN\nreceipt:r6\n\n', 'Missing transaction', `"BEGIN" must include a 'transaction' header\n`],
    ['COMMIT\nreceipt:r7\n\n', 'Missing transaction', `"COMMIT" must include a 'transaction' header\n`],
    ['ABORT\ntransaction:no\nreceipt:r8\n\n', 'Bad transaction', 'Invalid transaction identifier: "no"\n'],
    ['FOO\nreceipt:r9\n\n', 'Bad command', 'Could not interpret command "FOO"\n'],
    ['ACK\nreceipt:r10\n\n', 'Missing header', '"ACK" must include the "id" header\n'],
    ['NACK\nid:garbage\nreceipt:r11\n\n', 'Invalid header', '"NACK" must include a valid "id" header\n'],
    [
      'ACK\nid:T_s1@@session-x@@9\nreceipt:r12\n\n',
      'Subscription not found',
      'Message with id "T_s1@@session-x@@9" has no subscription',
    ],
  ];
  for (const [frame, message, body] of cases) {
    const at = r.text.length;
    r.send(frame);
    await eventually(() => r.text.slice(at).includes('\0\n'), 3000);
    assert.equal(r.text.slice(at).replace(/^\n+/, ''), error(message, body) + '\n', frame);
  }
  assert.doesNotMatch(r.text, /receipt-id/);
  assert.equal(r.closed, false);
  r.end();
});

test('a SUBSCRIBE that ends the connection (missing queue, duplicate id) gets its RECEIPT after the ERROR, as RabbitMQ', async () => {
  const r = await Raw.open('1.2');
  r.send(`SUBSCRIBE\nid:1\ndestination:/amq/queue/${uniqueName('none')}\nreceipt:r1\n\n`);
  await eventually(() => r.closed, 3000);
  assert.match(
    r.text,
    /\0\nERROR\nmessage:not_found\n[^\0]*NOT_FOUND - no queue [^\0]*\0\nRECEIPT\nreceipt-id:r1\n\n\0\n$/,
  );
  const d = await Raw.open('1.2');
  const q = uniqueName('dup2');
  d.send(`SUBSCRIBE\nid:1\ndestination:/queue/${q}\nreceipt:a\n\n`);
  d.send(`SUBSCRIBE\nid:1\ndestination:/queue/${q}\nreceipt:b\n\n`);
  await eventually(() => d.closed, 3000);
  assert.match(d.text, /message:Duplicated subscription identifier\n[^\0]*\0\nRECEIPT\nreceipt-id:b\n\n\0\n$/);
});

test("ACK of a delivery no longer outstanding: RECEIPT, then the channel's 406, then the connection closes", async () => {
  const q = uniqueName('dack');
  const r = await Raw.open('1.2');
  r.send(`SEND\ndestination:/queue/${q}\n\nm`);
  r.send(`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nack:client-individual\n\n`);
  const ack = /\nack:(\S+)/.exec(await r.waitFor(/\nack:\S+/))![1]!;
  r.send(`ACK\nid:${ack}\nreceipt:a1\n\n`);
  r.send(`ACK\nid:${ack}\nreceipt:a2\n\n`);
  await eventually(() => r.closed, 3000);
  assert.match(
    r.text,
    /receipt-id:a1\n\n\0\nRECEIPT\nreceipt-id:a2\n\n\0\nERROR\nmessage:precondition_failed\n[^\0]*\n\nPRECONDITION_FAILED - unknown delivery tag 1\0\n$/,
  );
});

test('NACK: its RECEIPT comes before the redelivery; STOMP 1.0 takes NACK too, as RabbitMQ', async () => {
  const q = uniqueName('nack');
  const r = await Raw.open('1.0');
  r.send(`SEND\ndestination:/queue/${q}\n\nm`);
  r.send(`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nack:client\n\n`);
  const mid = /\nmessage-id:(\S+)/.exec(await r.waitFor(/\nmessage-id:\S+/))![1]!;
  r.send(`NACK\nmessage-id:${mid}\nreceipt:n1\n\n`);
  const t = await r.waitFor(/redelivered:true/);
  assert.ok(t.indexOf('receipt-id:n1') >= 0 && t.indexOf('receipt-id:n1') < t.indexOf('redelivered:true'), t);
  r.end();
});

test('ack mode client is cumulative over the connection, as basic.ack multiple on its one channel', async () => {
  const [a, c] = [uniqueName('cumA'), uniqueName('cumB')];
  const r = await Raw.open('1.2');
  r.send(`SUBSCRIBE\nid:A\ndestination:/queue/${a}\nack:client\n\n`);
  r.send(`SUBSCRIBE\nid:B\ndestination:/queue/${c}\nack:client\n\n`);
  r.send(`SEND\ndestination:/queue/${a}\n\na1`);
  await r.waitFor(/a1\0/);
  r.send(`SEND\ndestination:/queue/${c}\n\nb1`);
  await r.waitFor(/b1\0/);
  const acks = [...r.text.matchAll(/\nack:(\S+)/g)].map((x) => x[1]!);
  r.send(`ACK\nid:${acks[1]}\nreceipt:k\n\n`); // B's message: A's earlier one is settled too
  await r.waitFor(/receipt-id:k/);
  const v = b.broker.vhosts.get('/')!;
  assert.equal(v.queues.get(a)!.unackedCount, 0);
  assert.equal(v.queues.get(c)!.unackedCount, 0);
  r.end();
});

test('/queue/ with durable:false or persistent:false is exclusive and auto-delete; declared once per connection', async () => {
  const q = uniqueName('np');
  const r = await Raw.open('1.2');
  r.send(`SEND\ndestination:/queue/${q}\npersistent:false\nreceipt:r1\n\nx`);
  // declared before by this connection: RabbitMQ does not declare it again (no inequivalent-arg error)
  r.send(`SEND\ndestination:/queue/${q}\nx-max-length:5\nreceipt:r2\n\nx`);
  await r.waitFor(/receipt-id:r2/);
  const queue = b.broker.vhosts.get('/')!.queues.get(q)!;
  assert.equal(queue.durable, false);
  assert.equal(queue.autoDelete, true);
  assert.ok(queue.exclusiveOwner !== null);
  const o = await Raw.open('1.2');
  o.send(`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nreceipt:s\n\n`);
  await eventually(() => o.closed, 3000);
  assert.match(
    o.text,
    /message:resource_locked\n[^\0]*RESOURCE_LOCKED - cannot obtain exclusive access to locked queue/,
  );
  r.end();
});
