// How x-arguments, policies and operator policies combine per key (rabbit_queue_type_util:args_policy_lookup).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePolicy } from '../../../../src/core/policy.js';
import { policyValue, resolveQueueSettings } from '../../../../src/core/queue/settings.js';

const pol = (definition: Record<string, unknown>) => makePolicy({ name: 'p', pattern: '.*', definition });

test('numeric limits: the smaller of argument and policy wins', () => {
  const s = resolveQueueSettings(
    'classic',
    { 'x-message-ttl': 5000, 'x-max-length': 10, 'x-expires': 100000 },
    pol({ 'message-ttl': 1000, 'max-length': 50, expires: 2000000 }),
    null,
  );
  assert.equal(s.messageTtl, 1000);
  assert.equal(s.maxLength, 10);
  assert.equal(s.expires, 100000);
});

test('dead-letter-exchange, routing key and overflow: the argument wins over the policy', () => {
  const s = resolveQueueSettings(
    'classic',
    { 'x-dead-letter-exchange': 'arg-dlx', 'x-overflow': 'reject-publish' },
    pol({ 'dead-letter-exchange': 'pol-dlx', 'dead-letter-routing-key': 'pol-rk', overflow: 'drop-head' }),
    null,
  );
  assert.equal(s.deadLetterExchange, 'arg-dlx');
  assert.equal(s.deadLetterRoutingKey, 'pol-rk');
  assert.equal(s.overflow, 'reject-publish');
});

test('operator policies: only their keys, merged with the user policy by the smaller value', () => {
  const op = makePolicy({
    name: 'op',
    pattern: '.*',
    definition: { 'max-length': 100, 'dead-letter-exchange': 'ignored', 'message-ttl': 9000 },
  });
  assert.equal(policyValue('max-length', pol({ 'max-length': 500 }), op), 100);
  assert.equal(policyValue('max-length', pol({ 'max-length': 5 }), op), 5);
  assert.equal(policyValue('max-length', null, op), 100);
  assert.equal(policyValue('dead-letter-exchange', null, op), undefined);
  const s = resolveQueueSettings('quorum', { 'x-delivery-limit': 20 }, null, op);
  assert.equal(s.messageTtl, 9000);
  assert.equal(s.deliveryLimit, 20);
});

test('priorities come from the argument only, capped at 255; quorum queues have none', () => {
  assert.equal(resolveQueueSettings('classic', { 'x-max-priority': 10 }, null, null).maxPriority, 10);
  assert.equal(resolveQueueSettings('quorum', { 'x-max-priority': 10 }, null, null).maxPriority, 0);
  assert.equal(resolveQueueSettings('classic', {}, pol({ 'max-priority': 5 }), null).maxPriority, 0);
});

test('x-requeue-delay: a number or {base, factor, max}', () => {
  assert.deepEqual(resolveQueueSettings('classic', { 'x-requeue-delay': 250 }, null, null).requeueDelay, {
    base: 250,
    factor: 1,
    max: 250,
  });
  assert.deepEqual(
    resolveQueueSettings('classic', {}, pol({ 'requeue-delay': { base: 100, factor: 3, max: 5000 } }), null)
      .requeueDelay,
    { base: 100, factor: 3, max: 5000 },
  );
});

test('policy definitions are validated with RabbitMQ texts (rabbit_policies, 3.10)', async () => {
  const { VHost } = await import('../../../../src/core/vhost.js');
  const v = new VHost('/');
  const reason = (definition: Record<string, unknown>, operator = false): string => {
    try {
      v.setPolicy({ name: 'p', pattern: '.*', definition }, operator);
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(reason({ 'message-ttl': -1 }), 'Validation failed\n\n-1 is not a valid message TTL\n');
  assert.equal(reason({ 'message-ttl': 'x' }), 'Validation failed\n\n<<"x">> is not a valid message TTL\n');
  assert.equal(reason({ expires: 0 }), 'Validation failed\n\n0 is not a valid queue expiry\n');
  assert.equal(reason({ overflow: 'nope' }), 'Validation failed\n\n<<"nope">> is not a valid overflow value\n');
  assert.equal(
    reason({ 'dead-letter-exchange': 1 }),
    'Validation failed\n\n1 is not a valid dead letter exchange name\n',
  );
  assert.equal(reason({ foo: 1 }), 'Validation failed\n\n[{<<"foo">>,1}] are not recognised policy settings\n');
  assert.equal(
    reason({ 'dead-letter-exchange': 'x' }, true),
    'Validation failed\n\n[{<<"dead-letter-exchange">>,<<"x">>}] are not recognised policy settings\n',
  );
  assert.equal(reason({ 'max-length': 10, 'ha-mode': 'all', 'requeue-delay': { base: 10 } }), 'ok');
});
