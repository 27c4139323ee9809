// The decoder's short-string cache (method-codec str): a hit returns the same string, and no two different byte
// strings ever decode to the same string, whatever the slot collisions, lengths and encodings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { str } from '../../../../src/codec/amqp/method-codec.js';

test('str returns the decoded string, from the cache when the bytes repeat', () => {
  const b = Buffer.from('xxorders.createdxx');
  const a = str(b, 2, 16);
  assert.equal(a, 'orders.created');
  assert.equal(str(Buffer.from('orders.created'), 0, 14), a);
  assert.equal(str(b, 0, 0), '');
});

test('str never confuses different strings (many keys, collisions, non-ASCII, long)', () => {
  const keys: string[] = [];
  for (let i = 0; i < 5000; i++) keys.push(`k.${i}.${(i * 7919) % 1000}`);
  keys.push('ünïcødé.κλειδί', 'a'.repeat(64), 'a'.repeat(65), 'b'.repeat(200), 'x', 'y');
  for (let round = 0; round < 3; round++) {
    for (const k of keys) {
      const bytes = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(k), Buffer.from([9])]);
      assert.equal(str(bytes, 3, bytes.length - 1), k);
    }
  }
});
