// util/tag-map.ts: a channel's unacked deliveries by tag behave as the Map they replace (tag order, gaps,
// out-of-order deletes, growth), and a sparse span turns into a Map and back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TagMap } from '../../../src/util/tag-map.js';

/** The same operations on a TagMap and a Map must agree at every step. */
function check(t: TagMap<number>, m: Map<number, number>): void {
  assert.equal(t.size, m.size);
  assert.deepEqual([...t.values()], [...m.values()]);
  assert.equal(t.first(), m.values().next().value);
  // a multiple ack's values: every tag up to one held, one not held, past the last, and 0 (all)
  const keys = [...m.keys()];
  for (const upTo of [keys[0] ?? 1, (keys[keys.length >> 1] ?? 1) + 1, (keys[keys.length - 1] ?? 0) + 5, 0])
    assert.deepEqual(
      t.upTo(upTo),
      keys.filter((k) => upTo === 0 || k <= upTo).map((k) => m.get(k)),
    );
}

test('agrees with a Map under random sets with gaps and deletes in any order', () => {
  const t = new TagMap<number>();
  const m = new Map<number, number>();
  let tag = 0;
  let seed = 7;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let step = 0; step < 20000; step++) {
    const r = rnd();
    if (r < 0.55) {
      tag += 1 + Math.floor(rnd() * 3); // noAck deliveries take tags too
      t.set(tag, tag * 10);
      m.set(tag, tag * 10);
    } else if (m.size !== 0) {
      const keys = [...m.keys()];
      const k = r < 0.8 ? keys[0]! : keys[Math.floor(rnd() * keys.length)]!;
      assert.equal(t.delete(k), m.delete(k));
      assert.equal(t.delete(k), false, 'deleted twice');
    }
    assert.equal(t.get(tag), m.get(tag));
    assert.equal(t.has(tag - 1), m.has(tag - 1));
    if (step % 97 === 0) check(t, m);
  }
  check(t, m);
  t.clear();
  assert.equal(t.size, 0);
  assert.deepEqual([...t.values()], []);
});

test('one old tag held while a million pass: a Map, not a million slots; a ring again once empty', () => {
  const t = new TagMap<string>();
  t.set(1, 'old');
  for (let tag = 2; tag < 1_000_000; tag++) {
    t.set(tag, 'x');
    t.delete(tag);
  }
  t.set(1_000_000, 'new');
  assert.equal(t.size, 2);
  assert.deepEqual([...t.values()], ['old', 'new']);
  assert.deepEqual(t.upTo(999_999), ['old']);
  assert.deepEqual(t.upTo(0), ['old', 'new']);
  assert.equal(t.first(), 'old');
  assert.equal(t.get(1), 'old');
  t.delete(1);
  t.delete(1_000_000);
  assert.equal(t.size, 0);
  t.set(1_000_001, 'ring');
  assert.equal(t.get(1_000_001), 'ring');
  assert.deepEqual([...t.values()], ['ring']);
});
