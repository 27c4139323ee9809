// Core objects rendered as RabbitMQ's management API renders them (rabbit_mgmt_format): the same field
// names and shapes, so rabbitmqadmin, Terraform/Pulumi providers and monitoring scripts read them unchanged.
// Fields RabbitMQ derives from Erlang internals (garbage_collection, reductions) are left out.
import { effectiveDefinition } from '../core/queue/settings.js';
import type { Broker, ClientConnection, ChannelInfo } from '../core/broker.js';
import type { Binding } from '../core/exchange/exchange.js';
import type { Exchange } from '../core/exchange/exchange.js';
import { StreamQueue, type ExternalConsumer } from '../core/queue/stream/stream-queue.js';
import { streamQueueFields, unackedShown } from './stream-stats.js';
import type { Queue } from '../core/queue/queue.js';
import type { Consumer } from '../core/queue/queue.js';
import type { Policy } from '../core/policy.js';
import type { VHost } from '../core/vhost.js';
import type { User } from '../core/auth/users.js';
import {
  DELIVERY_KEYS,
  EXCHANGE_KEYS,
  KEYS,
  PUBLISH_KEYS,
  NODE_KEYS,
  channelCounters,
  exchangeCounters,
  queueCounters,
  vhostCounters,
  type OctetCounters,
  type Counters,
  type NodeCounters,
  type PublishCounters,
  type RateSampler,
} from './rates.js';
import type { UserLimits } from '../core/resource-limits.js';

export type Json = Record<string, unknown>;

const rate = (r: number): { rate: number } => ({ rate: r });

/** `key` and `key_details: {rate}` for each key, as RabbitMQ renders every counter it samples. */
function withDetails<K extends string>(
  keys: readonly K[],
  totals: Record<K, number>,
  rates: Record<K, number>,
  into: Json = {},
): Json {
  for (const k of keys) {
    into[k] = totals[k];
    into[`${k}_details`] = rate(rates[k]);
  }
  return into;
}

/** The channel-side part of message_stats (vhosts): publish, confirm, returns, drops. */
export function publishMessageStats(totals: PublishCounters, rates: PublishCounters): Json {
  return withDetails(PUBLISH_KEYS, totals, rates);
}

/** The overview's node-wide part: the publish side and the message store's disk_reads / disk_writes. */
export function nodeMessageStats(totals: NodeCounters, rates: NodeCounters): Json {
  return withDetails(NODE_KEYS, totals, rates);
}

/** The delivery side of message_stats (deliver, deliver_no_ack, get, get_no_ack, get_empty, …). */
export function messageStats(totals: Counters, rates: Counters): Json {
  return withDetails(KEYS, totals, rates);
}

const anyNonZero = (o: Record<string, number>): boolean => {
  for (const k in o) if (o[k] !== 0) return true;
  return false;
};

export function queueJson(q: Queue, v: VHost, node: string, rates: RateSampler): Json {
  const ready = q.messageCount;
  const unacked = unackedShown(q);
  const r = rates.queue(q);
  const pol = v.effectivePolicies({ name: q.name, kind: 'queue', queueType: q.type });
  const exclusiveConsumer = q.exclusiveConsumer;
  const j: Json = {
    arguments: q.args,
    auto_delete: q.autoDelete,
    consumer_capacity: q.consumerCount > 0 ? 1 : 0,
    consumer_utilisation: q.consumerCount > 0 ? 1 : 0,
    // a stream's Stream protocol subscriptions count among its consumers, as in RabbitMQ
    consumers: q.consumerCount + (q instanceof StreamQueue ? q.externalConsumers.length : 0),
    durable: q.durable,
    effective_policy_definition: effectiveDefinition(pol.policy, pol.operatorPolicy),
    exclusive: q.exclusiveOwner !== null,
    exclusive_consumer_tag: exclusiveConsumer ? exclusiveConsumer.tag : null,
    head_message_timestamp: null,
    messages: ready + unacked,
    messages_details: rate(r?.messagesRate ?? 0),
    message_bytes_ready: q.ready.bytes,
    messages_ready: ready,
    messages_ready_details: rate(r?.readyRate ?? 0),
    messages_unacknowledged: unacked,
    messages_unacknowledged_details: rate(r?.unackedRate ?? 0),
    name: q.name,
    node,
    operator_policy: pol.operatorPolicy?.name ?? null,
    policy: pol.policy?.name ?? null,
    single_active_consumer_tag: q.activeConsumer?.tag ?? null,
    state: 'running',
    type: q.type,
    vhost: q.vhost,
  };
  if (q instanceof StreamQueue) Object.assign(j, streamQueueFields(q, node));
  // RabbitMQ shows no message_stats on a queue nothing has happened to yet
  const c = queueCounters(q);
  if (anyNonZero(c)) j['message_stats'] = messageStats(c, r ? r.rates : zeroCounters());
  return j;
}

const zeroCounters = (): Counters => {
  const o = {} as Counters;
  for (const k of KEYS) o[k] = 0;
  return o;
};

export function exchangeJson(x: Exchange, rates: RateSampler): Json {
  const c = exchangeCounters(x);
  // publish_in: published into it; publish_out: the copies it routed (none on an exchange never used)
  const j: Json = {
    arguments: x.args,
    auto_delete: x.autoDelete,
    durable: x.durable,
    internal: x.internal,
    name: x.name,
    type: x.type,
    user_who_performed_action: 'rmq-internal',
    vhost: x.vhost,
  };
  if (anyNonZero(c)) j['message_stats'] = withDetails(EXCHANGE_KEYS, c, rates.exchangeRates(x));
  return j;
}

/** rabbit_mgmt_format:args_hash/1 — the "properties_key" that names a binding in URLs ("~" for none). */
export function propertiesKey(routingKey: string, args: Record<string, unknown>): string {
  const keys = Object.keys(args);
  if (keys.length === 0) return routingKey === '' ? '~' : routingKey.replace(/%/g, '%25').replace(/~/g, '%7E');
  // RabbitMQ hashes the arguments; Warren uses a stable digest of them
  const h = djb2(JSON.stringify(keys.sort().map((k) => [k, args[k]])));
  return `${routingKey === '' ? '' : routingKey.replace(/%/g, '%25').replace(/~/g, '%7E')}~${h}`;
}

function djb2(s: string): string {
  let h = 5381;
  for (let i = 0; i < s.length; i++) h = ((h * 33) ^ s.charCodeAt(i)) >>> 0;
  return Buffer.from(h.toString(16)).toString('base64url');
}

export function bindingJson(b: Binding): Json {
  return {
    source: b.source.name,
    vhost: b.source.vhost,
    destination: b.destination.name,
    destination_type: b.destination.kind,
    routing_key: b.routingKey,
    arguments: b.args,
    properties_key: propertiesKey(b.routingKey, b.args),
  };
}

/** The implicit binding of every queue to the default exchange, which RabbitMQ lists first. */
export function defaultBindingJson(q: Queue): Json {
  return {
    source: '',
    vhost: q.vhost,
    destination: q.name,
    destination_type: 'queue',
    routing_key: q.name,
    arguments: {},
    properties_key: propertiesKey(q.name, {}),
  };
}

export function connectionName(c: ClientConnection): string {
  // "127.0.0.1:50000 -> 127.0.0.1:5672", as RabbitMQ names connections
  return `${fmtHost(c.remoteAddress ?? '')}:${c.remotePort ?? 0} -> ${fmtHost(c.localAddress ?? '')}:${c.localPort ?? 0}`;
}

function fmtHost(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** `alarmed`: a resource alarm is in effect (a connection that has not published since is 'blocking'). */
export function connectionJson(c: ClientConnection, node: string, rates: RateSampler, alarmed = false): Json {
  const cp = c.clientProperties ?? {};
  const oct = rates.connectionRates(c);
  const j: Json = {
    auth_mechanism: (c as { authMechanism?: string }).authMechanism ?? 'PLAIN',
    channel_max: c.channelMax ?? 0,
    channels: c.channelInfos ? c.channelInfos().length : 0,
    client_properties: cp,
    connected_at: c.connectedAt ?? 0,
    frame_max: c.frameMax ?? 0,
    host: fmtHost(c.localAddress ?? ''),
    name: connectionName(c),
    node,
    peer_cert_issuer: null,
    peer_cert_subject: null,
    peer_cert_validity: null,
    peer_host: fmtHost(c.remoteAddress ?? ''),
    peer_port: c.remotePort ?? 0,
    port: c.localPort ?? 0,
    protocol: c.protocol,
    recv_cnt: c.stats?.recvCnt ?? 0,
    recv_oct: c.stats?.recvOct ?? 0,
    recv_oct_details: rate(oct.recv_oct),
    send_cnt: c.stats?.sendCnt ?? 0,
    send_oct: c.stats?.sendOct ?? 0,
    send_oct_details: rate(oct.send_oct),
    send_pend: 0,
    ssl: c.tls ?? false,
    ssl_cipher: null,
    ssl_hash: null,
    ssl_key_exchange: null,
    ssl_protocol: null,
    // rabbit_reader info state: blocked (published during an alarm), blocking (alarm, no publish yet)
    state: c.blocked ? 'blocked' : alarmed ? 'blocking' : 'running',
    timeout: c.heartbeat ?? 0,
    type: 'network',
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost,
  };
  if (typeof cp['connection_name'] === 'string') j['user_provided_name'] = cp['connection_name'];
  return j;
}

export function channelJson(c: ClientConnection, ch: ChannelInfo, node: string, rates: RateSampler): Json {
  const name = connectionName(c);
  const j: Json = {
    acks_uncommitted: 0,
    confirm: ch.confirm,
    connection_details: { name, peer_host: fmtHost(c.remoteAddress ?? ''), peer_port: c.remotePort ?? 0 },
    consumer_count: ch.consumerCount,
    global_prefetch_count: ch.globalPrefetchCount,
    messages_unacknowledged: ch.messagesUnacknowledged,
    messages_uncommitted: 0,
    messages_unconfirmed: 0,
    name: `${name} (${ch.number})`,
    node,
    number: ch.number,
    pending_raft_commands: 0,
    prefetch_count: ch.prefetchCount,
    state: 'running',
    transactional: ch.transactional,
    user: c.user,
    user_who_performed_action: c.user,
    vhost: c.vhost,
  };
  // As RabbitMQ: the publish side (publish, confirm, return/drop_unroutable) only on a channel that has
  // published, the delivery side only on one that consumed or fetched; no message_stats on an idle one.
  const t = channelCounters(ch.stats);
  const r = rates.channelRates(ch.stats);
  const ms: Json = {};
  if (t.publish !== 0) withDetails(PUBLISH_KEYS, t, r, ms);
  if (t.deliver_get + t.get_empty + t.ack + t.redeliver !== 0) {
    withDetails(DELIVERY_KEYS, t, r, ms);
  }
  if (Object.keys(ms).length !== 0) j['message_stats'] = ms;
  return j;
}

export function consumerJson(broker: Broker, q: Queue, c: Consumer, node: string): Json {
  const d = c.describe?.();
  const conn = d ? broker.connections.get(d.connectionId) : undefined;
  const name = conn ? connectionName(conn) : '';
  return {
    arguments: d?.args ?? {},
    ack_required: !c.noAck,
    // RabbitMQ registers a stream's 0-9-1 consumers as not active (rabbit_stream_queue:consume/3)
    active: !(q instanceof StreamQueue),
    activity_status: 'up',
    channel_details: {
      connection_name: name,
      name: `${name} (${d?.channel ?? 0})`,
      node,
      number: d?.channel ?? 0,
      peer_host: fmtHost(conn?.remoteAddress ?? ''),
      peer_port: conn?.remotePort ?? 0,
      user: conn?.user ?? '',
    },
    consumer_tag: c.tag,
    exclusive: c.exclusive,
    prefetch_count: d?.prefetchCount ?? 0,
    queue: { name: q.name, vhost: q.vhost },
  };
}

/**
 * A Stream protocol subscription among a stream's consumer_details, as RabbitMQ lists it
 * (rabbit_stream_metrics:consumer_created/9): tag "stream.subid-N", no ack required, prefetch 0, not
 * exclusive, its subscription properties as arguments; the channel is the stream connection (number 0).
 */
export function externalConsumerJson(broker: Broker, q: Queue, k: ExternalConsumer, node: string): Json {
  const conn = broker.connections.get(k.connectionId);
  const name = conn ? connectionName(conn) : '';
  return {
    arguments: k.properties,
    ack_required: false,
    active: k.active,
    activity_status: k.activityStatus,
    channel_details: {
      connection_name: name,
      name: `${name} (0)`,
      node,
      number: 0,
      peer_host: fmtHost(conn?.remoteAddress ?? ''),
      peer_port: conn?.remotePort ?? 0,
      user: conn?.user ?? '',
    },
    consumer_tag: k.tag,
    exclusive: false,
    prefetch_count: 0,
    queue: { name: q.name, vhost: q.vhost },
  };
}

/** A user's limits with the keys sorted, as RabbitMQ (an Erlang map) renders them. */
export function sortedLimits(l: UserLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(l).sort()) {
    const v = l[k as keyof UserLimits];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function userJson(u: User): Json {
  return {
    name: u.name,
    password_hash: u.passwordHash,
    hashing_algorithm: u.hashingAlgorithm,
    tags: u.tags,
    limits: sortedLimits(u.limits),
  };
}

export function vhostJson(broker: Broker, v: VHost, rates: RateSampler): Json {
  const s = broker.vhostSettings.get(v.name);
  let ready = 0;
  let unacked = 0;
  for (const q of v.queues.values()) {
    ready += q.messageCount;
    unacked += q.unackedCount;
  }
  // the delivery side from the vhost's queues (deleted ones included), the publish side from its own counters
  const qs = rates.vhostQueueStats(v);
  const oct: OctetCounters = { recv_oct: 0, send_oct: 0 };
  for (const c of broker.connections.values()) {
    if (c.vhost !== v.name || !c.stats) continue;
    oct.recv_oct += c.stats.recvOct;
    oct.send_oct += c.stats.sendOct;
  }
  const octRates = rates.vhostOctetRate(v.name);
  const depth = rates.vhostDepthRate(v);
  return {
    cluster_state: { [broker.nodeName]: 'running' },
    recv_oct: oct.recv_oct,
    recv_oct_details: rate(octRates.recv_oct),
    send_oct: oct.send_oct,
    send_oct_details: rate(octRates.send_oct),
    default_queue_type: s?.defaultQueueType ?? 'classic',
    description: s?.description ?? '',
    message_stats: {
      ...publishMessageStats(vhostCounters(v), rates.vhostRates(v)),
      ...withDetails(DELIVERY_KEYS, qs.last, qs.rates),
    },
    messages: ready + unacked,
    messages_details: rate(depth.messages),
    messages_ready: ready,
    messages_ready_details: rate(depth.ready),
    messages_unacknowledged: unacked,
    messages_unacknowledged_details: rate(depth.unacked),
    metadata: { description: s?.description ?? '', tags: s?.tags ?? [] },
    name: v.name,
    tags: s?.tags ?? [],
    tracing: false,
  };
}

export function policyJson(vhost: string, p: Policy): Json {
  return {
    vhost,
    name: p.name,
    pattern: p.pattern,
    'apply-to': p.applyTo,
    definition: p.definition,
    priority: p.priority,
  };
}
