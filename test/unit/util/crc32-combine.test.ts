// util/crc32-combine.ts: crc32(A + B) from the parts' CRCs equals node:zlib's crc32 of the whole, for empty
// parts, odd lengths and lengths past 2^20 (a stream chunk's data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../../../src/util/crc32-combine.js';

test('crc32Combine gives the CRC-32 of the concatenation', () => {
  const lengths: [number, number][] = [
    [0, 0],
    [1, 0],
    [0, 1],
    [5, 7],
    [48 + 32, 1 << 20],
    [100, 3],
    [1, 2_000_001],
    [65, 65536],
  ];
  for (const [la, lb] of lengths) {
    const a = randomBytes(la);
    const b = randomBytes(lb);
    assert.equal(crc32Combine(crc32(a), crc32(b), lb), crc32(Buffer.concat([a, b])), `${la} + ${lb} bytes`);
  }
});
