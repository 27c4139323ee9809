// rabbitmq_global_*: RabbitMQ's rabbit_global_counters (and rabbit_stream_metrics' stream_error_* counters) as
// rabbitmq_prometheus renders them, with their labels: {protocol} for the publish side and the gauges,
// {protocol,queue_type} for deliveries and acks, {protocol="stream"} for the Stream errors. Names, help texts,
// TYPE-then-HELP and label order as RabbitMQ 3.10 serves them (checked on the anchor), and the dead-letter
// counters with {queue_type,dead_letter_strategy}, in the anchor's label sets (a strategy a queue type can
// not have is not listed: classic queues' delivery limit, Warren's extension, is counted but not rendered).
// Warren dead-letters at most once: at_least_once series are 0.
//
// Protocols: MQTT and STOMP count under protocol="amqp091", as in RabbitMQ 3.10, whose MQTT and STOMP plugins
// publish and consume through AMQP 0-9-1 channels (their messages bump the same counters as an AMQP client's).
// Only the Stream protocol has its own series.
//
// Sources, summed at scrape time (nothing per message beyond what the core already counts):
//  - amqp091 deliveries/acks by queue type: the queues' own MessageStats (live queues by their type, deleted
//    ones kept by their vhost, VHost.retired, and a deleted vhost's by the node, GlobalCounters.deletedVHosts).
//    Stream protocol subscriptions do not touch those.
//  - amqp091 received: the vhosts' channel-side publish counts; routed: the queues' publish counts minus what
//    the Stream protocol appended (each of its messages lands in the one stream, and RabbitMQ does not count
//    Stream publishes as routed) and the copies dead-lettering put in queues; returns, drops, confirms and received_confirm: broker.stats.
//  - dead-lettered: the queues' deadLettered counts (and their vhost's for deleted ones) by queue type.
//  - stream: broker.global.stream (core/global-counters.ts), bumped by the Stream front end.
import type { Broker } from '../core/broker.js';
import type { QueueType } from '../core/queue/settings.js';
import { addMessageStats, DEAD_LETTER_COPIES, DEATH_INDEX, newMessageStats, type MessageStats } from '../core/stats.js';
import type { DeathReason } from '../core/message.js';

const QUEUE_TYPES: [QueueType, string][] = [
  ['classic', 'rabbit_classic_queue'],
  ['quorum', 'rabbit_quorum_queue'],
  ['stream', 'rabbit_stream_queue'],
];

/** rabbit_stream_metrics' error counters: response code, name, help text (RabbitMQ's wording, not uniform). */
const STREAM_ERRORS: [number, string, string][] = [
  [0x02, 'stream_does_not_exist', 'Total number of commands rejected with stream does not exist error'],
  [0x03, 'subscription_id_already_exists', 'Total number of commands failed with subscription id already exists'],
  [0x04, 'subscription_id_does_not_exist', 'Total number of commands failed with subscription id does not exist'],
  [0x05, 'stream_already_exists', 'Total number of commands failed with stream already exists'],
  [0x06, 'stream_not_available', 'Total number of commands failed with stream not available'],
  [0x07, 'sasl_mechanism_not_supported', 'Total number of commands failed with sasl mechanism not supported'],
  [0x08, 'authentication_failure', 'Total number of commands failed with authentication failure'],
  [0x09, 'sasl_error', 'Total number of commands failed with sasl error'],
  [0x0a, 'sasl_challenge', 'Total number of commands failed with sasl challenge'],
  [
    0x0b,
    'sasl_authentication_failure_loopback',
    'Total number of commands failed with sasl authentication failure loopback',
  ],
  [0x0c, 'vhost_access_failure', 'Total number of commands failed with vhost access failure'],
  [0x0d, 'unknown_frame', 'Total number of commands failed with unknown frame'],
  [0x0e, 'frame_too_large', 'Total number of commands failed with frame too large'],
  [0x0f, 'internal_error', 'Total number of commands failed with internal error'],
  [0x10, 'access_refused', 'Total number of commands failed with access refused'],
  [0x11, 'precondition_failed', 'Total number of commands failed with precondition failed'],
  [0x12, 'publisher_does_not_exist', 'Total number of commands failed with publisher does not exist'],
];

const P_AMQP = 'protocol="amqp091"';
const P_STREAM = 'protocol="stream"';

/** Per protocol: [amqp091, stream]. */
type PerProtocol = [number, number];

const PROTOCOL_METRICS: [string, string, string, (a: Sums) => PerProtocol][] = [
  [
    'messages_received_total',
    'counter',
    'Total number of messages received from publishers',
    (a) => [a.received, a.g.received],
  ],
  [
    'messages_received_confirm_total',
    'counter',
    'Total number of messages received from publishers expecting confirmations',
    (a) => [a.b.stats.receivedConfirm, a.g.received],
  ],
  [
    'messages_routed_total',
    'counter',
    'Total number of messages routed to queues or streams',
    (a) => [Math.max(0, a.routed - a.g.received - a.dlCopies), 0],
  ],
  [
    'messages_unroutable_dropped_total',
    'counter',
    'Total number of messages published as non-mandatory into an exchange and dropped as unroutable',
    (a) => [a.b.stats.dropUnroutable, 0],
  ],
  [
    'messages_unroutable_returned_total',
    'counter',
    'Total number of messages published as mandatory into an exchange and returned to the publisher as unroutable',
    (a) => [a.b.stats.returnUnroutable, 0],
  ],
  [
    'messages_confirmed_total',
    'counter',
    'Total number of messages confirmed to publishers',
    (a) => [a.b.stats.confirm, a.g.confirmed],
  ],
  ['consumers', 'gauge', 'Current number of consumers', (a) => [a.consumers, a.streamConsumers]],
  ['publishers', 'gauge', 'Current number of publishers', (a) => [a.publishers, a.streamPublishers]],
];

/** By protocol and queue type: the amqp091 value from a queue type's stats, the stream value (its one type). */
const DELIVERY_METRICS: [string, string, (s: MessageStats) => number, (a: Sums) => number][] = [
  [
    'messages_delivered_total',
    'Total number of messages delivered to consumers',
    (s) => s.deliver + s.deliverNoAck + s.get + s.getNoAck,
    (a) => a.g.delivered,
  ],
  [
    'messages_delivered_consume_manual_ack_total',
    'Total number of messages delivered to consumers using basic.consume with manual acknowledgment',
    (s) => s.deliver,
    () => 0,
  ],
  [
    'messages_delivered_consume_auto_ack_total',
    'Total number of messages delivered to consumers using basic.consume with automatic acknowledgment',
    (s) => s.deliverNoAck,
    () => 0,
  ],
  [
    'messages_delivered_get_manual_ack_total',
    'Total number of messages delivered to consumers using basic.get with manual acknowledgment',
    (s) => s.get,
    () => 0,
  ],
  [
    'messages_delivered_get_auto_ack_total',
    'Total number of messages delivered to consumers using basic.get with automatic acknowledgment',
    (s) => s.getNoAck,
    () => 0,
  ],
  [
    'messages_get_empty_total',
    'Total number of times basic.get operations fetched no message',
    (s) => s.getEmpty,
    () => 0,
  ],
  ['messages_redelivered_total', 'Total number of messages redelivered to consumers', (s) => s.redeliver, () => 0],
  ['messages_acknowledged_total', 'Total number of messages acknowledged by consumers', (s) => s.ack, () => 0],
];

type Strategy = 'at_least_once' | 'at_most_once' | 'disabled';
const CLASSIC_DL: [QueueType, Strategy][] = [
  ['classic', 'at_most_once'],
  ['classic', 'disabled'],
];
const QUORUM_DL: [QueueType, Strategy][] = [
  ['quorum', 'at_least_once'],
  ['quorum', 'at_most_once'],
  ['quorum', 'disabled'],
];

/** rabbit_global_counters' messages_dead_lettered_*: reason, help, the label sets the anchor lists. */
const DEAD_LETTER_METRICS: [DeathReason | 'confirmed', string, [QueueType, Strategy][]][] = [
  [
    'rejected',
    'Total number of messages dead-lettered due to basic.reject or basic.nack',
    [...CLASSIC_DL, ...QUORUM_DL],
  ],
  [
    'maxlen',
    'Total number of messages dead-lettered due to overflow drop-head or reject-publish-dlx',
    [...CLASSIC_DL, ['quorum', 'at_most_once'], ['quorum', 'disabled']],
  ],
  ['expired', 'Total number of messages dead-lettered due to message TTL exceeded', [...CLASSIC_DL, ...QUORUM_DL]],
  ['delivery_limit', 'Total number of messages dead-lettered due to delivery-limit exceeded', QUORUM_DL],
  ['confirmed', 'Total number of messages dead-lettered and confirmed by target queues', [['quorum', 'at_least_once']]],
];

interface Sums {
  b: Broker;
  g: Broker['global']['stream'];
  byType: Record<QueueType, MessageStats>;
  deadLettered: Record<QueueType, number[]>;
  dlCopies: number;
  received: number;
  routed: number;
  consumers: number;
  publishers: number;
  streamConsumers: number;
  streamPublishers: number;
}

function sums(b: Broker): Sums {
  const byType: Record<QueueType, MessageStats> = {
    classic: newMessageStats(),
    quorum: newMessageStats(),
    stream: newMessageStats(),
  };
  const deadLettered: Record<QueueType, number[]> = { classic: [], quorum: [], stream: [] };
  const addDl = (into: number[], from: number[]) => {
    for (let i = 0; i < from.length; i++) into[i] = (into[i] ?? 0) + from[i]!;
  };
  // deleted vhosts' counters first: the node's counters never go down (core/global-counters.ts)
  const gone = b.global.deletedVHosts;
  let received = gone.publish;
  for (const [t] of QUEUE_TYPES) {
    addMessageStats(byType[t], gone.queues.byType[t].stats);
    addDl(deadLettered[t], gone.queues.byType[t].deadLettered);
  }
  let consumers = 0;
  for (const v of b.vhosts.values()) {
    received += v.stats.publish;
    for (const [t] of QUEUE_TYPES) {
      addMessageStats(byType[t], v.retired.byType[t].stats);
      addDl(deadLettered[t], v.retired.byType[t].deadLettered);
    }
    for (const q of v.queues.values()) {
      addMessageStats(byType[q.type], q.stats);
      addDl(deadLettered[q.type], q.deadLettered);
      consumers += q.consumerCount;
    }
  }
  let publishers = 0;
  let streamConsumers = 0;
  let streamPublishers = 0;
  for (const c of b.connections.values()) {
    if (c.protocol === 'stream') {
      const s = c as unknown as { publishers?: Map<unknown, unknown>; subscriptions?: Map<unknown, unknown> };
      streamPublishers += s.publishers?.size ?? 0;
      streamConsumers += s.subscriptions?.size ?? 0;
      continue;
    }
    // a channel that has published is a publisher (RabbitMQ counts a channel once it publishes)
    for (const ch of c.channelInfos?.() ?? []) if (ch.stats.publish > 0) publishers++;
  }
  let routed = 0;
  let dlCopies = 0;
  for (const [t] of QUEUE_TYPES) {
    routed += byType[t].publish;
    dlCopies += deadLettered[t][DEAD_LETTER_COPIES] ?? 0;
  }
  const g = b.global.stream;
  return {
    b,
    g,
    byType,
    deadLettered,
    dlCopies,
    received,
    routed,
    consumers,
    publishers,
    streamConsumers,
    streamPublishers,
  };
}

/** The rabbitmq_global_* families, as text. */
export function renderGlobal(b: Broker): string {
  const a = sums(b);
  const parts: string[] = [];
  const head = (name: string, type: string, help: string) =>
    parts.push(`# TYPE ${name} ${type}\n# HELP ${name} ${help}\n`);
  for (const [n, type, help, fn] of PROTOCOL_METRICS) {
    const name = `rabbitmq_global_${n}`;
    const [amqp, stream] = fn(a);
    head(name, type, help);
    parts.push(`${name}{${P_AMQP}} ${amqp}\n${name}{${P_STREAM}} ${stream}\n`);
  }
  for (const [n, help, fn, streamFn] of DELIVERY_METRICS) {
    const name = `rabbitmq_global_${n}`;
    head(name, 'counter', help);
    for (const [t, label] of QUEUE_TYPES) parts.push(`${name}{${P_AMQP},queue_type="${label}"} ${fn(a.byType[t])}\n`);
    parts.push(`${name}{${P_STREAM},queue_type="rabbit_stream_queue"} ${streamFn(a)}\n`);
  }
  for (const [reason, help, series] of DEAD_LETTER_METRICS) {
    const name = `rabbitmq_global_messages_dead_lettered_${reason}_total`;
    head(name, 'counter', help);
    for (const [t, strategy] of series) {
      const dl = a.deadLettered[t];
      const v =
        reason === 'confirmed' || strategy === 'at_least_once'
          ? 0
          : (dl[DEATH_INDEX[reason] + (strategy === 'at_most_once' ? 1 : 0)] ?? 0);
      const label = QUEUE_TYPES.find((x) => x[0] === t)![1];
      parts.push(`${name}{queue_type="${label}",dead_letter_strategy="${strategy}"} ${v}\n`);
    }
  }
  for (const [code, n, help] of STREAM_ERRORS) {
    const name = `rabbitmq_global_stream_error_${n}_total`;
    head(name, 'counter', help);
    parts.push(`${name}{${P_STREAM}} ${a.g.errors[code]}\n`);
  }
  return parts.join('');
}
