// util/crc32-short.ts: the in-place CRC of a short range equals node:zlib crc32 of the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { crc32Short } from '../../../src/util/crc32-short.js';

test('crc32Short gives zlib crc32 of the range, without a view', () => {
  const b = Buffer.alloc(200);
  for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 7) & 0xff;
  for (const [s, e] of [
    [0, 0],
    [0, 1],
    [3, 20],
    [10, 74],
    [0, 200],
  ] as const) {
    assert.equal(crc32Short(b, s, e), crc32(b.subarray(s, e)), `range ${s}..${e}`);
  }
});
