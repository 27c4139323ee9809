// MQTT 5 subscription options: their binding arguments (RabbitMQ 4.1's binding args v2), the delivery
// match (identifiers, Retain As Published), No Local, and the topic-exchange key matcher behind them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding } from '../../../../src/core/exchange/exchange.js';
import {
  bindingArgs,
  onlyNoLocal,
  optionsFromBinding,
  Subscription,
  Subscriptions,
  type SubscriptionOptions,
} from '../../../../src/frontend/mqtt/subscriptions.js';
import { bindingKeyMatches, bindingKeyToFilter } from '../../../../src/frontend/mqtt/topics.js';
import { encodeMqttProps, propsDup, propsQos, propsRetain } from '../../../../src/frontend/mqtt/format.js';

const opts = (o: Partial<SubscriptionOptions> = {}): SubscriptionOptions => ({
  qos: 1,
  noLocal: false,
  retainAsPublished: false,
  retainHandling: 0,
  id: 0,
  ...o,
});
const sub = (filter: string, key: string, o: Partial<SubscriptionOptions> = {}) =>
  new Subscription(filter, key, opts(o), bindingArgs(true, key, opts(o)));
const binding = (key: string, args: Record<string, unknown>, source = 'amq.topic') =>
  ({ source: { name: source }, routingKey: key, args }) as unknown as Binding;
const words = (k: string) => (k === '' ? [] : k.split('.'));

test('binding keys match routing keys as the topic exchange does', () => {
  const m = (k: string, rk: string) => bindingKeyMatches(words(k), words(rk));
  assert.ok(m('a.b', 'a.b'));
  assert.ok(!m('a.b', 'a.c'));
  assert.ok(m('a.*', 'a.b'));
  assert.ok(!m('a.*', 'a.b.c'));
  assert.ok(m('a.#', 'a'));
  assert.ok(m('a.#', 'a.b.c'));
  assert.ok(m('#', ''));
  assert.ok(m('a.#.z', 'a.z'));
  assert.ok(m('a.#.z', 'a.b.c.z'));
  assert.ok(!m('a.#.z', 'a.b.c'));
  assert.ok(m('*.#', 'a'));
  assert.ok(!m('*', ''));
  assert.equal(bindingKeyToFilter('a.*.#'), 'a/+/#');
});

test('MQTT 5 binding arguments hold the options (as rabbit_mqtt_processor binding args v2); 3.1.1 none', () => {
  assert.deepEqual(bindingArgs(false, 'a.b', opts({ id: 4 })), {});
  const args = bindingArgs(true, 'a.#', opts({ id: 4, noLocal: true, retainHandling: 1 }));
  assert.deepEqual(args, {
    'x-mqtt-subscription-opts': { id: 4, 'no-local': true, qos: 1, 'retain-as-published': false, 'retain-handling': 1 },
    'x-binding-key': 'a.#',
  });
  assert.deepEqual(Object.keys(bindingArgs(true, 'k', opts())['x-mqtt-subscription-opts'] as object), [
    'no-local',
    'qos',
    'retain-as-published',
    'retain-handling',
  ]);
  // and come back from them (a resumed session), defaults for a binding without them
  assert.deepEqual(optionsFromBinding(binding('a.#', args), 1), opts({ id: 4, noLocal: true, retainHandling: 1 }));
  assert.deepEqual(optionsFromBinding(binding('a.#', {}), 0), opts({ qos: 0 }));
  assert.deepEqual(
    optionsFromBinding(binding('a', { 'x-mqtt-subscription-opts': { id: -1, 'retain-handling': 9 } }), 1),
    opts(),
  );
});

test('a delivery matches the identifiers of its own queue subscriptions, No Local ones not for own messages', () => {
  const s = new Subscriptions();
  assert.equal(s.special, null);
  s.set(sub('t/plain', 't.plain'));
  // subscriptions without identifier or Retain As Published cost deliveries nothing
  assert.equal(s.special, null);
  s.set(sub('t/1', 't.1', { id: 1 }));
  s.set(sub('t/#', 't.#', { id: 3, noLocal: true }));
  s.set(sub('t/+', 't.*', { id: 5, qos: 0 }));
  s.set(sub('r/#', 'r.#', { retainAsPublished: true }));
  assert.equal(s.noLocal, 1);
  assert.deepEqual(s.matchDelivery(1, 't.1', false), { ids: [1, 3], retainAsPublished: false });
  assert.deepEqual(s.matchDelivery(1, 't.1', true), { ids: [1], retainAsPublished: false });
  assert.deepEqual(s.matchDelivery(0, 't.1', false), { ids: [5], retainAsPublished: false });
  assert.deepEqual(s.matchDelivery(1, 'r.x', false), { ids: [], retainAsPublished: true });
  assert.equal(s.matchDelivery(1, 'other', false), null);
  // a SUBSCRIBE to the same filter replaces; UNSUBSCRIBE removes
  s.set(sub('t/1', 't.1', { id: 2 }));
  assert.deepEqual(s.matchDelivery(1, 't.1', true), { ids: [2], retainAsPublished: false });
  s.delete('t/#');
  s.delete('t/1');
  s.delete('t/+');
  s.delete('r/#');
  assert.equal(s.noLocal, 0);
  assert.equal(s.special, null);
  assert.equal(s.size, 1);
});

test('No Local drops a queue only when every binding that routed the message is No Local', () => {
  const nl = bindingArgs(true, 'a.#', opts({ noLocal: true }));
  assert.ok(onlyNoLocal([binding('a.#', nl)], 'amq.topic', 'a.b'));
  assert.ok(!onlyNoLocal([binding('a.#', nl), binding('a.b', {})], 'amq.topic', 'a.b'));
  // a binding that did not route it does not count, nor one from another exchange
  assert.ok(onlyNoLocal([binding('a.#', nl), binding('x.y', {}), binding('a.b', {}, 'other')], 'amq.topic', 'a.b'));
  assert.ok(!onlyNoLocal([binding('x.#', nl)], 'amq.topic', 'a.b'));
});

test('the MQTT props byte keeps the publish RETAIN flag next to QoS and DUP', () => {
  const p = encodeMqttProps(1, true, null, true);
  assert.deepEqual([propsQos(p), propsDup(p), propsRetain(p)], [1, true, true]);
  const plain = encodeMqttProps(0, false, null);
  assert.deepEqual([propsQos(plain), propsDup(plain), propsRetain(plain)], [0, false, false]);
  assert.equal(propsRetain(encodeMqttProps(1, false, { contentType: 'x' }, true)), true);
});
