// Basic properties: all 14 set, none set, and every single/pair combination round-trip; the flag bits and
// order follow the spec (bit 15 content-type ... bit 2 cluster-id); continuation words are honoured; the peeks
// agree with a full decode; truncated or malformed property lists are CodecError 501.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BasicProperties,
  CodecError,
  PropertyFlag,
  Writer,
  decodeProperties,
  encodeProperties,
  peekDeliveryMode,
  peekExpiration,
  peekPriority,
} from '../../../../src/codec/amqp/index.js';
import { everyTypeDecoded, everyTypeTable } from './helpers.js';

function encode(p: BasicProperties): Buffer {
  const w = new Writer(16);
  encodeProperties(w, p);
  return Buffer.from(w.take()!);
}

function all(headers = everyTypeTable()): BasicProperties {
  const p = new BasicProperties();
  Object.assign(p, {
    contentType: 'application/json',
    contentEncoding: 'gzip',
    headers,
    deliveryMode: 2,
    priority: 9,
    correlationId: 'corr-ü',
    replyTo: 'amq.rabbitmq.reply-to',
    expiration: '60000',
    messageId: 'm-1',
    timestamp: 2 ** 40 + 3,
    type: 'order.created',
    userId: 'guest',
    appId: 'warren-test',
    clusterId: 'c1',
  });
  return p;
}

test('all 14 properties round-trip, with flags bit 15 down to bit 2', () => {
  const b = encode(all());
  assert.equal(b.readUInt16BE(0), 0xfffc);
  assert.deepStrictEqual(decodeProperties(b, 0, b.length), all(everyTypeDecoded()));
  assert.equal(peekDeliveryMode(b, 0, b.length), 2);
  assert.equal(peekPriority(b, 0, b.length), 9);
  assert.equal(peekExpiration(b, 0, b.length), '60000');
});

test('no properties: a zero flags word', () => {
  const b = encode(new BasicProperties());
  assert.deepEqual([...b], [0, 0]);
  assert.deepStrictEqual(decodeProperties(b, 0, 2), new BasicProperties());
  assert.equal(peekDeliveryMode(b, 0, 2), 0);
  assert.equal(peekPriority(b, 0, 2), 0);
  assert.equal(peekExpiration(b, 0, 2), null);
});

test('some properties, each alone and in pairs', () => {
  const full = all();
  const keys = Object.keys(full) as (keyof BasicProperties)[];
  for (let i = 0; i < keys.length; i++) {
    for (let j = i; j < keys.length; j++) {
      const p = new BasicProperties();
      (p as unknown as Record<string, unknown>)[keys[i]!] = full[keys[i]!];
      (p as unknown as Record<string, unknown>)[keys[j]!] = full[keys[j]!];
      const b = encode(p);
      const got = decodeProperties(b, 0, b.length);
      if (p.headers) p.headers = everyTypeDecoded();
      assert.deepStrictEqual(got, p, `${keys[i]} + ${keys[j]}`);
      assert.equal(peekDeliveryMode(b, 0, b.length), p.deliveryMode ?? 0);
      assert.equal(peekPriority(b, 0, b.length), p.priority ?? 0);
      assert.equal(peekExpiration(b, 0, b.length), p.expiration);
    }
  }
});

test('decoding at an offset inside a larger buffer (a content header payload)', () => {
  const props = encode(all());
  const payload = Buffer.concat([Buffer.alloc(12, 0xee), props, Buffer.from([1, 2, 3])]);
  const end = 12 + props.length;
  assert.equal(decodeProperties(payload, 12, end).appId, 'warren-test');
  assert.equal(peekDeliveryMode(payload, 12, end), 2);
});

test('the layout of a typical publish', () => {
  const p = new BasicProperties();
  p.contentType = 'text/plain';
  p.deliveryMode = 2;
  assert.deepEqual([...encode(p)], [0x90, 0x00, 10, ...Buffer.from('text/plain'), 2]);
  assert.equal(PropertyFlag.CONTENT_TYPE | PropertyFlag.DELIVERY_MODE, 0x9000);
});

test('continuation flag words are skipped', () => {
  // delivery-mode + continuation, then a second flags word with nothing set
  const b = Buffer.from([0x10, 0x01, 0x00, 0x00, 2]);
  assert.equal(decodeProperties(b, 0, b.length).deliveryMode, 2);
  assert.equal(peekDeliveryMode(b, 0, b.length), 2);
  const chained = Buffer.from([0x08, 0x01, 0x00, 0x01, 0x00, 0x00, 5]);
  assert.equal(peekPriority(chained, 0, chained.length), 5);
  // a property flag in a continuation word names a property basic does not have
  assert.throws(() => decodeProperties(Buffer.from([0x00, 0x01, 0x80, 0x00]), 0, 4), CodecError);
});

test('malformed property lists are CodecError 501', () => {
  const b = encode(all());
  for (let cut = 0; cut < b.length; cut++) {
    assert.throws(
      () => decodeProperties(b, 0, cut),
      (e: unknown) => e instanceof CodecError && (e.replyCode === 501 || e.replyCode === 502),
      `cut ${cut}`,
    );
  }
  assert.throws(() => decodeProperties(Buffer.from([0, 0, 1]), 0, 3), /cannot decode content header properties/);
  assert.throws(() => peekDeliveryMode(Buffer.from([0x10, 0x00]), 0, 2), CodecError);
  assert.throws(() => peekExpiration(Buffer.from([0x01]), 0, 1), CodecError);
  assert.throws(() => peekPriority(Buffer.from([0x28, 0x00, 0, 0, 0, 9]), 0, 6), CodecError);
});
