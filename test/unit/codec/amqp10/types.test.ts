// AMQP 1.0 types (part 1, §1.6): one table of values with the exact bytes the smallest encoding gives, decoded
// back to the same typed value; every truncation of every encoding is refused; skipValue steps over each value
// from its size fields alone; described values, arrays (also of described values) and nesting limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writer } from '../../../../src/codec/buffer/writer.js';
import {
  Amqp10Decoder,
  Amqp10Error,
  MAX_DEPTH,
  amqp,
  decodeValue,
  encodeValue,
  plain,
  skipValue,
  type Amqp10Value,
} from '../../../../src/codec/amqp10/index.js';

function enc(v: Amqp10Value): Buffer {
  const w = new Writer(16);
  encodeValue(w, v);
  return w.take()!;
}

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const uuid = h('0123456789abcdef0123456789abcdef');
const CASES: Array<[string, Amqp10Value, string]> = [
  ['null', amqp.null(), '40'],
  ['true', amqp.boolean(true), '41'],
  ['false', amqp.boolean(false), '42'],
  ['ubyte', amqp.ubyte(200), '50 c8'],
  ['ushort', amqp.ushort(65535), '60 ffff'],
  ['uint0', amqp.uint(0), '43'],
  ['smalluint', amqp.uint(255), '52 ff'],
  ['uint', amqp.uint(256), '70 00000100'],
  ['ulong0', amqp.ulong(0), '44'],
  ['smallulong', amqp.ulong(7), '53 07'],
  ['ulong', amqp.ulong(2 ** 40), '80 0000010000000000'],
  ['ulong big', amqp.ulong(2n ** 64n - 1n), '80 ffffffffffffffff'],
  ['byte', amqp.byte(-2), '51 fe'],
  ['short', amqp.short(-300), '61 fed4'],
  ['smallint', amqp.int(-1), '54 ff'],
  ['int', amqp.int(-129), '71 ffffff7f'],
  ['smalllong', amqp.long(127), '55 7f'],
  ['long', amqp.long(-(2 ** 40)), '81 ffffff0000000000'],
  ['long big', amqp.long(-(2n ** 63n)), '81 8000000000000000'],
  ['float', amqp.float(1.5), '72 3fc00000'],
  ['double', amqp.double(-2.25), '82 c002000000000000'],
  ['decimal32', amqp.decimal32(h('01020304')), '74 01020304'],
  ['decimal64', amqp.decimal64(h('0102030405060708')), '84 0102030405060708'],
  ['decimal128', amqp.decimal128(uuid), '94 0123456789abcdef0123456789abcdef'],
  ['char', amqp.char(0x1f600), '73 0001f600'],
  ['timestamp', amqp.timestamp(1700000000123), '83 0000018bcfe5687b'],
  ['uuid', amqp.uuid(uuid), '98 0123456789abcdef0123456789abcdef'],
  ['vbin8', amqp.binary(h('0102')), 'a0 02 0102'],
  ['vbin32', amqp.binary(Buffer.alloc(256, 1)), 'b0 00000100' + '01'.repeat(256)],
  ['str8', amqp.string('hé'), 'a1 03 68c3a9'],
  ['str32', amqp.string('x'.repeat(300)), 'b1 0000012c' + '78'.repeat(300)],
  ['sym8', amqp.symbol('x-opt'), 'a3 05 782d6f7074'],
  ['sym32', amqp.symbol('s'.repeat(256)), 'b3 00000100' + '73'.repeat(256)],
  ['list0', amqp.list([]), '45'],
  ['list8', amqp.list([amqp.uint(1), amqp.null()]), 'c0 04 02 5201 40'],
  ['list32', amqp.list([amqp.binary(Buffer.alloc(300))]), 'd0 00000135 00000001 b0 0000012c' + '00'.repeat(300)],
  ['map8', amqp.map([[amqp.symbol('k'), amqp.string('v')]]), 'c1 07 02 a3016b a10176'],
  [
    'map32',
    amqp.map([[amqp.string('k'), amqp.binary(Buffer.alloc(256))]]),
    'd1 0000010c 00000002 a1016b b0 00000100' + '00'.repeat(256),
  ],
  ['array8 of symbols', amqp.array('symbol', [amqp.symbol('a'), amqp.symbol('bc')]), 'e0 07 02 a3 0161 026263'],
  ['array of uint (full width)', amqp.array('uint', [amqp.uint(1)]), 'e0 06 01 70 00000001'],
  [
    'array32',
    amqp.array('ulong', new Array(40).fill(amqp.ulong(1))),
    'f0 00000145 00000028 80' + '0000000000000001'.repeat(40),
  ],
  ['empty array', amqp.array('int', []), 'e0 02 00 71'],
  ['array of lists', amqp.array('list', [amqp.list([amqp.boolean(true)])]), 'e0 0b 01 d0 00000005 00000001 41'],
  ['described', amqp.described(amqp.ulong(0x70), amqp.list([amqp.boolean(true)])), '00 5370 c0 02 01 41'],
  ['described by symbol', amqp.described(amqp.symbol('a:b'), amqp.null()), '00 a303 613a62 40'],
  ['array of described', amqp.array('described', [amqp.string('x')], amqp.ulong(9)), 'e0 07 01 00 5309 a1 0178'],
];

test('every AMQP 1.0 type encodes to its smallest encoding and decodes back to the same typed value', () => {
  for (const [name, v, hex] of CASES) {
    const bytes = enc(v);
    assert.equal(bytes.toString('hex'), h(hex).toString('hex'), name);
    assert.deepEqual(decodeValue(bytes), v, name);
    assert.equal(skipValue(bytes, 0, bytes.length), bytes.length, `${name} skip`);
  }
});

test('decoding wider encodings than the smallest gives the same values (uint/ulong/int/long, boolean 0x56, list32)', () => {
  assert.deepEqual(decodeValue(h('70 00000005')), amqp.uint(5));
  assert.deepEqual(decodeValue(h('80 0000000000000000')), amqp.ulong(0));
  assert.deepEqual(decodeValue(h('71 00000001')), amqp.int(1));
  assert.deepEqual(decodeValue(h('81 0000000000000001')), amqp.long(1));
  assert.deepEqual(decodeValue(h('56 01')), amqp.boolean(true));
  assert.deepEqual(decodeValue(h('56 00')), amqp.boolean(false));
  assert.deepEqual(decodeValue(h('d0 00000005 00000001 41')), amqp.list([amqp.boolean(true)]));
  assert.deepEqual(decodeValue(h('d1 00000004 00000000')), amqp.map([]));
});

test('binary values are views of the input, not copies', () => {
  const bytes = enc(amqp.binary(Buffer.from('payload')));
  const v = decodeValue(bytes);
  assert.equal(v.type, 'binary');
  assert.equal((v.value as Buffer).buffer, bytes.buffer);
});

test('every truncation of every encoding is refused with Amqp10Error (split input)', () => {
  for (const [name, v] of CASES) {
    const bytes = enc(v);
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.throws(() => decodeValue(bytes.subarray(0, cut)), Amqp10Error, `${name} cut at ${cut}`);
      if (cut > 0 && bytes[0] !== 0 && bytes[0]! >>> 4 >= 0xa)
        assert.throws(() => skipValue(bytes, 0, cut), Amqp10Error, `${name} skip cut at ${cut}`);
    }
  }
});

test('malformed input: reserved codes, bad booleans, odd maps, size mismatches, trailing bytes, deep nesting', () => {
  assert.throws(() => decodeValue(h('ff')), /unknown AMQP 1.0 format code 0xff/);
  assert.throws(() => decodeValue(h('56 02')), /invalid boolean/);
  assert.throws(() => decodeValue(h('c1 02 01 40')), /odd number/);
  assert.throws(() => decodeValue(h('c0 03 01 40 40')), /size does not match/);
  assert.throws(() => decodeValue(h('40 40')), /trailing bytes/);
  let deep = h('45');
  for (let i = 0; i <= MAX_DEPTH + 1; i++) deep = Buffer.concat([h('00 53 01'), deep]);
  assert.throws(() => decodeValue(deep), /nested too deeply/);
});

test('a decoder reads consecutive values; plain() renders them', () => {
  const w = new Writer(16);
  encodeValue(w, amqp.string('a'));
  encodeValue(w, amqp.map([[amqp.symbol('k'), amqp.list([amqp.long(1)])]]));
  const b = w.take()!;
  const d = new Amqp10Decoder(b, 0, b.length);
  assert.equal(plain(d.read()), 'a');
  assert.deepEqual(plain(d.read()), [['k', [1]]]);
  assert.equal(d.atEnd, true);
});

test('encoding refuses values that do not fit their type', () => {
  assert.throws(() => enc(amqp.uuid(Buffer.alloc(3))), /uuid needs 16 bytes/);
  assert.throws(() => enc(amqp.array('uint', [amqp.string('x')])), /array of uint holds a string/);
});
