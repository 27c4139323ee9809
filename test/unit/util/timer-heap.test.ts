// One timer for many timed items: due order, ties in insertion order, removal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerHeap } from '../../../src/util/timer-heap.js';

test('items fire in due order, ties in insertion order', async () => {
  const fired: number[] = [];
  const h = new TimerHeap<number>((n) => fired.push(n));
  const now = Date.now();
  const dues = [50, 10, 30, 10, 0, 40, 20];
  dues.forEach((d, i) => h.schedule(now + d, i));
  await new Promise((r) => setTimeout(r, 90));
  assert.deepEqual(fired, [4, 1, 3, 6, 2, 5, 0]);
  assert.equal(h.size, 0);
});

test('removeWhere drops items; close stops the timer', async () => {
  const fired: number[] = [];
  const h = new TimerHeap<number>((n) => fired.push(n));
  const now = Date.now();
  for (let i = 0; i < 10; i++) h.schedule(now + 10 + i, i);
  h.removeWhere((n) => n % 2 === 0);
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(fired, [1, 3, 5, 7, 9]);
  h.schedule(Date.now() + 5, 99);
  h.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(fired, [1, 3, 5, 7, 9]);
});
