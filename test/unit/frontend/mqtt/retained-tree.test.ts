// The retained messages' topic tree: the messages a filter's walk finds are exactly those the plain MQTT rule
// (§4.7) matches, $ topics and empty levels included; the walk visits only the branches the filter can match and
// stops where it is told to; cleared topics leave no nodes behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RetainedTree, type RetainedMatches } from '../../../../src/frontend/mqtt/retained-tree.js';
import { prng } from '../../codec/amqp/helpers.js';

interface Msg {
  readonly topic: string;
}

/** The rule written the plain way (both split): `+` one level, `#` the rest and the parent, no `$` for a leading wildcard. */
function reference(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function treeOf(topics: Iterable<string>): RetainedTree<Msg> {
  const tree = new RetainedTree<Msg>();
  for (const topic of topics) tree.set({ topic });
  return tree;
}

/** Every message of a walk, `step` nodes a call (so that a small step resumes it many times). */
function drain(m: RetainedMatches<Msg>, step = 1 << 30): string[] {
  const out: string[] = [];
  for (let calls = 0; !m.done; calls++) {
    assert.ok(calls < 1e6, 'the walk ends');
    const r = m.next(m.visited + step);
    if (r !== undefined) out.push(r.topic);
  }
  return out;
}

const matched = (tree: RetainedTree<Msg>, filter: string, step?: number): string[] =>
  drain(tree.match(filter), step).sort();

const expected = (topics: Iterable<string>, filter: string): string[] =>
  [...new Set(topics)].filter((t) => reference(filter, t)).sort();

test('filter matching (retained messages), $ topics not matched by leading wildcards', () => {
  const one = (filter: string, topic: string): boolean => matched(treeOf([topic]), filter).length === 1;
  assert.ok(one('a/+/c', 'a/b/c'));
  assert.ok(one('a/#', 'a'));
  assert.ok(one('a/#', 'a/b/c'));
  assert.ok(!one('a/+', 'a/b/c'));
  assert.ok(!one('#', '$SYS/x'));
  assert.ok(one('$SYS/#', '$SYS/x'));
  assert.ok(!one('a/b', 'a/bc'));
  assert.ok(!one('a/bc', 'a/b'));
  assert.ok(one('+/+', '/'));
  assert.ok(!one('+', '/'));
  // every filter against every topic, as the plain rule says
  const filters = [
    '#',
    '+',
    '+/#',
    'a',
    'a/#',
    'a/+',
    'a/+/c',
    '+/b/#',
    '',
    '/',
    '+/',
    '/+',
    'a//b',
    'a/+/+',
    '$SYS/#',
    '$SYS/+',
    '/#',
    '+/+/#',
  ];
  const topics = ['', '/', '//', 'a', 'a/', 'a/b', 'a/b/c', 'a//b', 'ab', 'a/bc', 'b/b/x', '$SYS', '$SYS/x', 'x/$a'];
  const tree = treeOf(topics);
  for (const f of filters) {
    assert.deepEqual(matched(tree, f), expected(topics, f), `filter ${f}`);
    assert.deepEqual(matched(tree, f, 1), expected(topics, f), `filter ${f}, one node a call`);
  }
});

test('random topics and filters: the walk finds what the plain rule matches, once each, with stores and clears between', () => {
  const rnd = prng(0x7e7a);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const topicLevels = ['', 'a', 'b', 'ab', '$', '$SYS', 'a$', 'x'];
  const filterLevels = ['', 'a', 'b', '$SYS', '$', '+', '+', '#'];
  const randomTopic = (): string =>
    Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick(topicLevels)).join('/');
  const randomFilter = (): string => {
    const n = 1 + Math.floor(rnd() * 4);
    const ls = Array.from({ length: n }, (_, i) => {
      const l = pick(filterLevels);
      return l === '#' && i !== n - 1 ? '+' : l; // `#` only last (§4.7.1.2)
    });
    return ls.join('/');
  };
  const tree = new RetainedTree<Msg>();
  const live = new Set<string>();
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 20; i++) {
      const t = randomTopic();
      if (rnd() < 0.3) {
        tree.delete(t);
        live.delete(t);
      } else {
        tree.set({ topic: t });
        live.add(t);
      }
    }
    assert.equal(tree.size, live.size);
    for (let i = 0; i < 10; i++) {
      const f = randomFilter();
      const step = pick([1, 2, 5, 1 << 30]);
      assert.deepEqual(matched(tree, f, step), expected(live, f), `filter ${f} over ${[...live].join(' ')}`);
    }
    for (const f of ['#', '+', '/#', '$SYS/#', '+/#']) assert.deepEqual(matched(tree, f), expected(live, f), f);
  }
  assert.deepEqual([...tree.values()].map((m) => m.topic).sort(), [...live].sort());
});

test('exact lookups and values(); a topic stored again is replaced in its place', () => {
  const tree = treeOf(['a/b', 'a', 'c']);
  assert.equal(tree.get('a/b')?.topic, 'a/b');
  assert.equal(tree.get('a/'), undefined);
  assert.equal(tree.get('b'), undefined);
  const again = { topic: 'a', v: 2 };
  tree.set(again);
  assert.equal(tree.get('a'), again);
  assert.deepEqual(
    [...tree.values()].map((m) => m.topic),
    ['a/b', 'a', 'c'],
  );
  tree.delete('nothing/here'); // clearing a topic never retained is nothing
  assert.equal(tree.size, 3);
});

test('a cleared topic prunes the nodes it alone kept: a `+/#` walk of what is left visits only that', () => {
  const tree = new RetainedTree<Msg>();
  for (let i = 0; i < 1000; i++) tree.set({ topic: `x/${i}/y/z` });
  tree.set({ topic: 'a' });
  tree.set({ topic: 'a/b/c' });
  for (let i = 0; i < 1000; i++) tree.delete(`x/${i}/y/z`);
  const m = tree.match('+/#');
  assert.deepEqual(drain(m).sort(), ['a', 'a/b/c']);
  assert.equal(m.visited, 4); // the root, a, a/b, a/b/c
  tree.delete('a/b/c');
  const m2 = tree.match('+/#');
  assert.deepEqual(drain(m2), ['a']);
  assert.equal(m2.visited, 2);
  // a node with a message keeps it when its children go, and goes when it is cleared last
  tree.delete('a');
  const m3 = tree.match('+/#');
  assert.deepEqual(drain(m3), []);
  assert.equal(m3.visited, 1);
  assert.equal(tree.size, 0);
});

test('a wildcard walk visits the branches its filter can match, not every topic, and stops where it is told', () => {
  const tree = new RetainedTree<Msg>();
  for (let i = 0; i < 10000; i++) tree.set({ topic: `t${i % 50}/${i}/c` });
  const m = tree.match('t7/+/c');
  const got = drain(m);
  assert.equal(got.length, 200);
  assert.ok(m.visited <= 2 + 200 * 2, `visited ${m.visited}`);
  const miss = tree.match('nothing/+/#');
  assert.deepEqual(drain(miss), []);
  assert.equal(miss.visited, 1);
  // a bounded call: no more nodes than asked for (plus one filter's worth of literal levels)
  const all = tree.match('#');
  let n = 0;
  while (!all.done) {
    const before = all.visited;
    if (all.next(before + 100) !== undefined) n++;
    assert.ok(all.visited - before <= 101, `a call visited ${all.visited - before}`);
  }
  assert.equal(n, 10000);
});

test('`#` alone walks the topics, not the tree: one visit a topic, `$` topics left out, clears seen', () => {
  const tree = new RetainedTree<Msg>();
  for (let i = 0; i < 1000; i++) tree.set({ topic: `a/b/c/${i}` });
  tree.set({ topic: '$SYS/broker' });
  tree.set({ topic: '/lead' });
  const m = tree.match('#');
  const got = drain(m);
  assert.equal(got.length, 1001);
  assert.ok(!got.includes('$SYS/broker') && got.includes('/lead'));
  assert.equal(m.visited, 1002); // a tree walk visits 1,006 nodes here, and more the deeper the topics
  // cleared between steps: not returned; stored between steps: may be
  const m2 = tree.match('#');
  assert.equal(m2.next(1)?.topic, 'a/b/c/0');
  tree.delete('a/b/c/1');
  tree.set({ topic: 'late' });
  const rest = drain(m2);
  assert.ok(!rest.includes('a/b/c/1'));
  assert.equal(rest.length, 1000); // 998 left of the first, '/lead', 'late'
  assert.ok(m2.done);
});

test('the tree may change between steps: no failure, a cleared message is not returned', () => {
  const tree = new RetainedTree<Msg>();
  for (let i = 0; i < 100; i++) tree.set({ topic: `a/${i}` });
  const m = tree.match('a/+');
  const seen: string[] = [];
  for (let i = 0; i < 10; i++) seen.push(m.next(m.visited + 1000)!.topic);
  for (let i = 0; i < 100; i++) tree.delete(`a/${i}`);
  assert.equal(m.next(m.visited + 1000), undefined);
  assert.ok(m.done);
  assert.equal(seen.length, 10);
  assert.equal(tree.size, 0);
});
