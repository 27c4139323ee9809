// The message counters behind management's message_stats and Prometheus, in one shape wherever they are kept
// (a queue, a channel, a vhost's deleted queues): RabbitMQ's names (rabbit_mgmt_format), camelCase. Plain
// integers bumped in place (no allocation per message); the management timer samples them into rates
// (src/management/rates.ts maps them to the JSON keys, once).

/**
 * The delivery side and its publish count: consumer deliveries with and without ack, basic.get with and
 * without ack, basic.get on an empty queue, acks, deliveries of redelivered messages. (deliver_get is their
 * sum, computed when sampled.)
 */
export interface MessageStats {
  publish: number;
  deliver: number;
  deliverNoAck: number;
  get: number;
  getNoAck: number;
  getEmpty: number;
  ack: number;
  redeliver: number;
}

export function newMessageStats(): MessageStats {
  return { publish: 0, deliver: 0, deliverNoAck: 0, get: 0, getNoAck: 0, getEmpty: 0, ack: 0, redeliver: 0 };
}

/** Add `from` into `into` (a deleted queue's counters kept by its vhost). */
export function addMessageStats(into: MessageStats, from: MessageStats): void {
  into.publish += from.publish;
  into.deliver += from.deliver;
  into.deliverNoAck += from.deliverNoAck;
  into.get += from.get;
  into.getNoAck += from.getNoAck;
  into.getEmpty += from.getEmpty;
  into.ack += from.ack;
  into.redeliver += from.redeliver;
}

/** What a channel counts besides its deliveries: confirms sent, mandatory returns, unroutable drops. */
export interface PublishStats {
  confirm: number;
  returnUnroutable: number;
  dropUnroutable: number;
}

/** A channel's message_stats as RabbitMQ's management shows them per channel (the front end bumps them). */
export interface ChannelStats extends MessageStats, PublishStats {}

export function newChannelStats(): ChannelStats {
  // one literal (a spread of newMessageStats() built a second object and a map per channel.open)
  return {
    publish: 0,
    deliver: 0,
    deliverNoAck: 0,
    get: 0,
    getNoAck: 0,
    getEmpty: 0,
    ack: 0,
    redeliver: 0,
    confirm: 0,
    returnUnroutable: 0,
    dropUnroutable: 0,
  };
}
