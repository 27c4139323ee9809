// Routing tables for every exchange type: which queues a routing key (or header set) reaches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VHost } from '../../../../src/core/vhost.js';
import { matches } from '../../../../src/core/exchange/headers.js';
import { msg } from '../helpers.js';

function setup(type: string, bindings: [string, string, Record<string, unknown>?][]) {
  const v = new VHost('/');
  v.declareExchange('x', { type, durable: false, autoDelete: false, internal: false, args: {} });
  const qs = new Set(bindings.map((b) => b[0]));
  for (const q of qs) v.declareQueue(q, { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  for (const [q, key, args] of bindings) v.bindQueue(q, 'x', key, args ?? {}, null);
  return {
    v,
    route: (key: string, headers: Record<string, unknown> | null = null) =>
      v
        .route(v.getExchange('x'), msg(key, headers))
        .map((q) => q.name)
        .sort(),
  };
}

test('direct: exact key, several queues per key, misses', () => {
  const { route } = setup('direct', [
    ['a', 'k1'],
    ['b', 'k1'],
    ['c', 'k2'],
  ]);
  assert.deepEqual(route('k1'), ['a', 'b']);
  assert.deepEqual(route('k2'), ['c']);
  assert.deepEqual(route('k3'), []);
  assert.deepEqual(route(''), []);
});

test('fanout: every bound queue, whatever the key', () => {
  const { route } = setup('fanout', [
    ['a', ''],
    ['b', 'ignored'],
  ]);
  assert.deepEqual(route('anything'), ['a', 'b']);
});

test('topic: * and # as RabbitMQ matches them', () => {
  const { route } = setup('topic', [
    ['star', '*.orange.*'],
    ['lazy', 'lazy.#'],
    ['rabbit', '*.*.rabbit'],
    ['all', '#'],
    ['mid', 'a.#.b'],
    ['hh', '#.#'],
    ['empty', ''],
    ['exact', 'a.b'],
  ]);
  assert.deepEqual(route('quick.orange.rabbit'), ['all', 'hh', 'rabbit', 'star']);
  assert.deepEqual(route('lazy.orange.elephant'), ['all', 'hh', 'lazy', 'star']);
  assert.deepEqual(route('lazy'), ['all', 'hh', 'lazy']);
  assert.deepEqual(route('a.b'), ['all', 'exact', 'hh', 'mid']);
  assert.deepEqual(route('a.x.y.b'), ['all', 'hh', 'mid']);
  assert.deepEqual(route(''), ['all', 'empty', 'hh']);
  assert.deepEqual(route('quick.orange.male.rabbit'), ['all', 'hh']);
  assert.deepEqual(route('a..b'), ['all', 'hh', 'mid']);
});

test('topic: unbinding prunes and invalidates the cache', () => {
  const { v, route } = setup('topic', [
    ['q', 'a.*'],
    ['r', 'a.#'],
  ]);
  assert.deepEqual(route('a.b'), ['q', 'r']);
  v.unbindQueue('q', 'x', 'a.*', {}, null);
  assert.deepEqual(route('a.b'), ['r']);
  v.unbindQueue('r', 'x', 'a.#', {}, null);
  assert.deepEqual(route('a.b'), []);
});

test('headers: x-match all, any, all-with-x, any-with-x', () => {
  assert.equal(matches({ 'x-match': 'all', a: 1, b: 'x' }, { a: 1, b: 'x', c: 3 }), true);
  assert.equal(matches({ 'x-match': 'all', a: 1, b: 'x' }, { a: 1 }), false);
  assert.equal(matches({ 'x-match': 'any', a: 1, b: 'x' }, { a: 2, b: 'x' }), true);
  assert.equal(matches({ 'x-match': 'any', a: 1 }, {}), false);
  assert.equal(matches({ a: 1 }, { a: 1 }), true, 'all is the default');
  assert.equal(matches({ 'x-match': 'all', 'x-k': 1 }, {}), true, 'x- arguments are ignored by all');
  assert.equal(matches({ 'x-match': 'all-with-x', 'x-k': 1 }, {}), false);
  assert.equal(matches({ 'x-match': 'any-with-x', 'x-k': 1 }, { 'x-k': 1 }), true);
  assert.equal(matches({ 'x-match': 'all', a: null }, { a: 'anything' }), true, 'void matches presence');
  const { route } = setup('headers', [
    ['q', '', { 'x-match': 'any', format: 'pdf', type: 'report' }],
    ['r', '', { 'x-match': 'all', format: 'pdf', type: 'log' }],
  ]);
  assert.deepEqual(route('', { format: 'pdf', type: 'log' }), ['q', 'r']);
  assert.deepEqual(route('', { type: 'report' }), ['q']);
  assert.deepEqual(route('', null), []);
});

test('exchange-to-exchange bindings, cycles, and alternate exchanges', () => {
  const v = new VHost('/');
  const d = { durable: false, autoDelete: false, internal: false };
  v.declareExchange('src', { type: 'direct', ...d, args: { 'alternate-exchange': 'ae' } });
  v.declareExchange('mid', { type: 'fanout', ...d, args: {} });
  v.declareExchange('ae', { type: 'fanout', ...d, args: {} });
  for (const q of ['q1', 'q2', 'unrouted']) {
    v.declareQueue(q, { durable: false, exclusive: false, autoDelete: false, args: {} }, null);
  }
  v.bindExchange('mid', 'src', 'k', {});
  v.bindExchange('src', 'mid', '', {}); // a cycle: must not loop
  v.bindQueue('q1', 'mid', '', {}, null);
  v.bindQueue('q2', 'src', 'k', {}, null);
  v.bindQueue('unrouted', 'ae', '', {}, null);
  const names = (key: string) =>
    v
      .route(v.getExchange('src'), msg(key))
      .map((q) => q.name)
      .sort();
  assert.deepEqual(names('k'), ['q1', 'q2']);
  assert.deepEqual(names('other'), ['unrouted']);
});

test('default exchange routes by queue name and refuses binds', () => {
  const v = new VHost('/');
  v.declareQueue('tasks', { durable: true, exclusive: false, autoDelete: false, args: {} }, null);
  assert.deepEqual(
    v.route(v.getExchange(''), msg('tasks')).map((q) => q.name),
    ['tasks'],
  );
  assert.throws(() => v.bindQueue('tasks', '', 'k', {}, null), /operation not permitted on the default exchange/);
});

test('routing marks: a queue last reached before the generation counter wraps is still routed to after it', () => {
  const { v, route } = setup('direct', [
    ['a', 'k'],
    ['b', 'other'],
  ]);
  assert.deepEqual(route('k'), ['a']); // generation 1 marks a
  // the next route wraps the counter back to generation 1: a's old mark must not count as "already taken"
  (v as unknown as { routeGen: number }).routeGen = 0x3fffffff;
  assert.deepEqual(route('k'), ['a']);
  assert.deepEqual(route('k'), ['a']);
  assert.deepEqual(route('other'), ['b']);
});

test('topic: a queue bound by several matching patterns gets one copy, cached or not', () => {
  const { route } = setup('topic', [
    ['a', 'x.#'],
    ['a', '#.z'],
    ['a', 'x.*.z'],
    ['a', '#'],
    ['b', 'x.y.#'],
    ['b', '#.#'],
  ]);
  for (let i = 0; i < 2; i++) assert.deepEqual(route('x.y.z'), ['a', 'b']);
  for (let i = 0; i < 2; i++) assert.deepEqual(route('x'), ['a', 'b']);
  assert.deepEqual(route('q'), ['a', 'b']);
});
