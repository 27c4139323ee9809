// SUBSCRIBE (§3.8): each topic filter becomes a binding from amq.topic to the subscription queue of its
// QoS (QoS 2 granted as 1 with --mqtt-qos2 downgrade), with the MQTT 5 options in the binding's arguments; shared subscriptions and
// refused permissions get a failure code in the SUBACK; retained messages follow the SUBACK.
import type mqttPacket from 'mqtt-packet';
import { BrokerError } from '../../../core/errors.js';
import type { Queue } from '../../../core/queue/queue.js';
import { sendRetained } from '../deliveries.js';
import { MAX_SUBSCRIPTION_ID } from '../limits.js';
import { ProtocolError, RC5 } from '../reason-codes.js';
import type { MqttSession } from '../session.js';
import { declareSharedQueue, parseShared, sharedBindingArgs, sharedQueueName } from '../shared.js';
import { bindingArgs, sameOptions, Subscription, type SubscriptionOptions } from '../subscriptions.js';
import { filterToBindingKey, subscriptionQueueName, validTopicFilter } from '../topics.js';

export function handleSubscribe(s: MqttSession, p: mqttPacket.ISubscribePacket): void {
  // §3.8.2.1.2: one Subscription Identifier at most, 1 to 268,435,455 (0 or two are protocol errors)
  const rawId = s.version === 5 ? p.properties?.subscriptionIdentifier : undefined;
  if (Array.isArray(rawId)) throw new ProtocolError(RC5.PROTOCOL_ERROR, 'more than one Subscription Identifier');
  if (rawId !== undefined && (rawId < 1 || rawId > MAX_SUBSCRIPTION_ID)) {
    throw new ProtocolError(RC5.PROTOCOL_ERROR, `Subscription Identifier ${rawId}`);
  }
  const id = rawId ?? 0;
  const granted: number[] = [];
  const retainedFor: Subscription[] = [];
  const v = s.v!;
  const exName = s.server.options.mqttExchange;
  const v5 = s.version === 5;
  for (const sp of p.subscriptions) {
    const filter = sp.topic;
    const shared = parseShared(filter);
    if (shared === 'invalid' || (shared === null && !validTopicFilter(filter))) {
      granted.push(v5 ? RC5.TOPIC_FILTER_INVALID : 0x80);
      continue;
    }
    // QoS 2 gets its own queue; with --mqtt-qos2 downgrade it is granted as QoS 1 (RabbitMQ), as the
    // SUBACK says
    const qos: 0 | 1 | 2 = sp.qos === 0 ? 0 : sp.qos === 2 && s.exactlyOnce ? 2 : 1;
    const opts: SubscriptionOptions = v5
      ? { qos, noLocal: sp.nl === true, retainAsPublished: sp.rap === true, retainHandling: sp.rh ?? 0, id }
      : { qos, noLocal: false, retainAsPublished: false, retainHandling: 0, id: 0 };
    if (shared !== null) {
      // [MQTT-3.8.3-4]: No Local on a shared subscription is a protocol error
      if (opts.noLocal) throw new ProtocolError(RC5.PROTOCOL_ERROR, `No Local on shared subscription '${filter}'`);
      granted.push(subscribeShared(s, filter, shared.group, shared.filter, opts));
      continue;
    }
    const key = filterToBindingKey(filter);
    const old = s.subs.get(filter);
    if (old !== undefined && sameOptions(old.opts, opts) && v.queues.has(subscriptionQueueName(s.clientId, qos))) {
      // the same subscription again: its binding stays; retained messages only with Retain Handling 0
      // (§3.8.3.1: 1 sends them only for a subscription that did not exist)
      granted.push(qos);
      if (opts.retainHandling === 0) retainedFor.push(old);
      continue;
    }
    let q: Queue;
    try {
      q = s.ensureQueue(qos);
      // binding: write on the queue, read on the exchange, topic read permission (as queue.bind)
      const access = s.access!;
      access.check('queue', q.name, 'write');
      access.check('exchange', exName, 'read');
      if (v.exchanges.get(exName)?.type === 'topic') access.checkTopic(exName, key, 'read', s.topicVars!);
      access.check('queue', q.name, 'read');
    } catch (e) {
      if (!(e instanceof BrokerError) || e.kind !== 'ACCESS_REFUSED') throw e;
      s.server.log.warn({ client: s.clientId, err: e.message }, 'MQTT subscription refused');
      granted.push(v5 ? RC5.NOT_AUTHORIZED : 0x80);
      continue;
    }
    const sub = new Subscription(filter, key, opts, bindingArgs(v5, key, opts));
    v.bindQueue(q.name, exName, key, sub.args, null);
    // §3.8.4 [MQTT-3.8.4-3]: it replaces the subscription with the same filter, whose binding (at the
    // other QoS, or with other options) goes
    if (old !== undefined) s.unbind(old, sub);
    s.subs.set(sub);
    s.ensureConsumer(qos);
    granted.push(qos);
    if (opts.retainHandling < 2) retainedFor.push(sub);
  }
  s.send({ cmd: 'suback', messageId: p.messageId!, granted });
  for (const r of retainedFor) sendRetained(s, r);
}

/**
 * A shared subscription (shared.ts): the group's queue, this session's member binding and its consumer;
 * no retained messages (§4.8.2). Returns the SUBACK code.
 */
function subscribeShared(
  s: MqttSession,
  full: string,
  group: string,
  filter: string,
  opts: SubscriptionOptions,
): number {
  const v = s.v!;
  const exName = s.server.options.mqttExchange;
  const name = sharedQueueName(group, filter);
  const key = filterToBindingKey(filter);
  let q: Queue;
  try {
    const access = s.access!;
    if (!v.queues.has(name)) access.check('queue', name, 'configure');
    access.check('queue', name, 'write');
    access.check('exchange', exName, 'read');
    if (v.exchanges.get(exName)?.type === 'topic') access.checkTopic(exName, key, 'read', s.topicVars!);
    access.check('queue', name, 'read');
    q = declareSharedQueue(v, name);
  } catch (e) {
    if (!(e instanceof BrokerError) || e.kind !== 'ACCESS_REFUSED') throw e;
    s.server.log.warn({ client: s.clientId, err: e.message }, 'MQTT shared subscription refused');
    return s.version === 5 ? RC5.NOT_AUTHORIZED : 0x80;
  }
  const sub = new Subscription(full, key, opts, sharedBindingArgs(s.version === 5, key, opts, s.clientId, full), name);
  const old = s.subs.get(full);
  v.bindQueue(name, exName, key, sub.args, null);
  if (old !== undefined) s.unbind(old, sub);
  s.subs.set(sub);
  s.ensureSharedConsumer(q, opts.qos);
  return opts.qos;
}
