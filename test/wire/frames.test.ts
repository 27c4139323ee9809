// Wire tests of bad input: oversized, malformed and misplaced frames close the right thing with the right
// code, and never disturb another connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useTestBroker } from '../helpers/broker.js';
import { WireClient, rawFrame } from './wire-client.js';
import {
  BasicPublish,
  ChannelOpen,
  QueueDeclare,
  writeBasicPublish,
  writeContentHeader,
  writeBody,
  writeChannelOpen,
} from '../../src/codec/amqp/index.js';

const broker = useTestBroker();

const ready = (): Promise<WireClient> => WireClient.ready(broker.port, { frameMax: 4096 });

test('a frame larger than frame_max is 501 FRAME_ERROR', async () => {
  const c = await ready();
  c.send(rawFrame(1, 1, Buffer.alloc(10000)));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 501);
  c.close();
});

test('a bad frame-end byte is 501 FRAME_ERROR', async () => {
  const c = await ready();
  c.send(rawFrame(8, 0, Buffer.alloc(0), 0x00));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 501);
  c.close();
});

test('an unknown frame type is 501 FRAME_ERROR', async () => {
  const c = await ready();
  c.send(rawFrame(7, 0, Buffer.alloc(0)));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 501);
  c.close();
});

test('a method on a channel that was never opened is 504 CHANNEL_ERROR', async () => {
  const c = await ready();
  const q = new QueueDeclare();
  q.queue = 'x';
  c.sendMethod(5, q);
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 504);
  c.close();
});

test('opening an open channel again is 504 CHANNEL_ERROR', async () => {
  const c = await ready();
  c.sendMethod(1, new ChannelOpen());
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 504);
  assert.deepEqual([close.classId, close.methodId], [20, 10]);
  c.close();
});

test('a content header without basic.publish is 505 UNEXPECTED_FRAME', async () => {
  const c = await ready();
  writeContentHeader(c.w, 1, 60, 3, Buffer.from([0, 0]));
  c.flush();
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 505);
  // RabbitMQ names no method here (rabbit_command_assembler; checked on the anchor)
  assert.deepEqual([close.classId, close.methodId], [0, 0]);
  c.close();
});

test('a method where a content header is due is 505 UNEXPECTED_FRAME', async () => {
  const c = await ready();
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeChannelOpen(c.w, 1);
  c.flush();
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 505);
  // ... and here the basic.publish whose content was due, not the method that came instead
  assert.deepEqual([close.classId, close.methodId], [60, 40]);
  c.close();
});

test('a heartbeat on a non-zero channel is 505 UNEXPECTED_FRAME (0, 0), as RabbitMQ 3.10', async () => {
  const c = await ready();
  c.send(rawFrame(8, 1, Buffer.alloc(0)));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 505);
  assert.deepEqual([close.classId, close.methodId], [0, 0]);
  c.close();
});

test('a publish to a missing exchange closes only the channel, 404 with class 60 method 40', async () => {
  const c = await ready();
  const p = new BasicPublish();
  p.exchange = 'missing';
  c.sendMethod(1, p);
  writeContentHeader(c.w, 1, 60, 2, Buffer.from([0, 0]));
  writeBody(c.w, 1, Buffer.from('hi'), 4096);
  c.flush();
  const close = await c.expectClose('channel.close');
  assert.equal(close.replyCode, 404);
  assert.equal(close.replyText, "NOT_FOUND - no exchange 'missing' in vhost '/'");
  assert.deepEqual([close.classId, close.methodId], [60, 40]);
  // the connection is still usable
  c.sendMethod(1, new ChannelOpen()); // still closing until close-ok: ignored
  await c.openChannel(2);
  c.close();
});

test('garbage on one connection disturbs no other connection', async () => {
  const good = await ready();
  const bad = await WireClient.connect(broker.port);
  bad.send(Buffer.from('AMQP\u0000\u0000\u0009\u0001', 'binary'));
  let seed = 7;
  const junk = Buffer.alloc(50000);
  for (let i = 0; i < junk.length; i++) junk[i] = seed = (seed * 1103515245 + 12345) & 0xff;
  bad.send(junk);
  await bad.closed(5000).catch(() => bad.close());
  await good.openChannel(3);
  good.close();
});

test('random bytes after the handshake never crash the broker', async () => {
  for (let round = 0; round < 20; round++) {
    const c = await ready();
    let seed = round + 1;
    const junk = Buffer.alloc(2000);
    for (let i = 0; i < junk.length; i++) junk[i] = seed = (seed * 1103515245 + 12345) & 0xff;
    c.send(junk);
    // the broker answers with connection.close (then waits for close-ok, as RabbitMQ does) or hangs up; junk
    // that reads as the start of a large frame leaves it waiting for the rest, as RabbitMQ does (until the
    // heartbeat timeout): a second is enough to see an answer when there is one
    await c.waitFor(() => c.ended || c.frames.some((f) => f.method !== null), 1000).catch(() => undefined);
    c.close();
  }
  const c = await ready();
  c.close();
});
