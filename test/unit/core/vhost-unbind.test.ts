// VHost.unbindQueue / unbindExchange: idempotent as RabbitMQ 3.x's rabbit_binding:remove (a missing queue,
// exchange or binding is not an error), the exclusive lock checked only for a binding that exists, the
// default exchange refused first; an auto-delete exchange still goes with its last binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VHost } from '../../../src/core/vhost.js';
import type { Owner } from '../../../src/core/queue/consumer.js';

const X = { durable: false, autoDelete: false, internal: false, args: {} };
const Q = { durable: false, exclusive: false, autoDelete: false, args: {} };

test('unbinding a missing queue, exchange or binding is not an error', () => {
  const v = new VHost('/');
  v.declareExchange('x', { type: 'direct', ...X });
  v.declareQueue('q', Q, null);
  v.bindQueue('q', 'x', 'k', {}, null);
  v.unbindQueue('gone', 'x', 'k', {}, null);
  v.unbindQueue('q', 'gone', 'k', {}, null);
  v.unbindQueue('q', 'x', 'other', {}, null);
  v.unbindQueue('q', 'x', 'k', { a: 1 }, null);
  v.unbindExchange('gone', 'x', 'k', {});
  v.unbindExchange('x', 'gone', 'k', {});
  assert.equal(v.getExchange('x').bindings.size, 1, 'the existing binding is untouched');
  v.unbindQueue('q', 'x', 'k', {}, null);
  assert.equal(v.getExchange('x').bindings.size, 0);
  assert.equal(v.getQueue('q').bindings.size, 0);
});

test('the default exchange is refused before anything is looked up', () => {
  const v = new VHost('/');
  assert.throws(() => v.unbindQueue('gone', '', 'k', {}, null), { kind: 'ACCESS_REFUSED' });
  assert.throws(() => v.unbindExchange('', 'gone', 'k', {}), { kind: 'ACCESS_REFUSED' });
  assert.throws(() => v.unbindExchange('gone', '', 'k', {}), { kind: 'ACCESS_REFUSED' });
});

test("another connection's exclusive queue: 405 only for a binding that exists", () => {
  const v = new VHost('/');
  const owner: Owner = { id: 1 };
  v.declareQueue('excl', { ...Q, exclusive: true }, owner);
  v.bindQueue('excl', 'amq.direct', 'k', {}, owner);
  v.unbindQueue('excl', 'amq.direct', 'not-bound', {}, null);
  assert.throws(() => v.unbindQueue('excl', 'amq.direct', 'k', {}, null), { kind: 'RESOURCE_LOCKED' });
  v.unbindQueue('excl', 'amq.direct', 'k', {}, owner);
  assert.equal(v.getQueue('excl').bindings.size, 0);
});

test('an auto-delete exchange goes with its last binding; unbinding again is fine', () => {
  const v = new VHost('/');
  v.declareExchange('ad', { type: 'topic', ...X, autoDelete: true });
  v.declareExchange('dest', { type: 'fanout', ...X });
  v.declareQueue('q', Q, null);
  v.bindQueue('q', 'ad', 'a.#', {}, null);
  v.bindExchange('dest', 'ad', 'b.#', {});
  v.unbindExchange('dest', 'ad', 'b.#', {});
  assert.ok(v.exchanges.has('ad'));
  v.unbindQueue('q', 'ad', 'a.#', {}, null);
  assert.ok(!v.exchanges.has('ad'), 'auto-deleted with its last binding');
  v.unbindQueue('q', 'ad', 'a.#', {}, null);
  assert.equal(v.getExchange('dest').incoming.size, 0);
});
