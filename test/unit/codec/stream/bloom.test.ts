// The chunk filter as osiris_bloom.erl computes it: erlang:phash2/2 of a binary and of a one-element list, and
// the bit positions and filter bytes, all checked against values computed with Erlang/OTP 25 (erl -eval
// "erlang:phash2(<<\"abc\">>, 1 bsl 32)" and osiris_bloom's make_hash/2 + to_binary/1 run in erl); and the
// consumer side (init_matcher/is_match): match, no match, match-unfiltered, other filter sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BloomBuilder,
  BloomMatcher,
  bloomHashes,
  phash2Binary,
  phash2ListOfBinary,
} from '../../../../src/codec/stream/index.js';

const OTP25: Array<[string, number, number]> = [
  ['abc', 1306188027, 3553186069],
  ['', 147926629, 440873397],
  ['a', 1589197455, 3543352798],
  ['hello world!', 965223795, 1869519243],
  ['hello world!!', 2552201628, 3339038606],
  ['california', 921539260, 3616633912],
  ['x'.repeat(40), 2787000142, 1585874813],
];

test('phash2(Bin, 2^32) and phash2([Bin], 2^32) equal Erlang/OTP 25', () => {
  for (const [v, h1, h2] of OTP25) {
    assert.equal(phash2Binary(Buffer.from(v), 2 ** 32), h1, v);
    assert.equal(phash2ListOfBinary(Buffer.from(v), 2 ** 32), h2, v);
  }
});

test('make_hash/2 bit positions equal osiris_bloom in Erlang', () => {
  assert.deepEqual(bloomHashes(Buffer.from('apple'), 128), [5, 85]);
  assert.deepEqual(bloomHashes(Buffer.from('banana'), 128), [86, 23]);
  assert.deepEqual(bloomHashes(Buffer.from('california'), 128), [83, 49]);
});

test('filter bytes equal osiris_bloom:to_binary/1; none without filtered entries', () => {
  const b = new BloomBuilder();
  b.add(Buffer.from('apple'));
  b.add(Buffer.from('banana'));
  b.add(Buffer.from('apple'));
  assert.equal(b.bytes.toString('hex'), '04000100000000000000060000000000');
  b.reset();
  b.add(null);
  b.add(Buffer.alloc(0));
  assert.equal(b.bytes.length, 0);
  assert.throws(() => new BloomBuilder(15), /16..255/);
});

test('matcher: filter values, match-unfiltered, chunks without a filter, other filter sizes', () => {
  const b = new BloomBuilder();
  b.add(Buffer.from('apple'));
  const apple = Buffer.from(b.bytes);
  b.add(null);
  const appleAndUnfiltered = Buffer.from(b.bytes);
  assert.equal(new BloomMatcher(['apple']).matches(apple), true);
  assert.equal(new BloomMatcher(['banana']).matches(apple), false);
  assert.equal(new BloomMatcher(['banana'], true).matches(apple), false);
  assert.equal(new BloomMatcher(['banana'], true).matches(appleAndUnfiltered), true);
  assert.equal(new BloomMatcher(['banana']).matches(Buffer.alloc(0)), false);
  assert.equal(new BloomMatcher(['banana'], true).matches(Buffer.alloc(0)), true);
  const wide = new BloomBuilder(64);
  wide.add(Buffer.from('california'));
  const m = new BloomMatcher(['california']);
  assert.equal(m.matches(wide.bytes), true);
  assert.equal(m.matches(apple), false);
});
