// STOMP with @stomp/stompjs over WebSocket (/ws) and raw frames over TCP, plus the cross-protocol paths
// with amqplib. Texts of ERROR frames are RabbitMQ 3.10's (checked against its STOMP plugin).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, type IMessage } from '@stomp/stompjs';
import WebSocket from 'ws';
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

function stompjs(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new Client({
      webSocketFactory: () => new WebSocket(`ws://127.0.0.1:${b.webStompPort}/ws`, ['v12.stomp']),
      connectHeaders: { login: 'guest', passcode: 'guest' },
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      onConnect: () => resolve(c),
      onStompError: (f) => reject(new Error(f.headers.message)),
      onWebSocketError: () => reject(new Error('websocket error')),
    });
    c.activate();
  });
}

/** A raw STOMP conversation over TCP: write frames, read everything the server says. */
class Raw {
  text = '';
  readonly closed: Promise<void>;
  private constructor(readonly s: net.Socket) {
    s.on('data', (d) => (this.text += d.toString()));
    this.closed = new Promise((r) => s.once('close', () => r()));
  }
  static async open(): Promise<Raw> {
    const s = net.connect(b.stompPort!, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return new Raw(s);
  }
  /** Open, and CONNECT as guest in STOMP 1.2. */
  static async connected(): Promise<Raw> {
    const r = await Raw.open();
    r.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n');
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
}

test('stompjs over WebSocket: SEND /queue/x → SUBSCRIBE /queue/x with client-individual ACK', async () => {
  const q = uniqueName('sq');
  const c = await stompjs();
  c.publish({ destination: `/queue/${q}`, body: 'one', headers: { foo: 'bar', 'content-type': 'text/plain' } });
  const got = await new Promise<IMessage>((resolve) => {
    c.subscribe(`/queue/${q}`, (m) => resolve(m), { ack: 'client-individual' });
  });
  assert.equal(got.body, 'one');
  assert.equal(got.headers.foo, 'bar');
  assert.equal(got.headers['content-type'], 'text/plain');
  assert.equal(got.headers.destination, `/queue/${q}`);
  assert.match(got.headers['message-id']!, /^T_sub-0@@session-.*@@1$/);
  got.ack();
  const v = b.broker.vhosts.get('/')!;
  await eventually(() => v.queues.get(q)!.unackedCount === 0);
  assert.equal(v.queues.get(q)!.durable, true);
  await c.deactivate();
});

test('STOMP SEND /queue/x → AMQP consumer of x, headers mapped to AMQP properties', async () => {
  const q = uniqueName('s2a');
  const r = await Raw.connected();
  r.send(
    `SEND\ndestination:/queue/${q}\npersistent:true\ncorrelation-id:c1\npriority:3\nx-custom:7\nreceipt:r1\n\nbody`,
  );
  await r.waitFor(/RECEIPT\nreceipt-id:r1/);
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  const m = await ch.get(q, { noAck: true });
  assert.ok(m);
  assert.equal(m.content.toString(), 'body');
  assert.equal(m.properties.deliveryMode, 2);
  assert.equal(m.properties.correlationId, 'c1');
  assert.equal(m.properties.priority, 3);
  // RabbitMQ 3.10 keeps the SEND's receipt header on the message (only destination is dropped)
  assert.deepEqual(m.properties.headers, { 'x-custom': '7', receipt: 'r1' });
  await conn.close();
  r.s.end();
});

test('AMQP publish → STOMP /topic subscriber, AMQP properties as STOMP headers', async () => {
  const c = await stompjs();
  const got = new Promise<IMessage>((resolve) => c.subscribe('/topic/news.*', (m) => resolve(m)));
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  await eventually(() => [...b.broker.vhosts.get('/')!.queues.keys()].some((k) => k.startsWith('stomp-subscription-')));
  ch.publish('amq.topic', 'news.today', Buffer.from('extra'), {
    contentType: 'text/plain',
    replyTo: 'rq',
    messageId: 'mid',
    headers: { h1: 'v', n: 7, b: true },
  });
  const m = await got;
  assert.equal(m.body, 'extra');
  assert.equal(m.headers.destination, '/topic/news.today');
  assert.equal(m.headers['reply-to'], '/reply-queue/rq');
  assert.equal(m.headers['amqp-message-id'], 'mid');
  assert.equal(m.headers.h1, 'v');
  assert.equal(m.headers.n, '7');
  assert.equal(m.headers.b, undefined);
  await conn.close();
  await c.deactivate();
});

test('client ack mode is cumulative; NACK requeues (redelivered); prefetch-count limits in-flight', async () => {
  const q = uniqueName('acks');
  const r = await Raw.connected();
  for (let i = 1; i <= 3; i++) r.send(`SEND\ndestination:/queue/${q}\n\nm${i}`);
  r.send(`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nack:client\nprefetch-count:2\n\n`);
  await r.waitFor(/m2\0/);
  await new Promise((res) => setTimeout(res, 100));
  // the body and its NUL: the random session id and queue name may contain "m3" too
  assert.ok(!r.text.includes('m3\0'), 'prefetch-count 2 holds back the third message');
  const ids = [...r.text.matchAll(/\nack:(\S+)/g)].map((x) => x[1]!);
  r.send(`ACK\nid:${ids[1]}\n\n`); // cumulative: m1 and m2
  await r.waitFor(/m3\0/);
  const id3 = [...r.text.matchAll(/\nack:(\S+)/g)].map((x) => x[1]!)[2]!;
  r.send(`NACK\nid:${id3}\n\n`);
  await r.waitFor(/redelivered:true[^\0]*m3\0/);
  const v = b.broker.vhosts.get('/')!;
  assert.equal(v.queues.get(q)!.unackedCount, 1);
  r.s.end();
});

test('transactions: SEND inside BEGIN/COMMIT is delivered at COMMIT, ABORT discards', async () => {
  const q = uniqueName('tx');
  const r = await Raw.connected();
  r.send('BEGIN\ntransaction:t1\n\n');
  r.send(`SEND\ndestination:/queue/${q}\ntransaction:t1\n\ncommitted`);
  r.send('BEGIN\ntransaction:t2\n\n');
  r.send(`SEND\ndestination:/queue/${q}\ntransaction:t2\n\naborted`);
  r.send('ABORT\ntransaction:t2\n\n');
  r.send('COMMIT\ntransaction:t1\nreceipt:done\n\n');
  await r.waitFor(/receipt-id:done/);
  const v = b.broker.vhosts.get('/')!;
  assert.equal(v.queues.get(q)!.messageCount, 1);
  assert.equal(v.queues.get(q)!.ready.peek()!.msg.body.toString(), 'committed');
  r.send('COMMIT\ntransaction:t9\n\n');
  await r.waitFor(/message:Bad transaction/);
  assert.match(r.text, /Invalid transaction identifier: "t9"/);
  r.s.end();
});

test('ERROR frames as RabbitMQ sends them: login, version, destination, missing queue', async () => {
  let r = await Raw.open();
  r.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:bad\n\n');
  await r.closed;
  assert.match(r.text, /^ERROR\nmessage:Bad CONNECT\n[\s\S]*Access refused for user 'guest'/);
  r = await Raw.open();
  r.send('CONNECT\naccept-version:2.0\n\n');
  await r.closed;
  assert.match(r.text, /message:Version mismatch[\s\S]*Supported versions are 1.0,1.1,1.2/);
  r = await Raw.open();
  r.send('SEND\ndestination:/queue/x\n\n');
  await r.closed;
  assert.match(r.text, /message:Illegal command[\s\S]*You must log in using CONNECT first/);
  r = await Raw.open();
  r.send('CONNECT\naccept-version:1.2\n\n');
  r.send('SEND\ndestination:/nope/x\n\nx');
  await r.waitFor(/message:Unknown destination/);
  assert.match(r.text, /'\/nope\/x' is not a valid destination/);
  r.send('SEND\ndestination:/queue/q\nmessage-id:1\n\nx');
  await r.waitFor(/'message-id' is not allowed on 'SEND'/);
  r.send('SUBSCRIBE\nid:1\ndestination:/amq/queue/does-not-exist\n\n');
  await r.closed;
  assert.match(r.text, /message:not_found[\s\S]*NOT_FOUND - no queue 'does-not-exist' in vhost '\/'/);
});

test('temp-queue reply-to: the reply reaches the requester, AMQP sees a server-named queue', async () => {
  const conn = await amqp.connect(`amqp://guest:guest@127.0.0.1:${b.amqpPort}`);
  const ch = await conn.createChannel();
  const q = uniqueName('rpc');
  await ch.assertQueue(q, { durable: true });
  await ch.consume(q, (m) => {
    if (!m) return;
    ch.sendToQueue(m.properties.replyTo as string, Buffer.from('pong'));
    ch.ack(m);
  });
  const r = await Raw.connected();
  r.send(`SEND\ndestination:/queue/${q}\nreply-to:/temp-queue/replies\n\nping`);
  const text = await r.waitFor(/pong\0/);
  assert.match(text, /MESSAGE\nsubscription:\/temp-queue\/replies\ndestination:\/temp-queue\/replies/);
  r.s.end();
  await conn.close();
});

test('durable topic subscription keeps its queue across disconnects', async () => {
  let r = await Raw.connected();
  r.send('SUBSCRIBE\nid:dur\ndestination:/topic/dur.key\ndurable:true\nauto-delete:false\nreceipt:s\n\n');
  await r.waitFor(/receipt-id:s/);
  r.s.end();
  await r.closed;
  const p = await Raw.open();
  p.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n');
  p.send('SEND\ndestination:/topic/dur.key\nreceipt:p\n\nkept');
  await p.waitFor(/receipt-id:p/);
  p.s.end();
  r = await Raw.open();
  r.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n');
  r.send('SUBSCRIBE\nid:dur\ndestination:/topic/dur.key\ndurable:true\nauto-delete:false\n\n');
  await r.waitFor(/kept\0/);
  r.send('UNSUBSCRIBE\nid:dur\ndurable:true\nreceipt:u\n\n');
  await r.waitFor(/receipt-id:u/);
  assert.ok(
    ![...b.broker.vhosts.get('/')!.queues.keys()].some(
      (k) => k.startsWith('stomp-subscription-') && b.broker.vhosts.get('/')!.queues.get(k)!.durable,
    ),
  );
  r.s.end();
});

test('heart-beats in whole seconds, as RabbitMQ: 0,200 is answered 1000,0 and EOLs come every second', async () => {
  const r = await Raw.open();
  r.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\nheart-beat:0,200\n\n');
  await r.waitFor(/heart-beat:1000,0/);
  const at = r.text.length;
  await new Promise((res) => setTimeout(res, 600));
  assert.ok(!r.text.slice(at + 1).includes('\n'), 'not every 200 ms');
  await new Promise((res) => setTimeout(res, 900));
  assert.ok(r.text.slice(at + 1).includes('\n'));
  r.s.end();
});

test('MESSAGE headers as RabbitMQ writes them: no persistent:false, reply-to a /reply-queue/, no content-length for an empty body', async () => {
  const q = uniqueName('mh');
  const r = await Raw.connected();
  r.send(`SUBSCRIBE\nid:s\ndestination:/queue/${q}\nreceipt:sub\n\n`);
  await r.waitFor(/receipt-id:sub/);
  r.send(`SEND\ndestination:/queue/${q}\npersistent:false\nreply-to:plain\ncontent-length:0\nx-k:v\n\n`);
  const t = await r.waitFor(/x-k:v\n\n\0/);
  const m = /MESSAGE\n[^\0]*\0/.exec(t)![0];
  assert.doesNotMatch(m, /persistent/);
  assert.doesNotMatch(m, /content-length/);
  assert.match(m, /\nreply-to:\/reply-queue\/plain\n/);
  r.s.end();
});

test('permissions: a SEND to a queue the user may not write is refused with access_refused', async () => {
  const users = b.broker.users;
  const name = uniqueName('su');
  users.add(name, 'pw');
  users.setPermissions(name, '/', { configure: '.*', write: '^mine\\.', read: '.*' });
  const r = await Raw.open();
  r.send(`CONNECT\naccept-version:1.2\nlogin:${name}\npasscode:pw\n\n`);
  await r.waitFor(/CONNECTED/);
  r.send('SEND\ndestination:/amq/queue/theirs\n\nx');
  await r.closed;
  assert.match(
    r.text,
    new RegExp(
      `message:access_refused[\\s\\S]*ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user '${name}'`,
    ),
  );
});

test('Web-STOMP sends text frames (RabbitMQ web_stomp.ws_frame = text) and picks the v12.stomp subprotocol', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${b.webStompPort}/ws`, ['v10.stomp', 'v12.stomp']);
  await new Promise((r) => ws.once('open', r));
  assert.equal(ws.protocol, 'v12.stomp');
  const got = new Promise<{ text: string; binary: boolean }>((resolve) =>
    ws.once('message', (data: Buffer, isBinary: boolean) => resolve({ text: data.toString(), binary: isBinary })),
  );
  ws.send('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0');
  const m = await got;
  assert.equal(m.binary, false);
  assert.match(m.text, /^CONNECTED\n/);
  ws.close();
});

test('consumer_timeout: an unacknowledged delivery ends the connection with RabbitMQ 406 text; the message returns', async () => {
  const tb = await startMqttBroker({ consumerTimeout: 300 });
  try {
    const q = uniqueName('cto');
    const s = net.connect(tb.stompPort!, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    const closed = new Promise((r) => s.once('close', r));
    s.write('CONNECT\naccept-version:1.2\nlogin:guest\npasscode:guest\n\n\0');
    s.write(`SEND\ndestination:/queue/${q}\n\nslow\0SUBSCRIBE\nid:1\ndestination:/queue/${q}\nack:client\n\n\0`);
    await closed;
    assert.match(text, /MESSAGE[\s\S]*slow/);
    assert.match(text, /message:precondition_failed[\s\S]*delivery acknowledgement on channel 1 timed out/);
    await eventually(() => tb.broker.vhosts.get('/')!.queues.get(q)!.messageCount === 1);
  } finally {
    await tb.close();
  }
});
