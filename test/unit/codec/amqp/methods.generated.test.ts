// methods.generated.ts: every method round-trips (encodeMethod → FrameDecoder → decodeMethod) with non-default
// values and two bit patterns; write* functions match encodeMethod; malformed arguments, unknown ids and bad
// UTF-8 raise RabbitMQ's codes; and the wire format agrees with amqplib's independently generated codec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as A from '../../../../src/codec/amqp/index.js';
import {
  CodecError,
  FrameDecoder,
  MethodFields,
  MethodId,
  Writer,
  decodeMethod,
  encodeMethod,
} from '../../../../src/codec/amqp/index.js';
import { Collector, everyTypeDecoded, sampleValue } from './helpers.js';

type Fields = Record<string, unknown>;
const classes = A as unknown as Record<string, new () => A.AmqpMethod>;

/** An instance of the method with every non-reserved field set; bits follow `bit(i)`. */
function sample(name: string, bit: (i: number) => boolean, decoded: boolean): A.AmqpMethod {
  const m = new classes[name]!();
  const f = m as unknown as Fields;
  let bits = 0;
  for (const [field, type, reserved] of MethodFields[m.id]!) {
    if (type === 'bit' && !reserved) f[field] = bit(bits++);
    else if (!reserved) {
      const binary = Buffer.isBuffer(f[field]);
      f[field] = type === 'table' && decoded ? everyTypeDecoded() : sampleValue(type, field, binary, false);
    }
  }
  return m;
}

function roundTrip(m: A.AmqpMethod, channel = 7): A.AmqpMethod {
  const w = new Writer(64);
  encodeMethod(w, channel, m);
  const c = new Collector();
  new FrameDecoder(c, 0).push(w.take()!);
  assert.equal(c.frames.length, 1);
  assert.equal(c.frames[0]!.type, 1);
  assert.equal(c.frames[0]!.channel, channel);
  return decodeMethod(c.frames[0]!.payload);
}

const names = Object.keys(MethodId) as (keyof typeof MethodId)[];

test('there is a class, id, name and fields entry for every method', () => {
  assert.equal(names.length, 64);
  for (const name of names) {
    const C = classes[name]!;
    const m = new C();
    assert.equal(m.id, MethodId[name]);
    assert.equal((C as unknown as { classId: number }).classId, m.id >>> 16);
    assert.equal((C as unknown as { methodId: number }).methodId, m.id & 0xffff);
    assert.ok(MethodFields[m.id], name);
    assert.match(A.methodName(m.id), /^[a-z]+\.[a-z-]+$/);
  }
  assert.equal(A.methodName(MethodId.BasicPublish), 'basic.publish');
  assert.equal(A.methodName(MethodId.ConnectionStartOk), 'connection.start-ok');
  assert.equal(A.methodHasContent(MethodId.BasicDeliver), true);
  assert.equal(A.methodHasContent(MethodId.BasicAck), false);
});

test('every method round-trips with non-default values', () => {
  const patterns: [string, (i: number) => boolean][] = [
    ['all bits set', () => true],
    ['alternating bits', (i) => i % 2 === 0],
    ['other alternation', (i) => i % 2 === 1],
  ];
  for (const name of names) {
    for (const [label, bit] of patterns) {
      const got = roundTrip(sample(name, bit, false));
      assert.deepStrictEqual(got, sample(name, bit, true), `${name}, ${label}`);
    }
    assert.deepStrictEqual(roundTrip(new classes[name]!()), new classes[name]!(), `${name} defaults`);
  }
});

test('write* functions produce the same bytes as encodeMethod', () => {
  const w1 = new Writer();
  const w2 = new Writer();
  A.writeBasicDeliver(w1, 5, 'ctag', 2 ** 40 + 1, true, 'ex', 'rk');
  const d = new A.BasicDeliver();
  Object.assign(d, {
    consumerTag: 'ctag',
    deliveryTag: 2 ** 40 + 1,
    redelivered: true,
    exchange: 'ex',
    routingKey: 'rk',
  });
  encodeMethod(w2, 5, d);
  assert.deepEqual(w1.take(), w2.take());
  A.writeChannelClose(w1, 2, 404, "NOT_FOUND - no queue 'q' in vhost '/'", 50, 10);
  const got = decodeMethod(w1.take()!.subarray(7, -1)) as A.ChannelClose;
  assert.equal(got.replyText, "NOT_FOUND - no queue 'q' in vhost '/'");
  assert.deepEqual([got.replyCode, got.classId, got.methodId], [404, 50, 10]);
});

test('bit fields pack into one octet, first field in the lowest bit', () => {
  const w = new Writer();
  A.writeQueueDeclare(w, 1, 'q', true, false, true, false, true, {});
  const b = w.take()!;
  // header 7, ids 4, reserved-1 2, queue 1+1, bits
  assert.equal(b[7 + 4 + 2 + 2], 0b10101);
  A.writeBasicNack(w, 1, 9, false, true);
  assert.equal(w.take()![7 + 4 + 8], 0b10);
});

test('reserved fields are written zero/empty and kept on decode', () => {
  const w = new Writer();
  A.writeConnectionOpen(w, 0, '/vhost');
  const b = w.take()!;
  assert.deepEqual([...b.subarray(11)], [6, ...Buffer.from('/vhost'), 0, 0, 0xce]);
  const m = decodeMethod(b.subarray(7, -1)) as A.ConnectionOpen;
  assert.deepEqual([m.virtualHost, m.reserved1, m.reserved2], ['/vhost', '', false]);
  const p = Buffer.from([0, 10, 0, 40, 1, 0x2f, 3, 0x61, 0x62, 0x63, 1]);
  const m2 = decodeMethod(p) as A.ConnectionOpen;
  assert.deepEqual([m2.virtualHost, m2.reserved1, m2.reserved2], ['/', 'abc', true]);
});

test('SASL data and secrets are Buffers; other longstrs are strings', () => {
  const start = new A.ConnectionStart();
  assert.ok(Buffer.isBuffer(start.mechanisms) && Buffer.isBuffer(start.locales));
  assert.ok(Buffer.isBuffer(new A.ConnectionStartOk().response));
  assert.ok(Buffer.isBuffer(new A.ConnectionSecure().challenge));
  assert.ok(Buffer.isBuffer(new A.ConnectionSecureOk().response));
  assert.ok(Buffer.isBuffer(new A.ConnectionUpdateSecret().newSecret));
  assert.equal(typeof new A.ChannelOpenOk().reserved1, 'string');
});

function expectCodecError(fn: () => unknown, code: number, text?: RegExp, ids?: [number, number]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected CodecError, got ${String(e)}`);
    assert.equal(e.replyCode, code);
    if (text) assert.match(e.message, text);
    if (ids) assert.deepEqual([e.classId, e.methodId], ids);
    return true;
  });
}

test('truncated arguments are 501 FRAME_ERROR "cannot decode", with the method ids', () => {
  for (const name of names) {
    const w = new Writer();
    encodeMethod(
      w,
      1,
      sample(name, () => true, false),
    );
    const payload = w.take()!.subarray(7, -1);
    for (let cut = 4; cut < payload.length; cut++) {
      const m = new classes[name]!();
      expectCodecError(() => decodeMethod(payload.subarray(0, cut)), 501, /^cannot decode <</, [
        m.id >>> 16,
        m.id & 0xffff,
      ]);
    }
  }
});

test('bytes after the last argument are 501 too (RabbitMQ matches the layout exactly)', () => {
  expectCodecError(
    () => decodeMethod(Buffer.from([0, 60, 0, 80, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])),
    501,
    /cannot decode/,
    [60, 80],
  );
  expectCodecError(() => decodeMethod(Buffer.from([0, 90, 0, 10, 0])), 501, /cannot decode <<0>>/, [90, 10]);
});

test('a method frame shorter than its ids is 501', () => {
  expectCodecError(() => decodeMethod(Buffer.from([0, 60, 0])), 501);
});

test('unknown class or method ids are 540 NOT_IMPLEMENTED', () => {
  expectCodecError(() => decodeMethod(Buffer.from([0, 60, 0, 99])), 540, /\{60,99\}/, [60, 99]);
  expectCodecError(() => decodeMethod(Buffer.from([0, 30, 0, 10, 0, 0])), 540, /\{30,10\}/, [30, 10]);
});

test('malformed UTF-8 in a shortstr is 501 for methods without content, accepted for content methods', () => {
  // queue.delete: reserved-1, queue "\xff", bits
  expectCodecError(
    () => decodeMethod(Buffer.from([0, 50, 0, 40, 0, 0, 1, 0xff, 0])),
    501,
    /Malformed UTF-8 in shortstr/,
    [50, 40],
  );
  const ok = decodeMethod(Buffer.from([0, 50, 0, 40, 0, 0, 2, 0xc3, 0xa9, 0])) as A.QueueDelete;
  assert.equal(ok.queue, 'é');
  const pub = decodeMethod(Buffer.from([0, 60, 0, 40, 0, 0, 0, 1, 0xff, 0])) as A.BasicPublish;
  assert.equal(pub.routingKey, '\ufffd');
});

test('a malformed table in arguments carries the method ids', () => {
  // exchange.declare with arguments {k: <type '?'>}
  const p = Buffer.from([0, 40, 0, 10, 0, 0, 1, 0x78, 6, ...Buffer.from('direct'), 0, 0, 0, 0, 3, 1, 0x6b, 0x3f]);
  expectCodecError(() => decodeMethod(p), 502, /unknown field value type/, [40, 10]);
});

test('shortstr arguments over 255 bytes are refused and leave nothing half-written', () => {
  const w = new Writer();
  A.writeBasicAck(w, 1, 1, false);
  const before = w.pending;
  expectCodecError(() => A.writeBasicDeliver(w, 1, 'x'.repeat(256), 1, false, '', ''), 541, /255/);
  expectCodecError(
    () => A.writeQueueDeclare(w, 1, 'q', false, false, false, false, false, { f: () => 1 } as never),
    541,
  );
  assert.equal(w.pending, before);
});

// ---- amqplib: an independent codec generated from RabbitMQ's JSON spec ---------------------------------

interface AmqplibDefs {
  encodeMethod(id: number, channel: number, fields: Fields): Buffer;
  decode(id: number, buf: Buffer): Fields;
}
// lib/defs.js is not in amqplib's "exports": load it by path, next to the package's entry point
const req = createRequire(import.meta.url);
const defs = req(join(dirname(req.resolve('amqplib')), 'lib/defs.js')) as AmqplibDefs;

test('agrees with amqplib on the wire format', () => {
  const w = new Writer();
  A.writeBasicDeliver(w, 3, 'amq.ctag-1', 2 ** 33 + 5, true, 'ex', 'rk');
  A.writeQueueDeclareOk(w, 3, 'q1', 4000000000, 7);
  A.writeBasicConsume(w, 3, 'q', 'tag', false, true, true, false, { 'x-priority': 5 });
  A.writeExchangeDeclare(w, 3, 'x', 'topic', false, true, true, false, true, { alt: 'y' });
  A.writeBasicNack(w, 3, 12, true, false);
  const c = new Collector();
  new FrameDecoder(c, 0).push(w.take()!);
  const ours = c.frames.map((f) => defs.decode(f.payload.readUInt32BE(0), f.payload.subarray(4)));
  assert.deepEqual(
    [ours[0]!.consumerTag, ours[0]!.deliveryTag, ours[0]!.redelivered, ours[0]!.exchange, ours[0]!.routingKey],
    ['amq.ctag-1', 2 ** 33 + 5, true, 'ex', 'rk'],
  );
  assert.deepEqual([ours[1]!.queue, ours[1]!.messageCount, ours[1]!.consumerCount], ['q1', 4000000000, 7]);
  assert.deepEqual([ours[2]!.noLocal, ours[2]!.noAck, ours[2]!.exclusive, ours[2]!.nowait], [false, true, true, false]);
  assert.deepEqual(ours[2]!.arguments, { 'x-priority': 5 });
  assert.deepEqual(
    [ours[3]!.type, ours[3]!.passive, ours[3]!.durable, ours[3]!.autoDelete, ours[3]!.internal, ours[3]!.nowait],
    ['topic', false, true, true, false, true],
  );
  assert.deepEqual([ours[4]!.deliveryTag, ours[4]!.multiple, ours[4]!.requeue], [12, true, false]);

  const theirs = Buffer.concat([
    defs.encodeMethod(MethodId.BasicPublish, 9, { exchange: 'e', routingKey: 'k', mandatory: true, immediate: false }),
    defs.encodeMethod(MethodId.QueueBind, 9, {
      queue: 'q',
      exchange: 'e',
      routingKey: 'k',
      nowait: true,
      arguments: { a: [1, 'b'] },
    }),
    defs.encodeMethod(MethodId.BasicQos, 9, { prefetchSize: 0, prefetchCount: 10, global: true }),
  ]);
  const c2 = new Collector();
  new FrameDecoder(c2, 0).push(theirs);
  const [pub, bind, qos] = c2.frames.map((f) => decodeMethod(f.payload)) as [A.BasicPublish, A.QueueBind, A.BasicQos];
  assert.deepEqual([pub.exchange, pub.routingKey, pub.mandatory, pub.immediate], ['e', 'k', true, false]);
  assert.deepEqual(
    [bind.queue, bind.exchange, bind.routingKey, bind.nowait, bind.arguments],
    ['q', 'e', 'k', true, { a: [1, 'b'] }],
  );
  assert.deepEqual([qos.prefetchSize, qos.prefetchCount, qos.global], [0, 10, true]);
});
