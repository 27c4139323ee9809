// Policy matching as RabbitMQ's rabbit_policy: pattern, apply-to, highest priority wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VHost } from '../../../src/core/vhost.js';
import { BrokerError } from '../../../src/core/errors.js';

test('the matching policy with the highest priority applies, by apply-to and queue type', () => {
  const v = new VHost('/');
  v.setPolicy({ name: 'low', pattern: '^orders', priority: 0, definition: { 'message-ttl': 1000 } });
  v.setPolicy({ name: 'high', pattern: '^orders\\.', priority: 5, applyTo: 'queues', definition: { 'max-length': 3 } });
  v.setPolicy({
    name: 'x',
    pattern: '.*',
    priority: 9,
    applyTo: 'exchanges',
    definition: { 'alternate-exchange': 'ae' },
  });
  v.setPolicy({
    name: 'q',
    pattern: '.*',
    priority: 10,
    applyTo: 'quorum_queues',
    definition: { 'delivery-limit': 2 },
  });
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'orders.eu' }).policy?.name, 'high');
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'orders' }).policy?.name, 'low');
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'orders.eu', queueType: 'quorum' }).policy?.name, 'q');
  assert.equal(v.effectivePolicies({ kind: 'exchange', name: 'orders.eu' }).policy?.name, 'x');
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'other' }).policy, null);
  assert.equal(v.clearPolicy('high'), true);
  assert.equal(v.clearPolicy('high'), false);
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'orders.eu' }).policy?.name, 'low');
});

test('operator policies are kept apart; observers hear of every change', () => {
  const v = new VHost('/');
  let calls = 0;
  v.policyObservers.push(() => calls++);
  v.setPolicy({ name: 'cap', pattern: '.*', definition: { 'max-length': 100 } }, true);
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'a' }).operatorPolicy?.name, 'cap');
  assert.equal(v.effectivePolicies({ kind: 'queue', name: 'a' }).policy, null);
  assert.equal(calls, 1);
});

test('bad apply-to, pattern or definition is refused', () => {
  const v = new VHost('/');
  assert.throws(() => v.setPolicy({ name: 'a', pattern: '(', definition: { x: 1 } }), BrokerError);
  assert.throws(() => v.setPolicy({ name: 'a', pattern: '.', applyTo: 'nope', definition: { x: 1 } }), BrokerError);
  assert.throws(() => v.setPolicy({ name: 'a', pattern: '.', definition: {} }), BrokerError);
});
