// The virtual clock (util/clock.ts): timers fire at their due time in order, repeating ones too, and
// parseDuration reads what clock.advance() takes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  clearTimer,
  now,
  parseDuration,
  releaseVirtualClock,
  setRepeating,
  setTimer,
  useVirtualClock,
} from '../../../src/util/clock.js';

test('parseDuration: ms, s, m, h, d and numbers; junk is a RangeError', () => {
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('30m'), 1800000);
  assert.equal(parseDuration('2h'), 7200000);
  assert.equal(parseDuration('1d'), 86400000);
  assert.throws(() => parseDuration('soon'), RangeError);
  assert.throws(() => parseDuration(-1), RangeError);
});

test('advance fires due timers in time order, each at its due time; cancelled ones never', () => {
  const clock = useVirtualClock();
  try {
    const t0 = clock.now();
    const fired: [string, number][] = [];
    setTimer(() => fired.push(['b', now() - t0]), 200);
    setTimer(() => fired.push(['a', now() - t0]), 100);
    setTimer(() => fired.push(['a2', now() - t0]), 100);
    const gone = setTimer(() => fired.push(['x', now() - t0]), 150);
    clearTimer(gone);
    const tick = setRepeating(() => fired.push(['tick', now() - t0]), 120);
    // a timer set by a callback fires in the same advance when due
    setTimer(() => setTimer(() => fired.push(['chained', now() - t0]), 10), 50);
    clock.advance(99);
    assert.deepEqual(fired, [['chained', 60]]);
    clock.advance('151ms');
    assert.deepEqual(fired, [
      ['chained', 60],
      ['a', 100],
      ['a2', 100],
      ['tick', 120],
      ['b', 200],
      ['tick', 240],
    ]);
    assert.equal(now() - t0, 250);
    clearTimer(tick);
    clock.advance('1s');
    assert.equal(fired.length, 6);
  } finally {
    releaseVirtualClock();
  }
  // back on real time
  assert.ok(Math.abs(now() - Date.now()) < 5);
});
