// util/body-pool.ts: size classes, reuse of handed-back buffers, and what is never taken in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { POOL_MAX, POOL_MIN, giveBack, poolStats, sizeClass, takeBody } from '../../../src/util/body-pool.js';

test('size classes: eighths of a power of two, never smaller than the body, at most 12.5% over', () => {
  assert.equal(sizeClass(65536), 65536);
  assert.equal(sizeClass(65537), 65536 + 8192);
  assert.equal(sizeClass(8192), 8192);
  assert.equal(sizeClass(9000), 9216);
  for (let n = POOL_MIN; n <= POOL_MAX; n += 4999) {
    const c = sizeClass(n);
    assert.ok(c >= n && c <= n * 1.125, `${n} -> ${c}`);
  }
});

test('a body handed back is reused by the next of its class, once', () => {
  const a = takeBody(40000);
  assert.equal(a.length, 40000);
  assert.equal(a.byteOffset, 0);
  const before = poolStats();
  giveBack(a);
  giveBack(a); // a second hand-back of the same buffer is ignored
  assert.equal(poolStats().freeBytes, before.freeBytes + sizeClass(40000));
  const b = takeBody(39000); // same class
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, 39000);
  assert.equal(poolStats().reused, before.reused + 1);
  const c = takeBody(40000);
  assert.notEqual(c.buffer, a.buffer, 'handed out twice');
});

test('buffers the pool did not hand out, and bodies over POOL_MAX, are never taken in', () => {
  const before = poolStats().freeBytes;
  giveBack(Buffer.alloc(65536));
  giveBack(Buffer.from('small'));
  giveBack(takeBody(POOL_MAX + 1));
  assert.equal(poolStats().freeBytes, before);
});

test('a pool full of one size makes room for another: a burst of one size does not leave later sizes unpooled', () => {
  // fill the free lists to their cap (32 MiB) with one class, as a burst of 300 KB messages would
  const big: Buffer[] = [];
  for (let i = 0; i < 120; i++) big.push(takeBody(300000));
  for (const b of big) giveBack(b);
  assert.ok(poolStats().freeBytes > (32 << 20) - sizeClass(300000), 'the pool is full');
  const small = takeBody(1000);
  giveBack(small);
  const again = takeBody(1000);
  assert.equal(again.buffer, small.buffer, 'the smaller size was not taken in');
  assert.ok(poolStats().freeBytes <= 32 << 20);
  // and the big class, its own spares filling the pool, takes in no more than the cap
  giveBack(takeBody(300000 + 1));
  assert.ok(poolStats().freeBytes <= 32 << 20);
});
