// What the fuzzer (bench/fuzz, test/fuzz) found, as wire tests: each input closes what RabbitMQ closes, with
// its code, and the broker logs no internal error. Codes were compared with RabbitMQ 3.10 on the anchor
// (bench/fuzz/compare-amqp.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readdirSync, readlinkSync } from 'node:fs';
import { FuzzBroker } from '../fuzz/lib/harness.js';
import { eventually, useTestBroker } from '../helpers/broker.js';
import { WireClient, rawFrame } from './wire-client.js';
import { writeBasicPublish, writeConnectionClose, writeContentHeader } from '../../src/codec/amqp/index.js';

const broker = useTestBroker();

const ready = (): Promise<WireClient> => WireClient.ready(broker.port);

test('a content-type whose length runs past the properties is 501 FRAME_ERROR, not an internal error', async () => {
  // seed 2 of the AMQP fuzz: flags content-type + headers, content-type length 200 with 3 bytes left; the
  // headers lookup trusted the length and read out of bounds (541 and an error in the log)
  const c = await ready();
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeContentHeader(c.w, 1, 60, 0, Buffer.from([0xa0, 0x00, 200, 0x61, 0x62, 0x63]));
  c.flush();
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 501);
  c.close();
});

test('a content header of another class is 505 UNEXPECTED_FRAME naming basic.publish', async () => {
  const c = await ready();
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeContentHeader(c.w, 1, 50, 0, Buffer.from([0, 0]));
  c.flush();
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 505);
  assert.deepEqual([close.classId, close.methodId], [60, 40]);
  c.close();
});

test('a content header on channel 0 is 505 UNEXPECTED_FRAME (0, 0)', async () => {
  const c = await ready();
  writeContentHeader(c.w, 0, 60, 0, Buffer.from([0, 0]));
  c.flush();
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 505);
  assert.deepEqual([close.classId, close.methodId], [0, 0]);
  c.close();
});

test('a channel method on channel 0 is 504 CHANNEL_ERROR, as rabbit_reader handle_method0', async () => {
  const c = await ready();
  // basic.qos (60, 10) on channel 0
  c.send(rawFrame(1, 0, Buffer.from([0, 60, 0, 10, 0, 0, 0, 0, 0, 0, 0])));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 504);
  assert.deepEqual([close.classId, close.methodId], [60, 10]);
  c.close();
});

test('connection.tune-ok after connection.open is 504 CHANNEL_ERROR', async () => {
  const c = await ready();
  c.send(rawFrame(1, 0, Buffer.from([0, 10, 0, 31, 0, 0, 0, 2, 0, 0, 0, 0])));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 504);
  assert.deepEqual([close.classId, close.methodId], [10, 31]);
  c.close();
});

test('MQTT: SUBSCRIBE and UNSUBSCRIBE without topic filters end in a DISCONNECT, no internal error', async () => {
  // mqtt-packet parses them; the broker's empty SUBACK/UNSUBACK then threw "Invalid qos vector" in mqtt-packet
  // (seed 7 of the MQTT fuzz). A broker child, so that an error in its log is seen.
  const b = await FuzzBroker.start();
  try {
    for (const [version, tail] of [
      [4, '82020001'], // SUBSCRIBE id 1, no filters
      [5, '8203000100'], // MQTT 5 SUBSCRIBE id 1, no properties, no filters
      [4, 'a2020001'], // UNSUBSCRIBE id 1, no filters
      [5, 'a203000100'],
    ] as const) {
      const connect =
        version === 5 ? '101100044d5154540502003c0000000466757a7a' : '101000044d5154540402003c000466757a7a';
      const reply = await exchange(b.ports.mqtt, Buffer.from(connect + tail, 'hex'));
      assert.equal(reply[0], 0x20, 'CONNACK');
      // MQTT 5: a DISCONNECT with an error reason (0x81 or 0x82) after the CONNACK; 3.1.1: the socket closes
      if (version === 5) assert.ok(reply.subarray(4).includes(0xe0), reply.toString('hex'));
      else assert.equal(reply.length, 4, reply.toString('hex'));
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(b.failures, []);
  } finally {
    await b.stop();
  }
});

test('management: definitions with a null item or an item without a name are 400, not 500', async () => {
  const b = await FuzzBroker.start();
  try {
    const auth = { authorization: 'Basic ' + Buffer.from('guest:guest').toString('base64') };
    for (const body of [
      { queues: [null] },
      { queues: [{ vhost: '/' }] },
      { exchanges: [{ name: 'x' }] },
      { vhosts: [5] },
    ]) {
      const r = await fetch(`http://127.0.0.1:${b.ports.management}/api/definitions`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(((await r.json()) as { error: string }).error, 'bad_request');
    }
    assert.deepEqual(b.failures, []);
  } finally {
    await b.stop();
  }
});

/** Write `bytes`, half-close, and collect everything until the broker closes. */
function exchange(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const got: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.end(bytes));
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(got)));
  });
}

test('a mandatory publish with a 200-byte binary routing key comes back (basic.return), not 541', async () => {
  // seed 7 of the AMQP fuzz, case 570: the routing key is not UTF-8 (content-bearing methods are not checked,
  // as RabbitMQ); decoded with U+FFFD it grew past 255 bytes and writing the basic.return threw (541 (0, 0))
  const c = await ready();
  const key = Buffer.alloc(200, 0xff);
  const publish = Buffer.concat([
    Buffer.from([0, 60, 0, 40, 0, 0, 0, key.length]),
    key,
    Buffer.from([1]), // mandatory
  ]);
  const header = Buffer.from([0, 60, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0]);
  c.send(Buffer.concat([rawFrame(1, 1, publish), rawFrame(2, 1, header), rawFrame(3, 1, Buffer.from('abc'))]));
  const r = (await c.expect('basic.return')) as unknown as { replyCode: number; routingKey: string };
  assert.equal(r.replyCode, 312);
  assert.ok(Buffer.byteLength(r.routingKey) <= 255);
  // the connection is still open: another channel opens
  await c.openChannel(2);
  c.close();
});

/** The sockets this process holds open (Linux): the broker's side of a connection is one of them. */
function openSockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed since the listing
    }
  }).length;
}

test('a connection closed while its socket was paused is closed on the broker too, not held half-open', async () => {
  // 1 in ~200 fuzz cases: the read budget (or flow control, an auth wait) had paused the socket when the
  // connection closed, so the client's FIN was never read and the broker kept the socket, its descriptor and
  // the connection for good (ss: none left; /proc/PID/fd: one socket a case). Here: more frames in one write
  // than a turn's budget, then connection.close, then the client's FIN.
  const before = openSockets();
  for (let i = 0; i < 3; i++) {
    const c = await ready();
    const hb = Buffer.from([8, 0, 0, 0, 0, 0, 0, 0xce]);
    c.send(Buffer.concat([...Array.from({ length: 10_000 }, () => hb)]));
    writeConnectionClose(c.w, 0, 200, 'bye', 0, 0);
    c.flush();
    await c.expect('connection.close-ok', 5000);
    c.socket.end();
    await new Promise((r) => c.socket.once('close', r));
  }
  // close-ok's linger (1 s), then the end, then a second linger before the socket is destroyed
  await eventually(() => openSockets() <= before, 6000);
});
