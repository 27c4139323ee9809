// Field tables: every type (RabbitMQ's set) round-trips, including nested A/F, x, T, D; JS values map to the
// documented types and Typed forces one; the byte layout is the spec's; a '__proto__' key stays data; malformed
// input is a CodecError (501 truncated, 502 unknown type or too deep), unencodable values 541.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  Decimal,
  MAX_DEPTH,
  Timestamp,
  Typed,
  Writer,
  decodeTable,
  encodeTable,
  type FieldTable,
} from '../../../../src/codec/amqp/index.js';
import { everyTypeDecoded, everyTypeTable } from './helpers.js';

function encode(t: FieldTable): Buffer {
  const w = new Writer(16);
  encodeTable(w, t);
  return Buffer.from(w.take()!);
}

function roundTrip(t: FieldTable): FieldTable {
  const b = encode(t);
  assert.equal(b.readUInt32BE(0), b.length - 4);
  return decodeTable(b, 4, b.length - 4);
}

/** The type octet of the single entry of an encoded one-key table. */
function typeOf(v: unknown): string {
  const b = encode({ k: v as never });
  return String.fromCharCode(b[4 + 2]!);
}

test('every type round-trips, nested', () => {
  assert.deepStrictEqual(roundTrip(everyTypeTable()), everyTypeDecoded());
  assert.deepStrictEqual(roundTrip({}), {});
});

test('JS values encode as the documented types', () => {
  assert.equal(typeOf('s'), 'S');
  assert.equal(typeOf(true), 't');
  assert.equal(typeOf(2147483647), 'I');
  assert.equal(typeOf(-2147483648), 'I');
  assert.equal(typeOf(2147483648), 'l');
  assert.equal(typeOf(-2147483649), 'l');
  assert.equal(typeOf(1.5), 'd');
  assert.equal(typeOf(2 ** 64), 'd');
  assert.equal(typeOf(NaN), 'd');
  assert.equal(typeOf(Buffer.from('x')), 'x');
  assert.equal(typeOf([]), 'A');
  assert.equal(typeOf(null), 'V');
  assert.equal(typeOf(undefined), 'V');
  assert.equal(typeOf(new Timestamp(1)), 'T');
  assert.equal(typeOf(new Date(5000)), 'T');
  assert.equal(typeOf(new Decimal(1, 1)), 'D');
  assert.equal(typeOf({}), 'F');
  for (const t of 'bBsuIilLfdtSxTDAFV') {
    const sample: Record<string, unknown> = {
      t: true,
      S: 's',
      x: Buffer.alloc(1),
      T: 1,
      D: new Decimal(0, 1),
      A: [],
      F: {},
      V: null,
    };
    assert.equal(typeOf(new Typed(t, sample[t] ?? 1)), t);
  }
});

test('int64 and timestamps are exact to 2^53; Date encodes as seconds', () => {
  const t = roundTrip({
    a: 2 ** 53 - 1,
    b: -(2 ** 53 - 1),
    c: new Typed('l', -1),
    d: new Date(1700000000999),
    e: new Typed('L', 5),
  });
  assert.deepStrictEqual(t, { a: 2 ** 53 - 1, b: -(2 ** 53 - 1), c: -1, d: new Timestamp(1700000000), e: 5 });
});

test('the byte layout matches amqp0-9-1 §4.2.1', () => {
  const b = encode({ a: 1, b: 'xy' });
  assert.deepEqual([...b], [0, 0, 0, 16, 1, 0x61, 0x49, 0, 0, 0, 1, 1, 0x62, 0x53, 0, 0, 0, 2, 0x78, 0x79]);
});

test('a __proto__ key is an own property, not a prototype', () => {
  const b = Buffer.from([9, ...Buffer.from('__proto__'), 0x46, 0, 0, 0, 4, 1, 0x78, 0x74, 1]);
  const t = decodeTable(b, 0, b.length);
  assert.equal(Object.getPrototypeOf(t), Object.prototype);
  assert.deepEqual(Object.keys(t), ['__proto__']);
  assert.equal((t as Record<string, FieldTable>)['__proto__']!['x'], true);
});

function codecError(fn: () => unknown, code: number): void {
  assert.throws(fn, (e: unknown) => e instanceof CodecError && e.replyCode === code);
}

test('malformed tables: truncation is 501, an unknown type 502', () => {
  const good = encode(everyTypeTable());
  for (let cut = 4; cut < good.length; cut++) {
    // a cut may end exactly between entries, which is a valid shorter table
    try {
      decodeTable(good, 4, cut - 4);
    } catch (e) {
      assert.ok(e instanceof CodecError && (e.replyCode === 501 || e.replyCode === 502), String(e));
    }
  }
  codecError(() => decodeTable(Buffer.from([1, 0x6b, 0x49, 0, 0]), 0, 5), 501);
  codecError(() => decodeTable(Buffer.from([1, 0x6b, 0x55, 0, 0]), 0, 5), 502);
  codecError(() => decodeTable(Buffer.from([5, 0x6b]), 0, 2), 501);
  codecError(() => decodeTable(Buffer.from([1, 0x6b, 0x53, 0, 0, 0, 9, 0]), 0, 8), 501);
  codecError(() => decodeTable(Buffer.alloc(4), 2, 4), 501);
});

test('nesting deeper than MAX_DEPTH is refused both ways', () => {
  let t: FieldTable = {};
  for (let i = 0; i < MAX_DEPTH + 5; i++) t = { n: t };
  codecError(() => encode(t), 541);
  // hand-built deep input: F inside F ...
  const levels = 10000;
  const parts: Buffer[] = [];
  for (let i = 0; i < levels; i++) parts.push(Buffer.from([1, 0x6e, 0x46, 0, 0, 0, 0]));
  const b = Buffer.concat(parts);
  for (let i = levels - 1; i >= 0; i--) b.writeUInt32BE(b.length - i * 7 - 7, i * 7 + 3);
  codecError(() => decodeTable(b, 0, b.length), 502);
  const cyclic: FieldTable = {};
  cyclic['self'] = cyclic;
  codecError(() => encode(cyclic), 541);
});

test('values that cannot be encoded are CodecError 541', () => {
  codecError(() => encode({ f: (() => 1) as never }), 541);
  codecError(() => encode({ s: Symbol('x') as never }), 541);
  codecError(() => encode({ b: new Typed('b', 200) }), 541);
  codecError(() => encode({ q: new Typed('Q', 1) }), 541);
  codecError(() => encode({ t: new Typed('t', 1) }), 541);
  codecError(() => encode({ ['k'.repeat(256)]: 1 }), 541);
});
