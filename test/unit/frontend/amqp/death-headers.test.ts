// x-death on the wire: types (count long, time timestamp, routing-keys array of longstr), RabbitMQ's key
// orders, count increments, untouched headers copied with their own types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import { BasicProperties, decodeProperties, encodeProperties } from '../../../../src/codec/amqp/properties.js';
import { Typed } from '../../../../src/codec/amqp/field-table.js';
import { headersSpan, tableEntries } from '../../../../src/codec/amqp/raw-table.js';
import { deadLetterProps, withLongHeader } from '../../../../src/frontend/amqp/death-headers.js';
import type { DeathEvent } from '../../../../src/core/message.js';

function props(p: Partial<BasicProperties>): Buffer {
  const bp = Object.assign(new BasicProperties(), p);
  const w = new Writer(256);
  encodeProperties(w, bp);
  return Buffer.from(w.take()!);
}

function types(raw: Buffer): Record<string, string> {
  const s = headersSpan(raw)!;
  const out: Record<string, string> = {};
  for (const e of tableEntries(raw, s[0], s[1])) out[e.key] = String.fromCharCode(e.raw[0]!);
  return out;
}

const death = (over: Partial<DeathEvent> = {}): DeathEvent => ({
  queue: 'q',
  reason: 'rejected',
  exchange: 'x',
  routingKeys: ['rk'],
  time: 1700000000,
  originalExpiration: null,
  ...over,
});

test('first death: entry fields, types and order; first/last death headers; expiration and BCC removed', () => {
  const raw = deadLetterProps(
    props({ messageId: 'm', expiration: '500', headers: { z: new Typed('b', 3), BCC: ['hidden'], a: 'A' } }),
    death({ originalExpiration: '500' }),
  );
  const p = decodeProperties(raw, 0, raw.length);
  assert.equal(p.messageId, 'm');
  assert.equal(p.expiration, null);
  const h = p.headers!;
  assert.deepEqual(Object.keys(h), [
    'a',
    'x-death',
    'x-first-death-exchange',
    'x-first-death-queue',
    'x-first-death-reason',
    'x-last-death-exchange',
    'x-last-death-queue',
    'x-last-death-reason',
    'z',
  ]);
  assert.equal(types(raw)['z'], 'b', 'an untouched header keeps its wire type');
  const xd = h['x-death'] as Record<string, unknown>[];
  assert.deepEqual(Object.keys(xd[0]!), [
    'count',
    'reason',
    'queue',
    'time',
    'exchange',
    'routing-keys',
    'original-expiration',
  ]);
  const span = headersSpan(raw)!;
  const xdRaw = tableEntries(raw, span[0], span[1]).find((e) => e.key === 'x-death')!.raw;
  const entry = tableEntries(xdRaw, 10, xdRaw.length);
  assert.deepEqual(
    entry.map((e) => [e.key, String.fromCharCode(e.raw[0]!)]),
    [
      ['count', 'l'],
      ['reason', 'S'],
      ['queue', 'S'],
      ['time', 'T'],
      ['exchange', 'S'],
      ['routing-keys', 'A'],
      ['original-expiration', 'S'],
    ],
  );
});

test('a repeat death increments count, moves its entry first, sorted; first-death headers stay', () => {
  let raw = deadLetterProps(props({}), death({ queue: 'a', reason: 'expired' }));
  raw = deadLetterProps(raw, death({ queue: 'b', reason: 'rejected' }));
  raw = deadLetterProps(raw, death({ queue: 'a', reason: 'expired' }));
  const h = decodeProperties(raw, 0, raw.length).headers!;
  const xd = h['x-death'] as Record<string, unknown>[];
  assert.deepEqual(
    xd.map((d) => [d['queue'], d['reason'], d['count']]),
    [
      ['a', 'expired', 2],
      ['b', 'rejected', 1],
    ],
  );
  assert.deepEqual(Object.keys(xd[0]!), ['count', 'exchange', 'queue', 'reason', 'routing-keys', 'time']);
  assert.equal(h['x-first-death-queue'], 'a');
  assert.equal(h['x-last-death-queue'], 'a');
  assert.equal(h['x-last-death-reason'], 'expired');
});

test('withLongHeader sets one long header and keeps the rest', () => {
  const raw = withLongHeader(props({ headers: { keep: new Typed('s', 7) }, priority: 4 }), 'x-delivery-count', 2);
  const p = decodeProperties(raw, 0, raw.length);
  assert.equal(p.priority, 4);
  assert.equal(p.headers!['x-delivery-count'], 2);
  assert.deepEqual(types(raw), { keep: 's', 'x-delivery-count': 'l' });
  const none = withLongHeader(props({}), 'x-delivery-count', 0);
  assert.equal(decodeProperties(none, 0, none.length).headers!['x-delivery-count'], 0);
});

test('a malformed header table makes deadLetterProps throw a CodecError (the core then drops the message)', () => {
  // flags: headers; table of 6 bytes: key "a", type 'Z' (unknown)
  const bad = Buffer.from([0x20, 0x00, 0, 0, 0, 4, 1, 0x61, 0x5a, 0]);
  assert.throws(() => deadLetterProps(bad, death()));
});
