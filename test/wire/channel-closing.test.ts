// Wire tests of a channel the server is closing (amqp0-9-1.xml channel.close: "after sending this method, any
// received methods except Close and Close-OK MUST be discarded"): every frame kind a client may still send on
// it, content frames included, whichever frame of a publish the error came from; after close-ok the number is
// free and a channel opened on it starts clean. The bug this guards: content frames of publishes still in
// flight were taken for a new publish and closed the connection with 505 UNEXPECTED_FRAME.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useTestBroker } from '../helpers/broker.js';
import { WireClient, rawFrame } from './wire-client.js';
import {
  BasicGet,
  BasicPublish,
  ChannelClose,
  ChannelCloseOk,
  QueueDeclare,
  writeBasicPublish,
  writeBody,
  writeContentHeader,
  writeHeartbeat,
} from '../../src/codec/amqp/index.js';

const broker = useTestBroker();

const ready = (): Promise<WireClient> => WireClient.ready(broker.port, { frameMax: 4096 });

/** basic.publish + header + body in frames of at most 4096 bytes, not yet flushed. */
function publish(c: WireClient, ch: number, exchange: string, key: string, body: Buffer): void {
  writeBasicPublish(c.w, ch, exchange, key, false, false);
  writeContentHeader(c.w, ch, 60, body.length, Buffer.from([0, 0]));
  writeBody(c.w, ch, body, 4096);
}

/** The channel still works: a queue declared, a message published and fetched back. */
async function channelWorks(c: WireClient, ch: number, queue: string): Promise<void> {
  const q = new QueueDeclare();
  q.queue = queue;
  q.autoDelete = true;
  c.sendMethod(ch, q);
  await c.expect('queue.declare-ok');
  publish(c, ch, '', queue, Buffer.from('fresh'));
  c.flush();
  const g = new BasicGet();
  g.queue = queue;
  g.noAck = true;
  c.sendMethod(ch, g);
  await c.expect('basic.get-ok');
  await c.waitFor(() => c.bytes().includes('fresh'));
}

async function closedWith(c: WireClient, code: number): Promise<void> {
  const close = await c.expectClose('channel.close');
  assert.equal(close.replyCode, code);
  assert.deepEqual([close.classId, close.methodId], [60, 40]);
}

test('closing after an error in the last body frame: methods, headers, bodies and heartbeats are discarded', async () => {
  const c = await ready();
  // the error comes from the publish's last frame (404 at routing); 20 more publishes are already on the wire,
  // some with bodies in several frames
  publish(c, 1, 'missing', 'k', Buffer.from('first'));
  for (let i = 0; i < 20; i++) publish(c, 1, 'missing', 'k', Buffer.alloc(i % 2 === 0 ? 10 : 9000, 0x61));
  c.flush();
  await closedWith(c, 404);
  // each frame kind once more, after the close was read
  const q = new QueueDeclare();
  q.queue = 'never-declared';
  c.sendMethod(1, q);
  writeContentHeader(c.w, 1, 60, 3, Buffer.from([0, 0]));
  c.flush();
  c.send(rawFrame(3, 1, Buffer.from('abc')));
  writeHeartbeat(c.w);
  c.flush();
  c.sendMethod(1, new ChannelCloseOk());
  // the number is free again: open it, and it starts with nothing of the old channel's publish
  await c.openChannel(1);
  await channelWorks(c, 1, 'wire-closing-a');
  // the declare sent while closing was discarded
  const d = new QueueDeclare();
  d.queue = 'never-declared';
  d.passive = true;
  c.sendMethod(1, d);
  const close = await c.expectClose('channel.close');
  assert.equal(close.replyCode, 404);
  c.close();
});

test('closing after an error in the content header: the rest of that publish is discarded', async () => {
  const c = await ready();
  // body-size over the 128 MiB maximum: 406 at the header, its body frames still come
  writeBasicPublish(c.w, 1, '', 'q', false, false);
  writeContentHeader(c.w, 1, 60, 200 * 1024 * 1024, Buffer.from([0, 0]));
  c.flush();
  const close = await c.expectClose('channel.close');
  assert.equal(close.replyCode, 406);
  for (let i = 0; i < 5; i++) c.send(rawFrame(3, 1, Buffer.alloc(4000, 0x62)));
  c.sendMethod(1, new ChannelCloseOk());
  await c.openChannel(1);
  await channelWorks(c, 1, 'wire-closing-b');
  c.close();
});

test('closing with a publish cut between header and body frames: the body frames are discarded', async () => {
  const c = await ready();
  publish(c, 1, 'missing', 'k', Buffer.from('x'));
  // a publish whose body comes in three frames, the last two sent after the close was read
  writeBasicPublish(c.w, 1, 'missing', 'k', false, false);
  writeContentHeader(c.w, 1, 60, 12000, Buffer.from([0, 0]));
  c.flush();
  c.send(rawFrame(3, 1, Buffer.alloc(4000, 0x63)));
  await closedWith(c, 404);
  c.send(rawFrame(3, 1, Buffer.alloc(4000, 0x63)));
  c.send(rawFrame(3, 1, Buffer.alloc(4000, 0x63)));
  c.sendMethod(1, new ChannelCloseOk());
  await c.openChannel(1);
  await channelWorks(c, 1, 'wire-closing-c');
  c.close();
});

test('both sides closing: the client channel.close gets close-ok, and the client close-ok frees the number', async () => {
  const c = await ready();
  publish(c, 1, 'missing', 'k', Buffer.from('x'));
  c.flush();
  await closedWith(c, 404);
  const cl = new ChannelClose();
  cl.replyCode = 200;
  c.sendMethod(1, cl);
  await c.expect('channel.close-ok');
  c.sendMethod(1, new ChannelCloseOk());
  await c.openChannel(1);
  await channelWorks(c, 1, 'wire-closing-d');
  c.close();
});

test('after close-ok a content frame is not taken for the new channel: 505 UNEXPECTED_FRAME, as RabbitMQ', async () => {
  const c = await ready();
  publish(c, 1, 'missing', 'k', Buffer.from('x'));
  c.flush();
  await closedWith(c, 404);
  c.sendMethod(1, new ChannelCloseOk());
  await c.openChannel(1);
  // a client that sent content after its close-ok broke §4.2.6; the new channel has no publish to join it to
  c.send(rawFrame(3, 1, Buffer.from('stray')));
  const close = await c.expectClose('connection.close');
  assert.equal(close.replyCode, 505);
  c.close();
});

test('many rounds: publish to a missing exchange, close, reopen the same number at once', async () => {
  const c = await ready();
  for (let round = 0; round < 30; round++) {
    for (let i = 0; i < 10; i++) publish(c, 1, 'missing', 'k', Buffer.alloc(100 + i * 500, 0x64));
    c.flush();
    await closedWith(c, 404);
    // more publishes the client sent before reading the close
    for (let i = 0; i < 5; i++) publish(c, 1, 'missing', 'k', Buffer.alloc(5000, 0x64));
    c.flush();
    c.sendMethod(1, new ChannelCloseOk());
    await c.openChannel(1);
  }
  const p = new BasicPublish();
  p.routingKey = 'nowhere';
  c.sendMethod(1, p);
  writeContentHeader(c.w, 1, 60, 0, Buffer.from([0, 0]));
  c.flush();
  await channelWorks(c, 1, 'wire-closing-e');
  c.close();
});
