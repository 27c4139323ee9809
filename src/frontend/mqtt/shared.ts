// MQTT 5 shared subscriptions (§4.8.2), `$share/{ShareName}/{filter}`, which RabbitMQ does not have: one
// queue per (vhost, share name, filter), `mqtt-shared-<share name>-<binding key>`, durable, bound from the
// MQTT exchange once per member session; the members' connections are its consumers, so the queue hands
// each message to one of them, round-robin. Each member's binding carries its client id, its QoS and the
// filter (arguments x-mqtt-shared-member, -qos, -filter): that is the membership, kept with the queue (so
// across restarts, like the QoS 1 queue's bindings) and read back when a persistent session resumes. The
// queue goes when its last member leaves (UNSUBSCRIBE, clean start, a clean session's end), or after a day
// without consumers (x-expires) once every member session has gone. As mosquitto, `$share/` is accepted
// on MQTT 3.1.1 too; retained messages are never sent to a shared subscription (§4.8.2).
import type { Binding } from '../../core/exchange/exchange.js';
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import { MAX_SESSION_EXPIRY } from './limits.js';
import { bindingArgs, optionsFromBinding, Subscription, type SubscriptionOptions } from './subscriptions.js';
import { filterToBindingKey, validTopicFilter } from './topics.js';

export const SHARED_PREFIX = 'mqtt-shared-';
const MEMBER_ARG = 'x-mqtt-shared-member';
const QOS_ARG = 'x-mqtt-shared-qos';
const FILTER_ARG = 'x-mqtt-shared-filter';

/** `$share/g/f` as its share name and filter; null when not shared; 'invalid' when malformed (§4.8.2). */
export function parseShared(filter: string): { group: string; filter: string } | null | 'invalid' {
  if (!filter.startsWith('$share/')) return null;
  const rest = filter.slice(7);
  const slash = rest.indexOf('/');
  if (slash <= 0) return 'invalid';
  const group = rest.slice(0, slash);
  const f = rest.slice(slash + 1);
  // [MQTT-4.8.2-1], [MQTT-4.8.2-2]: a share name of at least one character, without / + #
  if (group.includes('+') || group.includes('#') || !validTopicFilter(f)) return 'invalid';
  return { group, filter: f };
}

export function sharedQueueName(group: string, filter: string): string {
  return SHARED_PREFIX + group + '-' + filterToBindingKey(filter);
}

/** A member's binding arguments: its client id, QoS and full filter, and MQTT 5 options as other bindings. */
export function sharedBindingArgs(
  v5: boolean,
  key: string,
  opts: SubscriptionOptions,
  clientId: string,
  fullFilter: string,
): Record<string, unknown> {
  return { ...bindingArgs(v5, key, opts), [MEMBER_ARG]: clientId, [QOS_ARG]: opts.qos, [FILTER_ARG]: fullFilter };
}

/**
 * The shared queues of a vhost, found by one scan of its queues (those recovered at start included) and
 * kept up to date as they are declared, so a connect or disconnect does not look at every queue. Queues
 * deleted otherwise (x-expires, AMQP) drop out when next seen.
 */
const sharedQueues = new WeakMap<VHost, Set<Queue>>();

function sharedQueuesOf(v: VHost): Set<Queue> {
  let set = sharedQueues.get(v);
  if (set === undefined) {
    set = new Set();
    for (const q of v.queues.values()) if (q.name.startsWith(SHARED_PREFIX)) set.add(q);
    sharedQueues.set(v, set);
  }
  return set;
}

/** The shared queue, declared as a persistent session's QoS 1 queue, expiring a day after its last consumer. */
export function declareSharedQueue(v: VHost, name: string): Queue {
  const set = sharedQueuesOf(v);
  const existing = v.queues.get(name);
  if (existing !== undefined) return existing;
  const q = v.declareQueue(
    name,
    {
      durable: true,
      exclusive: false,
      autoDelete: false,
      args: { 'x-expires': MAX_SESSION_EXPIRY * 1000 },
      argTypes: { 'x-expires': 'long' },
    },
    null,
  );
  set.add(q);
  return q;
}

function memberOf(b: Binding, clientId: string, exchange: string): boolean {
  return b.source.name === exchange && b.args[MEMBER_ARG] === clientId;
}

/** The shared subscriptions `clientId` holds in `v`, from the member bindings (a resumed session). */
export function memberSubscriptions(v: VHost, clientId: string, exchange: string): [Queue, Subscription][] {
  const out: [Queue, Subscription][] = [];
  const set = sharedQueuesOf(v);
  for (const q of set) {
    if (v.queues.get(q.name) !== q) {
      set.delete(q);
      continue;
    }
    for (const b of q.bindings) {
      if (!memberOf(b, clientId, exchange)) continue;
      const qa = b.args[QOS_ARG];
      const qos = qa === 0 || qa === 1 || qa === 2 ? qa : 1;
      const filter = String(b.args[FILTER_ARG]);
      out.push([q, new Subscription(filter, b.routingKey, optionsFromBinding(b, qos), b.args, q.name)]);
    }
  }
  return out;
}

/** A member's binding goes; the queue too when it was the last member. */
export function leaveShared(v: VHost, q: Queue, sub: Subscription, exchange: string): void {
  if (v.queues.get(q.name) !== q) return;
  v.unbindQueue(q.name, exchange, sub.key, sub.args, null);
  for (const b of q.bindings) if (b.args[MEMBER_ARG] !== undefined) return;
  v.deleteQueue(q.name, false, false, null);
}

/** Every shared subscription of `clientId` goes (a clean start, the end of a session). */
export function leaveAllShared(v: VHost, clientId: string, exchange: string): void {
  for (const [q, sub] of memberSubscriptions(v, clientId, exchange)) leaveShared(v, q, sub, exchange);
}
