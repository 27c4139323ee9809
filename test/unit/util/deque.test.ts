import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Deque } from '../../../src/util/deque.js';

test('deque behaves like an array under random operations', () => {
  const d = new Deque<number>();
  const ref: number[] = [];
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 20000; i++) {
    const r = rnd();
    if (r < 0.4) {
      d.push(i);
      ref.push(i);
    } else if (r < 0.55) {
      d.unshift(i);
      ref.unshift(i);
    } else if (r < 0.8) {
      assert.equal(d.shift(), ref.shift());
    } else if (r < 0.9) {
      assert.equal(d.pop(), ref.pop());
    } else {
      const at = Math.floor(rnd() * (ref.length + 1));
      d.insert(at, i);
      ref.splice(at, 0, i);
    }
    assert.equal(d.length, ref.length);
  }
  assert.deepEqual([...d], ref);
});

test('set replaces in place, across the wrap, and ignores positions outside', () => {
  const d = new Deque<number>();
  for (let i = 0; i < 20; i++) d.push(i);
  for (let i = 0; i < 10; i++) d.shift(); // head moves: positions wrap round the ring
  for (let i = 20; i < 30; i++) d.push(i);
  d.set(0, 100);
  d.set(19, 119);
  d.set(-1, 7);
  d.set(20, 7);
  assert.equal(d.length, 20);
  assert.deepEqual([...d], [100, ...Array.from({ length: 18 }, (_, k) => k + 11), 119]);
});
