// Message rates, sampled on a timer (RabbitMQ's collect_statistics_interval, 5 s), never per message: each
// tick reads the counters the core and front ends already keep (Queue.stats, Exchange.stats, VHost.stats,
// Broker.stats, each channel's stats, each connection's octet counts) and turns the difference since the
// last tick into per-second rates. A vhost's (and the node's) queue counters are its live queues' plus those
// of its deleted queues (VHost.retired), so they never go backwards. A short history of node rates
// feeds the UI's charts.
import type { Broker, ClientConnection } from '../core/broker.js';
import type { Exchange } from '../core/exchange/exchange.js';
import type { Queue } from '../core/queue/queue.js';
import type { ChannelStats, MessageStats } from '../core/stats.js';
import type { VHost } from '../core/vhost.js';

/**
 * A queue's message_stats keys (rabbit_mgmt_format): deliver (consumers, manual ack), deliver_no_ack,
 * get (basic.get, manual ack), get_no_ack, get_empty, ack, redeliver; deliver_get is the sum of the four
 * delivery kinds (get_empty is not one), as RabbitMQ sums it.
 */
export const KEYS = [
  'publish',
  'deliver',
  'deliver_no_ack',
  'get',
  'get_no_ack',
  'get_empty',
  'deliver_get',
  'ack',
  'redeliver',
] as const;
export type Counters = Record<(typeof KEYS)[number], number>;

/** The delivery side alone (a channel's, a vhost's and the node's publish is what channels published). */
export const DELIVERY_KEYS = KEYS.filter((k) => k !== 'publish');

/** The channel-side keys: what a channel, a vhost and the node count besides deliveries. */
export const PUBLISH_KEYS = ['publish', 'confirm', 'return_unroutable', 'drop_unroutable'] as const;
export type PublishCounters = Record<(typeof PUBLISH_KEYS)[number], number>;

/** The node's: the publish side and the message store's disk_reads / disk_writes (overview only). */
export const NODE_KEYS = [...PUBLISH_KEYS, 'disk_reads', 'disk_writes'] as const;
export type NodeCounters = Record<(typeof NODE_KEYS)[number], number>;

/** A channel's message_stats keys (both sets). */
export const CHANNEL_KEYS = [...new Set([...KEYS, ...PUBLISH_KEYS])] as (keyof ChannelCounters)[];
export type ChannelCounters = Counters & PublishCounters;

export const EXCHANGE_KEYS = ['publish_in', 'publish_out'] as const;
export type ExchangeCounters = Record<(typeof EXCHANGE_KEYS)[number], number>;

export const OCTET_KEYS = ['recv_oct', 'send_oct'] as const;
export type OctetCounters = Record<(typeof OCTET_KEYS)[number], number>;

export function queueCounters(q: Queue): Counters {
  return messageCounters(q.stats);
}

/** The one mapping of the core's MessageStats (core/stats.ts) to message_stats keys (queues and channels). */
function messageCounters(s: MessageStats): Counters {
  return {
    publish: s.publish,
    deliver: s.deliver,
    deliver_no_ack: s.deliverNoAck,
    get: s.get,
    get_no_ack: s.getNoAck,
    get_empty: s.getEmpty,
    deliver_get: s.deliver + s.deliverNoAck + s.get + s.getNoAck,
    ack: s.ack,
    redeliver: s.redeliver,
  };
}

/** A vhost's queue counters: its live queues' and its deleted queues'. */
export function vhostQueueCounters(v: VHost): Counters {
  const t = messageCounters(v.retired.total);
  for (const q of v.queues.values()) {
    const c = queueCounters(q);
    for (const k of KEYS) t[k] += c[k];
  }
  return t;
}

/** A channel's: its deliveries as a queue's, and its publish side. */
export function channelCounters(s: ChannelStats): ChannelCounters {
  return {
    ...messageCounters(s),
    confirm: s.confirm,
    return_unroutable: s.returnUnroutable,
    drop_unroutable: s.dropUnroutable,
  };
}

export function exchangeCounters(x: Exchange): ExchangeCounters {
  return { publish_in: x.stats.publishIn, publish_out: x.stats.publishOut };
}

export function vhostCounters(v: VHost): PublishCounters {
  const s = v.stats;
  return {
    publish: s.publish,
    confirm: s.confirm,
    return_unroutable: s.returnUnroutable,
    drop_unroutable: s.dropUnroutable,
  };
}

export function octetCounters(c: ClientConnection): OctetCounters {
  return { recv_oct: c.stats?.recvOct ?? 0, send_oct: c.stats?.sendOct ?? 0 };
}

export const zeroOf = <K extends string>(keys: readonly K[]): Record<K, number> => {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
};

const zero = (): Counters => zeroOf(KEYS);

/** The last sample of one object's counters and the rates since the sample before. */
export interface Tracked<T> {
  last: T;
  rates: T;
}

/**
 * Sample `now` for `key` in `map`: returns the increase since the last sample (all of `now` at first
 * sight, whose rates start at the next tick) and updates the object's rates.
 */
function sample<K extends string>(
  map: WeakMap<object, Tracked<Record<K, number>>>,
  key: object,
  now: Record<K, number>,
  keys: readonly K[],
  dt: number,
): Record<K, number> {
  const r = map.get(key);
  if (r === undefined) {
    map.set(key, { last: now, rates: zeroOf(keys) });
    return now;
  }
  const delta = {} as Record<K, number>;
  for (const k of keys) {
    const d = now[k] - r.last[k];
    delta[k] = d;
    r.rates[k] = round(d / dt);
  }
  r.last = now;
  return delta;
}

export interface QueueRates extends Tracked<Counters> {
  messagesRate: number;
  readyRate: number;
  unackedRate: number;
  lastMessages: number;
  lastReady: number;
  lastUnacked: number;
}

export interface NodeSample {
  /** ms since epoch */
  at: number;
  rates: Counters;
  messages: number;
  messagesReady: number;
  messagesUnacknowledged: number;
}

export class RateSampler {
  /** Node-wide publish / confirm / return_unroutable / drop_unroutable: their last rates. */
  nodeRates: NodeCounters = zeroOf(NODE_KEYS);
  private lastNode: NodeCounters = zeroOf(NODE_KEYS);

  /** Per object; a deleted object's entry goes with it. */
  private readonly perQueue = new WeakMap<Queue, QueueRates>();
  private readonly perChannel = new WeakMap<object, Tracked<ChannelCounters>>();
  private readonly perExchange = new WeakMap<object, Tracked<ExchangeCounters>>();
  private readonly perVhost = new WeakMap<object, Tracked<PublishCounters>>();
  private readonly perConnection = new WeakMap<object, Tracked<OctetCounters>>();
  /** Per vhost: the rates of its queue depths (messages, ready, unacked) and of its connections' octets. */
  private readonly vhostDepth = new WeakMap<VHost, { messages: number; ready: number; unacked: number }>();
  private vhostDepthRates = new WeakMap<VHost, { messages: number; ready: number; unacked: number }>();
  private vhostOctetRates = new Map<string, OctetCounters>();
  /** Per vhost: its queue counters (deleted queues included) at the last tick, and their rates. */
  private readonly perVhostQueues = new WeakMap<object, Tracked<Counters>>();
  /** Node-wide queue-counter totals at the last tick (monotonic while no vhost is deleted) and the rates. */
  totals: Counters = zero();
  rates: Counters = zero();
  readonly history: NodeSample[] = [];
  /** Rates of change of the node's queue totals (messages, ready, unacked) per second. */
  depthRates = { messages: 0, ready: 0, unacked: 0 };
  private lastTick = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly broker: Broker,
    readonly intervalMs = 5000,
    private readonly historySize = 120,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Take one sample now (the timer calls this; tests too). */
  tick(now = Date.now()): void {
    const dt = Math.max(1, now - this.lastTick) / 1000;
    this.lastTick = now;
    const totals = zero();
    let messages = 0;
    let ready = 0;
    let unacked = 0;
    for (const v of this.broker.vhosts.values()) {
      let vReady = 0;
      let vUnacked = 0;
      for (const q of v.queues.values()) {
        const c = queueCounters(q);
        const qReady = q.messageCount;
        const qUnacked = q.unackedCount;
        vReady += qReady;
        vUnacked += qUnacked;
        const r = this.perQueue.get(q);
        if (!r) {
          // first sight: rates start at the next tick
          this.perQueue.set(q, {
            last: c,
            rates: zero(),
            messagesRate: 0,
            readyRate: 0,
            unackedRate: 0,
            lastMessages: qReady + qUnacked,
            lastReady: qReady,
            lastUnacked: qUnacked,
          });
          continue;
        }
        for (const k of KEYS) r.rates[k] = round((c[k] - r.last[k]) / dt);
        r.last = c;
        r.messagesRate = round((qReady + qUnacked - r.lastMessages) / dt);
        r.readyRate = round((qReady - r.lastReady) / dt);
        r.unackedRate = round((qUnacked - r.lastUnacked) / dt);
        r.lastMessages = qReady + qUnacked;
        r.lastReady = qReady;
        r.lastUnacked = qUnacked;
      }
      const vMessages = vReady + vUnacked;
      ready += vReady;
      unacked += vUnacked;
      messages += vMessages;
      const vq = vhostQueueCounters(v);
      for (const k of KEYS) totals[k] += vq[k];
      sample(this.perVhostQueues, v, vq, KEYS, dt);
      const prevDepth = this.vhostDepth.get(v);
      this.vhostDepthRates.set(
        v,
        prevDepth
          ? {
              messages: round((vMessages - prevDepth.messages) / dt),
              ready: round((vReady - prevDepth.ready) / dt),
              unacked: round((vUnacked - prevDepth.unacked) / dt),
            }
          : { messages: 0, ready: 0, unacked: 0 },
      );
      this.vhostDepth.set(v, { messages: vMessages, ready: vReady, unacked: vUnacked });
      sample(this.perVhost, v, vhostCounters(v), PUBLISH_KEYS, dt);
      for (const x of v.exchanges.values()) sample(this.perExchange, x, exchangeCounters(x), EXCHANGE_KEYS, dt);
    }
    // connections (octets) and their channels (message_stats); vhost octet rates are their sums
    const vOct = new Map<string, OctetCounters>();
    for (const c of this.broker.connections.values()) {
      if (c.stats !== undefined) {
        sample(this.perConnection, c.stats, octetCounters(c), OCTET_KEYS, dt);
        const r = this.perConnection.get(c.stats)!.rates;
        const acc = vOct.get(c.vhost) ?? zeroOf(OCTET_KEYS);
        acc.recv_oct += r.recv_oct;
        acc.send_oct += r.send_oct;
        vOct.set(c.vhost, acc);
      }
      if (c.channelInfos === undefined) continue;
      for (const ch of c.channelInfos()) sample(this.perChannel, ch.stats, channelCounters(ch.stats), CHANNEL_KEYS, dt);
    }
    this.vhostOctetRates = vOct;
    const node = this.nodeTotals();
    const nodeRates = zeroOf(NODE_KEYS);
    for (const k of NODE_KEYS) nodeRates[k] = round(Math.max(0, node[k] - this.lastNode[k]) / dt);
    this.nodeRates = nodeRates;
    this.lastNode = node;
    const rates = zero();
    // a deleted vhost takes its figures with it: never a negative rate for that
    for (const k of KEYS) rates[k] = round(Math.max(0, totals[k] - this.totals[k]) / dt);
    this.totals = totals;
    // the node's publish rate is what channels published (one per message), not the queues' copies
    rates.publish = nodeRates.publish;
    this.rates = rates;
    const prev = this.history[this.history.length - 1];
    if (prev) {
      this.depthRates = {
        messages: round((messages - prev.messages) / dt),
        ready: round((ready - prev.messagesReady) / dt),
        unacked: round((unacked - prev.messagesUnacknowledged) / dt),
      };
    }
    this.history.push({ at: now, rates, messages, messagesReady: ready, messagesUnacknowledged: unacked });
    if (this.history.length > this.historySize) this.history.shift();
  }

  /**
   * Node-wide publish (what channels published, as RabbitMQ's overview counts it: the vhosts' sums),
   * confirm, return_unroutable and drop_unroutable totals, and the message store's disk_reads and
   * disk_writes (messages written to and read back from the log), current.
   */
  nodeTotals(): NodeCounters {
    const s = this.broker.stats;
    let publish = 0;
    for (const v of this.broker.vhosts.values()) publish += v.stats.publish;
    const store = this.broker.store;
    return {
      publish,
      confirm: s.confirm,
      return_unroutable: s.returnUnroutable,
      drop_unroutable: s.dropUnroutable,
      disk_reads: store?.diskReads ?? 0,
      disk_writes: store?.diskWrites ?? 0,
    };
  }

  queue(q: Queue): QueueRates | undefined {
    return this.perQueue.get(q);
  }

  channelRates(s: ChannelStats): ChannelCounters {
    return this.perChannel.get(s)?.rates ?? zeroOf(CHANNEL_KEYS);
  }

  exchangeRates(x: Exchange): ExchangeCounters {
    return this.perExchange.get(x)?.rates ?? zeroOf(EXCHANGE_KEYS);
  }

  vhostRates(v: VHost): PublishCounters {
    return this.perVhost.get(v)?.rates ?? zeroOf(PUBLISH_KEYS);
  }

  vhostDepthRate(v: VHost): { messages: number; ready: number; unacked: number } {
    return this.vhostDepthRates.get(v) ?? { messages: 0, ready: 0, unacked: 0 };
  }

  /** The sum of the octet rates of a vhost's connections at the last tick. */
  vhostOctetRate(vhost: string): OctetCounters {
    return this.vhostOctetRates.get(vhost) ?? zeroOf(OCTET_KEYS);
  }

  connectionRates(c: ClientConnection): OctetCounters {
    return (c.stats && this.perConnection.get(c.stats)?.rates) ?? zeroOf(OCTET_KEYS);
  }

  /** A vhost's queue counters (deleted queues included), current, and their rates at the last tick. */
  vhostQueueStats(v: VHost): Tracked<Counters> {
    return { last: vhostQueueCounters(v), rates: this.perVhostQueues.get(v)?.rates ?? zero() };
  }

  /** The node's queue counters (every vhost's, deleted queues included), current. */
  currentTotals(): Counters {
    const t = zero();
    for (const v of this.broker.vhosts.values()) {
      const c = vhostQueueCounters(v);
      for (const k of KEYS) t[k] += c[k];
    }
    return t;
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
