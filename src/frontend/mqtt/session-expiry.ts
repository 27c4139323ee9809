// MQTT 5 session expiry changed on a live session, as RabbitMQ 3.13's rabbit_mqtt_processor does it: a
// persistent session's subscription queues expire (x-expires) after the session expiry interval, so when
// the client resumes the session with another interval, or changes it in DISCONNECT (§3.14.2.2.2), the
// queues' x-expires becomes the new one (rabbit_amqqueue:update of the arguments, then policy_changed).
import type { Queue } from '../../core/queue/queue.js';
import type { VHost } from '../../core/vhost.js';
import { SUBSCRIPTION_TTL } from './limits.js';
import type { MqttSession } from './session.js';
import { subscriptionQueueName } from './topics.js';

/** A persistent session's QoS 1 and 2 queues take the session's current expiry as their x-expires. */
export function applySessionExpiry(s: MqttSession): void {
  const v = s.v;
  if (v === null || !s.persistent) return;
  const ttl = s.version === 5 ? s.sessionExpiry * 1000 : SUBSCRIPTION_TTL;
  for (const qos of [1, 2] as const) {
    const q = v.queues.get(subscriptionQueueName(s.clientId, qos));
    if (q !== undefined && q.args['x-expires'] !== ttl) setQueueExpires(v, q, ttl);
  }
}

function setQueueExpires(v: VHost, q: Queue, ttl: number): void {
  q.args = { ...q.args, 'x-expires': ttl };
  q.argTypes = { ...q.argTypes, 'x-expires': 'long' };
  q.applySettings(v.queueSettings(q.name, q.type, q.args));
  // the durable definition is written again (an add replaces the queue's entry)
  if (q.durable) v.listener?.changed(v, { op: 'add-queue', queue: q });
}
