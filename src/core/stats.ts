// The message counters behind management's message_stats and Prometheus, in one shape wherever they are kept
// (a queue, a channel, a vhost's deleted queues): RabbitMQ's names (rabbit_mgmt_format), camelCase. Plain
// integers bumped in place (no allocation per message); the management timer samples them into rates
// (src/management/rates.ts maps them to the JSON keys, once).
import type { DeathReason } from './message.js';
import type { QueueType } from './queue/settings.js';

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

/**
 * Messages a queue dead-lettered (rabbit_global_counters' messages_dead_lettered_*), by reason and whether it
 * had a dead-letter exchange: index DEATH_INDEX[reason] + 1 with one (strategy at_most_once), + 0 without
 * (strategy disabled: the message is dropped). Warren has no at-least-once dead-lettering. Last, at
 * DEAD_LETTER_COPIES: the copies its dead-lettering put in queues (counted in those queues' publish, not
 * routed by any channel: Prometheus takes them out of amqp091's routed).
 */
export const DEATH_INDEX: Readonly<Record<DeathReason, number>> = {
  expired: 0,
  rejected: 2,
  maxlen: 4,
  delivery_limit: 6,
};

export const DEAD_LETTER_COPIES = 8;

export function newDeadLettered(): number[] {
  return [0, 0, 0, 0, 0, 0, 0, 0, 0];
}

/** A vhost's deleted queues' counters of one queue type (Prometheus' rabbitmq_global_* are by queue type). */
export interface RetiredOfType {
  readonly stats: MessageStats;
  readonly deadLettered: number[];
}

/** A vhost's deleted queues' counters: in total (management) and by queue type (Prometheus). */
export interface RetiredStats {
  readonly total: MessageStats;
  readonly byType: Record<QueueType, RetiredOfType>;
}

export function newRetiredStats(): RetiredStats {
  const r = () => ({ stats: newMessageStats(), deadLettered: newDeadLettered() });
  return { total: newMessageStats(), byType: { classic: r(), quorum: r(), stream: r() } };
}

/** Add `from`'s counters to `into` (a deleted vhost's, into the node's: core/global-counters.ts). */
export function addRetired(into: RetiredStats, from: RetiredStats): void {
  // (retireQueue adds each type's counters to the total too)
  for (const t of Object.keys(into.byType) as QueueType[]) retireQueue(into, { type: t, ...from.byType[t] });
}

/** A queue is deleted: its counters go into its vhost's retired ones. */
export function retireQueue(
  into: RetiredStats,
  q: { readonly type: QueueType; readonly stats: MessageStats; readonly deadLettered: number[] },
): void {
  addMessageStats(into.total, q.stats);
  const r = into.byType[q.type];
  addMessageStats(r.stats, q.stats);
  for (let i = 0; i < r.deadLettered.length; i++) r.deadLettered[i]! += q.deadLettered[i]!;
}
