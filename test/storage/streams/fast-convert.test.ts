// StreamConverter: the cached-prefix fast path gives exactly what the full conversion gives (properties
// bytes, body, exchange, routing key, persistence) for messages sharing their sections, and falls back for
// anything else: other sections, a non-data body, a message carrying its own x-stream-offset header.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Writer } from '../../../src/codec/buffer/writer.js';
import { amqp, encodeMessage, type MessageSections } from '../../../src/codec/amqp10/index.js';
import { fromStreamMessage, toStreamMessage } from '../../../src/storage/streams/convert.js';
import { StreamConverter } from '../../../src/storage/streams/fast-convert.js';
import { BasicProperties, encodeProperties } from '../../../src/codec/amqp/properties.js';
import { formatByName } from '../../../src/core/formats.js';
import { Message } from '../../../src/core/message.js';
import '../../../src/frontend/amqp/format.js';

function from091(body: string, headers: Record<string, unknown> | null, persistent = true): Buffer {
  const bp = new BasicProperties();
  bp.headers = headers as BasicProperties['headers'];
  bp.deliveryMode = persistent ? 2 : 1;
  bp.contentType = 'text/plain';
  const w = new Writer(256);
  encodeProperties(w, bp);
  const props = Buffer.from(w.take()!);
  const m = new Message(formatByName('amqp-0-9-1')!, 'ex', 'rk', props, Buffer.from(body), persistent, 0, null, 0, 0);
  return Buffer.from(toStreamMessage(m));
}

function native(s: MessageSections): Buffer {
  const w = new Writer(256);
  encodeMessage(w, s);
  return Buffer.from(w.take()!);
}

function same(a: Message, b: Message): void {
  assert.deepEqual(
    [a.props.toString('hex'), a.body.toString('hex'), a.exchange, a.routingKey, a.persistent, a.timestamp],
    [b.props.toString('hex'), b.body.toString('hex'), b.exchange, b.routingKey, b.persistent, b.timestamp],
  );
}

test('fast path equals the full conversion; falls back when the sections differ', () => {
  const c = new StreamConverter('q');
  const big = 'y'.repeat(70_000);
  const msgs = [
    from091('a', { h: 1 }),
    from091('bb', { h: 1 }),
    from091(big, { h: 1 }), // vbin32 body
    from091('c', { h: 2 }), // other headers: learns again
    from091('d', { h: 2 }),
    from091('e', null, false),
    from091('f', { 'x-stream-offset': 7 }), // its own offset header: never cached
    from091('g', { 'x-stream-offset': 7 }),
    native({ properties: { messageId: amqp.string('m') }, value: amqp.string('v') }),
    native({ properties: { messageId: amqp.string('m') }, data: Buffer.from('d1') }),
    native({ properties: { messageId: amqp.string('m') }, data: Buffer.from('d2') }),
    native({ properties: { messageId: amqp.string('m') }, data: Buffer.from('d3'), footer: [] }),
    native({
      properties: { messageId: amqp.string('m') },
      data: [Buffer.from('p1'), Buffer.from('p2')],
    }),
  ];
  let offset = 2 ** 33 + 5; // offsets past 32 bits
  for (const bytes of msgs) {
    const got = c.convert(bytes, offset, 1234);
    same(got, fromStreamMessage(bytes, offset, 1234, 'q'));
    offset += 1;
  }
});
