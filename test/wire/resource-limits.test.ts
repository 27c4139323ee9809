// Resource attacks, each bounded by a limit with RabbitMQ's name: clients that never finish the handshake
// (handshake_timeout, from the accept, however slowly bytes trickle in), an MQTT CONNECT larger than
// mqtt.max_packet_size_unauthenticated, frames announced larger than frame_max before and after tuning,
// huge and deeply nested field tables, channel_max churn (channel_max counts open channels, as RabbitMQ's
// reader does), max_message_size, STOMP bodies before CONNECT.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { RunningBroker } from '../../src/index.js';
import { startMqttBroker } from '../clients/mqtt/helpers.js';
import { eventually } from '../helpers/broker.js';
import { WireClient, rawFrame } from './wire-client.js';
import {
  writeBasicPublish,
  writeBody,
  writeConfirmSelect,
  writeContentHeader,
  PROTOCOL_HEADER,
} from '../../src/codec/amqp/index.js';
import { deepTable } from '../fuzz/lib/amqp-gen.js';
import { Bytes } from '../fuzz/lib/bytes.js';

/** `short`: handshake_timeout 500 ms, for the tests of it; `b`: the default (10 s), for the others. */
let b: RunningBroker;
let short: RunningBroker;
before(async () => {
  b = await startMqttBroker();
  short = await startMqttBroker({ handshakeTimeout: 500 });
});
after(async () => {
  await b.close();
  await short.close();
});

/** Connect, run `feed` (writes), and resolve with ms until the broker closed the socket. */
function closedAfter(port: number, feed: (s: net.Socket) => void, limitMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const s = net.connect(port, '127.0.0.1', () => feed(s));
    s.on('error', () => {});
    s.on('data', () => {});
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`still open after ${limitMs} ms`));
    }, limitMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve(Date.now() - t0);
    });
  });
}

/** Write `bytes` one byte every `everyMs` until the socket closes. */
function trickle(s: net.Socket, bytes: Buffer, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (s.destroyed || i >= bytes.length) return clearInterval(timer);
    s.write(bytes.subarray(i, ++i));
  }, everyMs);
  s.on('close', () => clearInterval(timer));
}

const MQTT_CONNECT = Buffer.from('101800044d5154540402003c000c7472696b6c652d636c69656e74', 'hex');

test('MQTT: a socket that never sends CONNECT is closed after handshake_timeout', async () => {
  const ms = await closedAfter(short.mqttPort!, () => {});
  assert.ok(ms >= 400, `closed after ${ms} ms`);
});

test('MQTT: a CONNECT trickled a byte at a time is closed after handshake_timeout all the same', async () => {
  // one byte every 200 ms: 5.4 s for the whole CONNECT; handshake_timeout (500 ms here) counts from the accept
  const ms = await closedAfter(short.mqttPort!, (s) => trickle(s, MQTT_CONNECT, 200), 5000);
  assert.ok(ms < 5000, `closed after ${ms} ms`);
});

test('MQTT: a CONNECT announced at 200 MB is closed after max_packet_size_unauthenticated, not buffered', async () => {
  // fixed header: CONNECT, remaining length 200,000,000 (variable byte integer), then 100 KiB of it
  const ms = await closedAfter(b.mqttPort!, (s) => {
    s.write(Buffer.from([0x10, 0x80, 0x84, 0xaf, 0x5f]));
    s.write(Buffer.alloc(100 * 1024, 0x61));
  });
  assert.ok(ms < 5000, `closed after ${ms} ms (the handshake timeout is 10 s)`);
});

test('STOMP: a socket that never sends CONNECT is closed after handshake_timeout', async () => {
  const ms = await closedAfter(short.stompPort!, () => {});
  assert.ok(ms >= 400, `closed after ${ms} ms`);
});

test('STOMP: a 100 MB body before CONNECT is refused at 64 KiB (an ERROR frame, then the close), not buffered', async () => {
  let text = '';
  const ms = await closedAfter(b.stompPort!, (s) => {
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.write('SEND\ndestination:/queue/x\ncontent-length:100000000\n\n');
    s.write(Buffer.alloc(100 * 1024, 0x61));
  });
  assert.ok(ms < 5000, `closed after ${ms} ms (the handshake timeout is 10 s)`);
  assert.match(text, /^ERROR\nmessage:Invalid frame\n/);
  assert.match(text, /Frame body of 100000000 bytes is too large/);
  // without a content-length: refused once 64 KiB have come without the NUL
  const ms2 = await closedAfter(b.stompPort!, (s) => {
    s.write('SEND\ndestination:/queue/x\n\n');
    s.write(Buffer.alloc(100 * 1024, 0x61));
  });
  assert.ok(ms2 < 5000, `closed after ${ms2} ms`);
});

test('STOMP: a CONNECT trickled a byte at a time is closed after handshake_timeout', async () => {
  const connect = Buffer.from('CONNECT\nlogin:guest\npasscode:guest\n\n\0');
  const ms = await closedAfter(short.stompPort!, (s) => trickle(s, connect, 200), 5000);
  assert.ok(ms < 5000, `closed after ${ms} ms`);
});

test('AMQP: a handshake trickled a byte at a time is closed after handshake_timeout', async () => {
  // the 8-byte header alone takes 1.6 s; then nothing: the timeout counts from the accept
  const ms = await closedAfter(short.amqpPort!, (s) => trickle(s, PROTOCOL_HEADER, 200), 5000);
  assert.ok(ms < 5000, `closed after ${ms} ms`);
});

test('AMQP: a frame announced at 2 GB before tuning is 501 FRAME_ERROR at once, not buffered', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  c.decodeFrames = true;
  c.send(PROTOCOL_HEADER);
  await c.expect('connection.start');
  c.send(new Bytes().u8(1).u16(0).u32(0x7fffffff).raw(Buffer.alloc(1000)).build());
  const close = await c.expectClose('connection.close', 2000);
  assert.equal(close.replyCode, 501);
  c.close();
});

test('AMQP: a frame announced larger than the negotiated frame_max is 501 FRAME_ERROR', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake({ frameMax: 4096 });
  await c.openChannel(1);
  c.send(new Bytes().u8(3).u16(1).u32(4097).build());
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 501);
  c.close();
});

test('AMQP: arguments nested 5,000 deep are refused (502), the broker stays up', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake();
  await c.openChannel(1);
  const decl = new Bytes().u16(50).u16(10).u16(0).sstr('fz.deep').u8(0).raw(deepTable(5000, true)).build();
  c.send(rawFrame(1, 1, decl));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 502);
  c.close();
});

test('AMQP: a table of 15,000 entries in one frame is declared and answered', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake();
  await c.openChannel(1);
  const t = new Bytes();
  for (let i = 0; i < 15000; i++) t.sstr(`k${i}`).u8(0x56); // 'V' void values: ~110 KB, under frame_max
  const decl = new Bytes().u16(50).u16(10).u16(0).sstr('').u8(0x08).lstr(t.build()).build(); // auto-delete
  c.send(rawFrame(1, 1, decl));
  await c.expect('queue.declare-ok', 10000);
  c.close();
});

test('AMQP: channel_max churn: 20,000 channel opens and closes, then one channel more than channel_max open is 530', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake();
  const open = (ch: number): Buffer => rawFrame(1, ch, new Bytes().u16(20).u16(10).sstr('').build());
  const close = (ch: number): Buffer =>
    rawFrame(1, ch, new Bytes().u16(20).u16(40).u16(200).sstr('').u16(0).u16(0).build());
  const parts: Buffer[] = [];
  for (let i = 0; i < 20000; i++) {
    const ch = 1 + (i % 2047);
    parts.push(open(ch), close(ch));
  }
  c.send(Buffer.concat(parts));
  await c.waitFor(() => c.frames.length >= 40000, 30000);
  const ids = c.frames.map((f) => f.method!.id);
  // 20,000 × (channel.open-ok, channel.close-ok), in order
  assert.ok(ids.every((id, i) => id === (i % 2 === 0 ? 0x0014000b : 0x00140029)));
  c.frames.length = 0;
  // channel_max (2047) channels open at once, then one more: RabbitMQ counts channels, not their numbers
  const all: Buffer[] = [];
  for (let ch = 1; ch <= 2047; ch++) all.push(open(ch));
  c.send(Buffer.concat(all));
  await c.waitFor(() => c.frames.length >= 2047, 10000);
  c.send(open(3000));
  const err = await c.expectClose('connection.close');
  // anchor RabbitMQ 3.10 (rabbit_reader:create_channel): 530, this text, class and method 0
  assert.deepEqual(
    { ...err, id: undefined },
    {
      id: undefined,
      replyCode: 530,
      replyText: 'NOT_ALLOWED - number of channels opened (2047) has reached the negotiated channel_max (2047)',
      classId: 0,
      methodId: 0,
    },
  );
  c.close();
});

test('AMQP: channel_max bounds open channels, not channel numbers (as RabbitMQ: channel 5 opens with channel_max 2)', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake({ channelMax: 2 });
  await c.openChannel(5);
  await c.openChannel(65535);
  c.send(rawFrame(1, 1, new Bytes().u16(20).u16(10).sstr('').build()));
  const err = await c.expectClose('connection.close');
  assert.equal(err.replyCode, 530);
  assert.equal(err.replyText, 'NOT_ALLOWED - number of channels opened (2) has reached the negotiated channel_max (2)');
  c.close();
});

test('AMQP: channel 65535 works as any other (confirms, close, reopen) and closed channels free their place', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake({ channelMax: 2 });
  await c.openChannel(65535);
  // a confirm is sent by the per-flush walk over the open channels (which visits channels, not numbers)
  writeConfirmSelect(c.w, 65535, false);
  c.flush();
  await c.expect('confirm.select-ok');
  writeBasicPublish(c.w, 65535, '', 'no-such-queue', false, false);
  writeContentHeader(c.w, 65535, 60, 1, Buffer.from([0, 0]));
  writeBody(c.w, 65535, Buffer.from('x'), 4096);
  c.flush();
  const ack = await c.nextMethod();
  assert.deepEqual([ack.channel, ack.name], [65535, 'basic.ack']);
  const close = (ch: number): Buffer =>
    rawFrame(1, ch, new Bytes().u16(20).u16(40).u16(200).sstr('').u16(0).u16(0).build());
  c.send(close(65535));
  await c.expect('channel.close-ok');
  // with channel_max 2, two more open after the close: it no longer counts
  await c.openChannel(1);
  await c.openChannel(65535);
  c.close();
});

test('AMQP: a body size over max_message_size (128 MiB) closes the channel with 406', async () => {
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake();
  await c.openChannel(1);
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeContentHeader(c.w, 1, 60, 128 * 1024 * 1024 + 1, Buffer.from([0, 0]));
  c.flush();
  const close = await c.expectClose('channel.close');
  assert.equal(close.replyCode, 406);
  assert.match(close.replyText, /larger than configured max size/);
  c.close();
});

/** Messages waiting in the queues of / whose name matches. */
function waiting(match: RegExp): number {
  let n = 0;
  for (const [name, q] of b.broker.vhosts.get('/')!.queues) if (match.test(name)) n += q.messageCount;
  return n;
}

test('MQTT and STOMP subscribers that never read: the broker stops writing, the messages wait in the queue', async () => {
  // a subscriber of each protocol that pauses its socket after subscribing (never reads again)
  const mqttSub = net.connect(b.mqttPort!, '127.0.0.1');
  mqttSub.write(Buffer.from('101600044d5154540402003c000a6e657665722d72656164', 'hex')); // CONNECT never-read
  mqttSub.write(Buffer.from('820f0001000a6e657665722f72656164 00'.replace(' ', ''), 'hex')); // SUBSCRIBE never/read QoS 0
  const stompSub = net.connect(b.stompPort!, '127.0.0.1');
  stompSub.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0');
  stompSub.write('SUBSCRIBE\nid:1\ndestination:/queue/never.read\nack:client\n\n\0');
  await eventually(
    () =>
      waiting(/^mqtt-subscription-never-readqos0$|^never\.read$/) === 0 &&
      b.broker.vhosts.get('/')!.queues.has('never.read'),
  );
  mqttSub.pause();
  stompSub.pause();
  // 40 MB to each through AMQP
  const c = await WireClient.connect(b.amqpPort!);
  await c.handshake();
  await c.openChannel(1);
  const body = Buffer.alloc(10000, 0x62);
  for (let i = 0; i < 4000; i++) {
    writeBasicPublish(c.w, 1, 'amq.topic', 'never.read', false, false);
    writeContentHeader(c.w, 1, 60, body.length, Buffer.from([0, 0]));
    c.w.ensure(body.length + 8);
    c.flush();
    c.send(rawFrame(3, 1, body));
    writeBasicPublish(c.w, 1, '', 'never.read', false, false);
    writeContentHeader(c.w, 1, 60, body.length, Buffer.from([0, 0]));
    c.flush();
    c.send(rawFrame(3, 1, body));
  }
  // the broker writes a consumer no more than its output limit (1 MiB) plus what the kernel's socket buffers
  // take; the rest waits in the queue (and once a queue is 16 MiB behind, its publishers are paused)
  await eventually(() => waiting(/^mqtt-subscription-never-readqos0$/) > 1000, 20000);
  await eventually(() => waiting(/^never\.read$/) > 1000, 20000);
  mqttSub.destroy();
  stompSub.destroy();
  c.close();
});
