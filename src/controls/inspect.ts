// broker.queue('q').messages(): a queue's ready messages in order without consuming them (the same walk as
// the management API's POST /api/queues/…/browse: delivery state, counters and TTL untouched), for tests.
import { BasicProperties, decodeProperties } from '../codec/amqp/properties.js';
import type { Broker } from '../core/broker.js';
import type { Queue } from '../core/queue/queue.js';
import { amqpFormat } from '../frontend/amqp/format.js';

/** One message as a test sees it (the shape of amqplib's message: content, properties, headers). */
export interface InspectedMessage {
  /** The body. */
  content: Buffer;
  /** Basic properties (camelCase, as amqplib's `msg.properties`); timestamp in seconds. */
  properties: BasicProperties;
  /** properties.headers, or {} */
  headers: Record<string, unknown>;
  /** Delivered before and returned (nack/reject with requeue, channel closed). */
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

/** A view of one queue at the moment each getter is read; all but `exists` throw when there is no such queue. */
export interface QueueInspection {
  readonly name: string;
  readonly vhost: string;
  /** Ready messages (what basic.get would see), not counting unacked ones. */
  readonly length: number;
  /** Delivered to consumers and not yet acked. */
  readonly unacked: number;
  /** Consumers on the queue. */
  readonly consumers: number;
  /** The queue exists (false once deleted, e.g. by x-expires, or never declared). Never throws. */
  readonly exists: boolean;
  /** The ready messages in order, head first (at most `limit`), without consuming them. */
  messages(limit?: number): InspectedMessage[];
}

export function inspectQueue(broker: Broker, name: string, vhost = '/'): QueueInspection {
  const find = (): Queue | undefined => broker.vhosts.get(vhost)?.queues.get(name);
  const get = (): Queue => {
    const q = find();
    if (q === undefined || q.deleted) throw new Error(`no queue '${name}' in vhost '${vhost}'`);
    return q;
  };
  // no check here: `broker.queue('q').exists` is false for a queue that is gone (x-expires, auto-delete) or
  // was never declared; the other getters throw "no queue" then
  return {
    name,
    vhost,
    get length() {
      return get().ready.length;
    },
    get unacked() {
      return get().unackedCount;
    },
    get consumers() {
      return get().consumers.length;
    },
    get exists() {
      const q = find();
      return q !== undefined && !q.deleted;
    },
    messages(limit = Infinity) {
      const q = get();
      const out: InspectedMessage[] = [];
      const end = Math.min(q.ready.length, limit);
      for (let i = 0; i < end; i++) {
        const e = q.ready.at(i);
        if (e === undefined) break;
        const m = e.msg;
        // an MQTT or STOMP message's properties as an AMQP consumer would get them
        const props = m.propsIn(amqpFormat);
        const properties = props.length >= 2 ? decodeProperties(props, 0, props.length) : new BasicProperties();
        out.push({
          content: Buffer.from(m.body),
          properties,
          headers: (properties.headers ?? {}) as Record<string, unknown>,
          redelivered: e.redelivered,
          exchange: m.exchange,
          routingKey: m.routingKey,
        });
      }
      return out;
    },
  };
}
