// Message rates, sampled on a timer (RabbitMQ's collect_statistics_interval, 5 s), never per message: each
// tick reads the counters queues already keep (Queue.stats) and turns the difference since the last tick
// into per-second rates. Totals for the node accumulate those differences, so they survive queue deletion
// from the tick on. A short history of node totals feeds the UI's charts.
import type { Broker } from '../core/broker.js';
import type { Queue } from '../core/queue/queue.js';

export interface Counters {
  publish: number;
  deliver_get: number;
  ack: number;
  redeliver: number;
}

export interface QueueRates {
  last: Counters;
  rates: Counters;
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

const zero = (): Counters => ({ publish: 0, deliver_get: 0, ack: 0, redeliver: 0 });

function counters(q: Queue): Counters {
  const s = q.stats;
  return { publish: s.published, deliver_get: s.delivered, ack: s.acked, redeliver: s.redelivered };
}

/** Node-wide counters that belong to no queue (Broker.stats): publisher confirms, unroutable returns. */
export interface NodeCounters {
  confirm: number;
  return_unroutable: number;
}

const zeroNode = (): NodeCounters => ({ confirm: 0, return_unroutable: 0 });

export class RateSampler {
  /** Node-wide confirm and return_unroutable totals and their last rates. */
  nodeRates: NodeCounters = zeroNode();
  private lastNode: NodeCounters = zeroNode();

  /** Per queue; a deleted queue's entry goes with it. */
  private readonly perQueue = new WeakMap<Queue, QueueRates>();
  /** Node-wide totals (monotonic) and the last rates. */
  readonly totals: Counters = zero();
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
    const delta = zero();
    let messages = 0;
    let ready = 0;
    let unacked = 0;
    for (const v of this.broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        const c = counters(q);
        const r = this.perQueue.get(q);
        const qReady = q.messageCount;
        const qUnacked = q.unackedCount;
        ready += qReady;
        unacked += qUnacked;
        messages += qReady + qUnacked;
        if (!r) {
          // first sight: count what it already has, rates start at the next tick
          for (const k of KEYS) delta[k] += c[k];
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
        for (const k of KEYS) {
          const d = c[k] - r.last[k];
          delta[k] += d;
          r.rates[k] = round(d / dt);
        }
        r.last = c;
        r.messagesRate = round((qReady + qUnacked - r.lastMessages) / dt);
        r.readyRate = round((qReady - r.lastReady) / dt);
        r.unackedRate = round((qUnacked - r.lastUnacked) / dt);
        r.lastMessages = qReady + qUnacked;
        r.lastReady = qReady;
        r.lastUnacked = qUnacked;
      }
    }
    const bs = this.broker.stats;
    const node = { confirm: bs.confirm, return_unroutable: bs.returnUnroutable };
    this.nodeRates = {
      confirm: round((node.confirm - this.lastNode.confirm) / dt),
      return_unroutable: round((node.return_unroutable - this.lastNode.return_unroutable) / dt),
    };
    this.lastNode = node;
    const rates = zero();
    for (const k of KEYS) {
      this.totals[k] += delta[k];
      rates[k] = round(delta[k] / dt);
    }
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

  /** Node-wide confirm / return_unroutable totals, current. */
  nodeTotals(): NodeCounters {
    return { confirm: this.broker.stats.confirm, return_unroutable: this.broker.stats.returnUnroutable };
  }

  queue(q: Queue): QueueRates | undefined {
    return this.perQueue.get(q);
  }

  /** Totals including what queues counted since the last tick. */
  currentTotals(): Counters {
    const t = { ...this.totals };
    for (const v of this.broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        const r = this.perQueue.get(q);
        const c = counters(q);
        for (const k of KEYS) t[k] += c[k] - (r ? r.last[k] : 0);
      }
    }
    return t;
  }
}

export const KEYS: (keyof Counters)[] = ['publish', 'deliver_get', 'ack', 'redeliver'];

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
