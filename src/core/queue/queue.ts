// A queue: ready messages in order, the consumers, and round-robin dispatch that respects each consumer's
// capacity. Unacked deliveries are tracked by the front end (per channel); the queue only counts them and
// takes them back (ack, requeue, reject). The queue features hook in here and live in their own files:
// settings.ts (arguments + policies), ttl.ts, limits.ts, dead-letter.ts (via the callbacks), priority.ts,
// single-active.ts, and delivery limits / requeue delays (below, small).
import { roughNow } from '../../util/rough-clock.js';
import { PagedReady } from './ready-list.js';
import type { QueueBacking } from './backing.js';
import { TimerHeap } from '../../util/timer-heap.js';
import type { Exchange } from '../exchange/exchange.js';
import type { Binding } from '../binding.js';
import { QueuedMessage, type Message } from '../message.js';
import type { Consumer, FlowControlled, Owner } from './consumer.js';
import type { DeathReason } from './dead-letter.js';
import { hasLimit, overLimit, wouldOverflow } from './limits.js';
import { PriorityReady } from './priority.js';
import { FifoReady, type ReadyList } from './ready.js';
import { resolveQueueSettings, type QueueSettings, type QueueType } from './settings.js';
import { ActiveConsumer } from './single-active.js';
import { expiryOf, OneTimer } from './ttl.js';
import { DedupCache, dedupOptions } from '../dedup.js';

/** Messages handed out per dispatch turn before yielding to the event loop (fairness; LavinMQ yields too). */
const DISPATCH_BUDGET = 4096;
/**
 * Flow control (RabbitMQ's credit flow, simplified): when a queue with consumers has more than FLOW_HIGH
 * ready messages or FLOW_HIGH_BYTES of ready bodies, publishers into it pause reading until it is back under
 * both FLOW_LOW and FLOW_LOW_BYTES. Consumers then catch up instead of the backlog (and memory) growing
 * without bound; counting bytes keeps a large-message backlog small too (20,000 x 64 KiB would be 1.3 GB).
 * Queues without consumers are not throttled: filling a queue for later is legitimate (the memory alarm
 * bounds that).
 */
const FLOW_HIGH = 20000;
const FLOW_LOW = 5000;
const FLOW_HIGH_BYTES = 16 * 1024 * 1024;
const FLOW_LOW_BYTES = 4 * 1024 * 1024;

export interface QueueCallbacks {
  /** The queue wants to be deleted (auto-delete: its last consumer went; x-expires: unused too long). */
  autoDelete(q: Queue): void;
  /** Republish `m` to the queue's dead-letter exchange (only called when the queue has one). */
  deadLetter(q: Queue, m: Message, reason: DeathReason): void;
}

/** Requeues waiting out their x-requeue-delay, all queues on one timer. */
const delayedRequeues = new TimerHeap<QueuedMessage>((e) => e.delayedIn?.requeueNow(e));

/** A queue's delivery counters (see Queue.stats). */
export interface QueueStats {
  published: number;
  deliver: number;
  deliverNoAck: number;
  get: number;
  getNoAck: number;
  getEmpty: number;
  acked: number;
  redelivered: number;
}

export function newQueueStats(): QueueStats {
  return { published: 0, deliver: 0, deliverNoAck: 0, get: 0, getNoAck: 0, getEmpty: 0, acked: 0, redelivered: 0 };
}

/** Add `from` into `into` (a deleted queue's counters kept by its vhost). */
export function addQueueStats(into: QueueStats, from: QueueStats): void {
  into.published += from.published;
  into.deliver += from.deliver;
  into.deliverNoAck += from.deliverNoAck;
  into.get += from.get;
  into.getNoAck += from.getNoAck;
  into.getEmpty += from.getEmpty;
  into.acked += from.acked;
  into.redelivered += from.redelivered;
}
export class Queue {
  readonly kind = 'queue' as const;
  ready: ReadyList;
  /** Effective settings: x-arguments combined with policies (settings.ts). */
  settings: QueueSettings;
  readonly consumers: Consumer[] = [];
  /** Bindings with this queue as destination (for cleanup and listing). */
  readonly bindings = new Set<Binding>();
  unackedCount = 0;
  /** Wire type names of the arguments (for RabbitMQ's error texts). */
  argTypes: Record<string, string> = {};
  deleted = false;
  readonly createdAt = roughNow();
  /** Counters for management and metrics: plain numbers bumped in place. */
  /**
   * What management's message_stats and Prometheus report for this queue, split as RabbitMQ splits them
   * (rabbit_mgmt_format / rabbit_core_metrics): consumer deliveries with and without ack, basic.get with and
   * without ack, basic.get on an empty queue, acks, and deliveries of redelivered messages. Plain integers
   * bumped in place (no allocation per message); the management timer samples them into rates.
   */
  readonly stats: QueueStats = newQueueStats();
  /** VHost.route's mark: the routing generation that last reached this queue (each queue gets one copy). */
  routeMark = 0;

  /** Publishers paused by this queue's flow control. */
  private readonly blockedPublishers = new Set<FlowControlled>();
  private seq = 0;
  /** Message storage of a durable queue on a file store (see backing.ts), else null. */
  private backing: QueueBacking | null = null;
  private rr = 0;
  private mixedPriorities = false;
  private hadConsumers = false;
  private dispatching = false;
  private dispatchAgain = false;
  private scheduled = false;
  /** Head-of-queue expiry: the one TTL timer of this queue (ttl.ts). */
  private readonly ttlTimer = new OneTimer(() => this.expireHead(Date.now()));
  /** x-expires: deletes the queue when unused for that long. */
  private readonly unusedTimer = new OneTimer(() => this.expireQueue());
  private readonly sac: ActiveConsumer | null;
  /** Messages waiting out a requeue delay. */
  private delayedCount = 0;
  /** x-message-deduplication on this queue, else null. */
  readonly dedup: DedupCache | null;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly durable: boolean,
    /** The owning connection of an exclusive queue, else null. */
    readonly exclusiveOwner: Owner | null,
    readonly autoDelete: boolean,
    readonly args: Record<string, unknown>,
    readonly type: QueueType,
    private readonly callbacks: QueueCallbacks,
    settings: QueueSettings = resolveQueueSettings(type, args, null, null),
  ) {
    this.settings = settings;
    this.ready = settings.maxPriority > 0 ? new PriorityReady(settings.maxPriority) : new FifoReady();
    this.sac = settings.singleActiveConsumer ? new ActiveConsumer() : null;
    const d = dedupOptions(args);
    this.dedup = d === null ? null : new DedupCache(`${vhost}\u0000queue\u0000${name}`, d);
    this.used();
  }

  get messageCount(): number {
    return this.ready.length;
  }

  /** Policies changed: take the new settings, enforce new limits, re-arm x-expires (priority/SAC stay). */
  applySettings(s: QueueSettings): void {
    const old = this.settings;
    this.settings = { ...s, maxPriority: old.maxPriority, singleActiveConsumer: old.singleActiveConsumer };
    if (s.expires !== old.expires) this.used();
    this.enforceLimits();
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** With x-single-active-consumer: the consumer receiving messages (management's single_active_consumer_tag). */
  get activeConsumer(): Consumer | null {
    return this.sac?.active ?? null;
  }

  /** The exclusive consumer, if one holds the queue. */
  get exclusiveConsumer(): Consumer | null {
    return this.consumers.length === 1 && this.consumers[0]!.exclusive ? this.consumers[0]! : null;
  }

  /** Attach message storage; `nextSeq` continues after the recovered messages (storage wiring only). */
  attachBacking(b: QueueBacking, nextSeq: number): void {
    this.backing = b;
    if (nextSeq > this.seq) this.seq = nextSeq;
    // a FIFO queue pages its backlog to disk; a priority queue keeps its levels in memory (still logged)
    if (this.ready instanceof FifoReady && this.ready.length === 0) {
      const paged = new PagedReady(b);
      // messages read back from disk get their expiry again (from their publish time, as at enqueue)
      paged.onPageIn = (e) => {
        const s = this.settings;
        if (s.messageTtl >= 0 || e.msg.ttl >= 0) e.expiresAt = expiryOf(e.msg.timestamp, s.messageTtl, e.msg.ttl);
      };
      // a batch read off the event loop arrived: expire what expired meanwhile, deliver the rest
      paged.onRefilled = () => {
        if (this.deleted) return;
        this.expireHead(Date.now());
        if (this.consumers.length !== 0) this.dispatch();
      };
      this.ready = paged;
    }
    if (b.tailLength === 0) return;
    // recovered messages: once storage is up (next turn), load a priority queue's into its levels and
    // expire what has expired meanwhile
    setImmediate(() => {
      if (this.deleted) return;
      if (!(this.ready instanceof PagedReady)) {
        for (let es = b.pageIn(4096); es.length !== 0; es = b.pageIn(4096)) {
          for (const e of es) {
            const s = this.settings;
            if (s.messageTtl >= 0 || e.msg.ttl >= 0) e.expiresAt = expiryOf(e.msg.timestamp, s.messageTtl, e.msg.ttl);
            this.ready.push(e);
          }
        }
      }
      this.expireHead(Date.now());
      if (this.consumers.length !== 0) this.dispatch();
    });
  }

  /**
   * Hot path: called once per routed copy of a published message. Returns false when the queue refused
   * it (x-overflow reject-publish / reject-publish-dlx at the limit): the publisher is told (basic.nack).
   */
  enqueue(msg: Message): boolean {
    if (this.deleted) return false;
    // a duplicate is accepted (the publisher is told ack) and dropped
    if (this.dedup !== null && this.dedup.isDuplicate(msg)) return true;
    const s = this.settings;
    const limited = s.maxLength >= 0 || s.maxLengthBytes >= 0;
    if (limited && s.overflow !== 'drop-head' && wouldOverflow(s, this.ready, msg)) {
      if (s.overflow === 'reject-publish-dlx') this.deadLetter(msg, 'maxlen');
      return false;
    }
    this.stats.published++;
    const e = new QueuedMessage(msg, this.seq++);
    if (s.messageTtl >= 0 || msg.ttl >= 0) e.expiresAt = expiryOf(msg.timestamp, s.messageTtl, msg.ttl);
    if (this.backing !== null) this.backing.enqueued(e);
    this.ready.push(e);
    if (this.consumers.length !== 0) this.dispatch();
    if (limited) this.enforceLimits();
    if (e.expiresAt !== 0) this.expireHead(roughNow());
    return true;
  }

  // ---- TTL, limits, expiry, dead-lettering ------------------------------------------------------

  /** Drop expired messages at the head (RabbitMQ expires at the head only), then arm for the next. */
  expireHead(now: number): void {
    if (this.deleted) return;
    let e: QueuedMessage | undefined;
    while ((e = this.ready.shiftExpired(now)) !== undefined) {
      this.gone(e);
      this.deadLetter(e.msg, 'expired');
    }
    const next = this.ready.headExpiry();
    if (next !== 0) this.ttlTimer.armAt(next);
    else this.ttlTimer.cancel();
    if (this.blockedPublishers.size !== 0 && this.caughtUp) this.releasePublishers();
  }

  /** drop-head: remove the oldest ready messages while over x-max-length / x-max-length-bytes. */
  private enforceLimits(): void {
    const s = this.settings;
    if (!hasLimit(s)) return;
    if (s.overflow === 'drop-head') {
      while (overLimit(s, this.ready)) {
        const h = this.ready.shift()!;
        this.gone(h);
        this.deadLetter(h.msg, 'maxlen');
      }
    }
    if (this.ready.headExpiry() === 0) this.ttlTimer.cancel();
  }

  private deadLetter(m: Message, reason: DeathReason): void {
    if (this.settings.deadLetterExchange !== null) this.callbacks.deadLetter(this, m, reason);
  }

  /** x-expires: the queue was used (declared, basic.get, consumer gone); restart the unused clock. */
  used(): void {
    const x = this.settings.expires;
    if (x < 0 || this.deleted) return this.unusedTimer.cancel();
    if (this.consumers.length === 0) this.unusedTimer.resetAt(Date.now() + x);
  }

  private expireQueue(): void {
    if (this.deleted || this.consumers.length !== 0) return;
    this.callbacks.autoDelete(this);
  }

  /**
   * The properties to deliver `entry` with: a quorum queue's deliveries carry x-delivery-count, the returns
   * so far (RabbitMQ 3.10 sends 0 on the first delivery too).
   */
  propsFor(entry: QueuedMessage): Buffer {
    const m = entry.msg;
    if (this.type !== 'quorum') return m.props;
    return m.format.withIntHeader(m.props, 'x-delivery-count', entry.deliveryCount - 1);
  }

  /** Too far behind its consumers: publishers should pause (see FLOW_HIGH). */
  get overloaded(): boolean {
    return (this.ready.length > FLOW_HIGH || this.ready.bytes > FLOW_HIGH_BYTES) && this.consumers.length !== 0;
  }

  /** Back under both low-water marks: paused publishers may go on (see FLOW_HIGH). */
  private get caughtUp(): boolean {
    return this.ready.length < FLOW_LOW && this.ready.bytes < FLOW_LOW_BYTES;
  }

  /** Pause `p` until this queue has caught up. */
  blockPublisher(p: FlowControlled): void {
    this.blockedPublishers.add(p);
  }

  private releasePublishers(): void {
    if (this.blockedPublishers.size === 0) return;
    const ps = [...this.blockedPublishers];
    this.blockedPublishers.clear();
    for (const p of ps) p.flowResume(this);
  }

  /** Would a consumer take `msg` at once? (basic.publish immediate=true, per the spec.) */
  canDeliverNow(msg: Message): boolean {
    if (this.ready.length !== 0) return false;
    const probe = new QueuedMessage(msg, this.seq);
    for (const c of this.consumers) if (c.canTake(probe)) return true;
    return false;
  }

  /** basic.get: the head message, now unacked unless noAck. */
  get(noAck: boolean): QueuedMessage | null {
    this.used();
    if (this.ready.headExpiry() !== 0) this.expireHead(Date.now());
    const e = this.ready.shift();
    const s = this.stats;
    if (e === undefined) {
      s.getEmpty++;
      return null;
    }
    if (noAck) s.getNoAck++;
    else {
      s.get++;
      this.unackedCount++;
    }
    // RabbitMQ's redeliver: deliveries of a message already delivered once (the redelivered flag)
    if (e.redelivered) s.redelivered++;
    if (this.backing !== null) this.backingDelivered(e, noAck);
    if (noAck && this.dedup !== null) this.dedup.forget(e.msg);
    return e;
  }

  ack(entry: QueuedMessage): void {
    this.gone(entry);
    if (this.deleted) return;
    this.unackedCount--;
    this.stats.acked++;
  }

  /** Rejected or nacked without requeue: dead-lettered with reason `rejected` when there is a DLX. */
  discard(entry: QueuedMessage): void {
    this.gone(entry);
    if (this.deleted) return;
    this.unackedCount--;
    this.deadLetter(entry.msg, 'rejected');
  }

  private backingDelivered(e: QueuedMessage, noAck: boolean): void {
    if (noAck) this.backing!.removed(e);
    else if (e.deliveryCount === 0 && !e.redelivered) this.backing!.delivered(e);
  }

  /**
   * `e` left the queue for good (acked, rejected, expired, dropped, dead-lettered, delivered with no-ack): its
   * log record is dead, and its deduplication key is free again (the plugin's queue-level deduplication
   * holds a key only while its message is in the queue, ready or unacked).
   */
  private gone(e: QueuedMessage): void {
    if (this.backing !== null) this.backing.removed(e);
    if (this.dedup !== null) this.dedup.forget(e.msg);
  }

  /**
   * Return unacked messages to the queue at their original positions, marked redelivered
   * (amqp0-9-1.xml basic.reject / basic.recover; RabbitMQ keeps the original order since 2.7).
   * `byClient`: a nack/reject with requeue=true, which x-requeue-delay holds back; returns because a
   * channel closed or recovered come back at once. Every return counts towards x-delivery-limit.
   */
  requeue(entries: QueuedMessage[], byClient = false): void {
    if (this.deleted || entries.length === 0) return;
    this.unackedCount -= entries.length;
    if (entries.length > 1) entries.sort((a, b) => b.seq - a.seq);
    const s = this.settings;
    const now = Date.now();
    let back = 0;
    for (const e of entries) {
      e.redelivered = true;
      // x-delivery-limit (quorum queues; classic too in Warren): over the limit it is dead-lettered
      if (s.deliveryLimit >= 0 && e.deliveryCount > s.deliveryLimit) {
        // gone for good: its log record too (else a restart would bring back a dead-lettered message)
        this.gone(e);
        this.deadLetter(e.msg, 'delivery_limit');
        continue;
      }
      const rd = s.requeueDelay;
      // only a consumer's nack/reject waits; a consumer that went away hands its messages back at once
      if (rd !== null && byClient) {
        // x-requeue-delay: back after base * factor^(deliveries-1), capped at max
        const delay = Math.min(rd.base * Math.pow(rd.factor, Math.max(0, e.deliveryCount - 1)), rd.max);
        e.delayedIn = this;
        this.delayedCount++;
        delayedRequeues.schedule(now + delay, e);
        continue;
      }
      this.ready.insertBySeq(e);
      back++;
    }
    if (back === 0) return;
    if (this.ready.headExpiry() !== 0) this.expireHead(now);
    this.dispatch();
  }

  /** A delayed requeue is due. */
  requeueNow(e: QueuedMessage): void {
    e.delayedIn = null;
    this.delayedCount--;
    if (this.deleted) return;
    this.ready.insertBySeq(e);
    if (this.ready.headExpiry() !== 0) this.expireHead(Date.now());
    this.dispatch();
  }

  /** Messages waiting out a requeue delay (neither ready nor unacked). */
  get delayedRequeueCount(): number {
    return this.delayedCount;
  }

  /** Drop all ready messages; returns how many. Unacked ones stay (amqp0-9-1.xml queue.purge). */
  purge(): number {
    const b = this.backing;
    const n = this.ready.length;
    // as the plugin, purge forgets every deduplication key (unacked messages' too)
    this.dedup?.clear();
    if (b !== null && this.ready instanceof PagedReady) this.ready.clearWith((e) => b.removed(e));
    else {
      if (b !== null) for (const e of this.ready) b.removed(e);
      this.ready.clear();
    }
    this.ttlTimer.cancel();
    this.releasePublishers();
    return n;
  }

  addConsumer(c: Consumer): void {
    this.hadConsumers = true;
    this.unusedTimer.cancel();
    this.sac?.add(c);
    // keep consumers sorted by priority, highest first, arrival order within a priority
    let i = this.consumers.length;
    while (i > 0 && this.consumers[i - 1]!.priority < c.priority) i--;
    this.consumers.splice(i, 0, c);
    this.mixedPriorities = this.consumers.some((x) => x.priority !== this.consumers[0]!.priority);
    this.dispatch();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (this.rr > i) this.rr--;
    this.mixedPriorities = this.consumers.some((x) => x.priority !== this.consumers[0]!.priority);
    const activeChanged = this.sac?.remove(c) ?? false;
    if (this.consumers.length === 0) this.releasePublishers();
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumers && !this.deleted) {
      this.callbacks.autoDelete(this);
      return;
    }
    if (this.consumers.length === 0) this.used();
    if (activeChanged) this.dispatch();
  }

  /** Deliver what can be delivered now. Safe to call any time; re-entrant calls coalesce. */
  dispatch(): void {
    if (this.dispatching) {
      this.dispatchAgain = true;
      return;
    }
    this.dispatching = true;
    try {
      let budget = DISPATCH_BUDGET;
      const now = roughNow();
      const stats = this.stats;
      do {
        this.dispatchAgain = false;
        while (this.ready.length !== 0 && this.consumers.length !== 0) {
          if (budget-- === 0) {
            this.scheduleDispatch();
            return;
          }
          let entry = this.ready.peek();
          // undefined only when the disk tail could not be read now (I/O error, logged): try later
          if (entry === undefined) break;
          // an expired message is never delivered (checked against the rough clock; the timer is exact).
          // Strictly past: a TTL of 0 still goes to a consumer that can take it at once, as in RabbitMQ.
          if (entry.expiresAt !== 0 && entry.expiresAt < now) {
            this.ready.shift();
            this.gone(entry);
            this.deadLetter(entry.msg, 'expired');
            continue;
          }
          let c = this.pickConsumer(entry);
          let at = 0;
          if (c === null) {
            // The head may be one no consumer will ever take (no_local): look past it, boundedly,
            // rather than let it block the queue. It stays in place for a later consumer.
            if (!this.allExclude(entry)) break;
            at = this.findTakeable();
            if (at < 0) break;
            entry = this.ready.at(at)!;
            c = this.pickConsumer(entry)!;
          }
          if (at === 0) this.ready.shift();
          else this.ready.removeAt(at);
          if (this.backing !== null) this.backingDelivered(entry, c.noAck);
          if (c.noAck && this.dedup !== null) this.dedup.forget(entry.msg);
          entry.deliveryCount++;
          if (c.noAck) stats.deliverNoAck++;
          else {
            stats.deliver++;
            this.unackedCount++;
          }
          if (entry.redelivered) stats.redelivered++;
          c.deliver(entry, this);
        }
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
      if (this.blockedPublishers.size !== 0 && this.caughtUp) this.releasePublishers();
    }
  }

  /** Called when the queue is deleted: consumers are told, contents dropped. */
  markDeleted(): void {
    this.deleted = true;
    this.ttlTimer.cancel();
    this.unusedTimer.cancel();
    this.releasePublishers();
    const cs = this.consumers.splice(0);
    for (const c of cs) c.cancelByServer(this);
    const b = this.backing;
    if (b === null) this.ready.clear();
    else {
      // dead first, so dropping the contents writes no per-message records
      b.queueDeleted();
      if (this.ready instanceof PagedReady) this.ready.clearWith((e) => b.removed(e));
      else {
        for (const e of this.ready) b.removed(e);
        this.ready.clear();
      }
    }
  }

  /** Exchanges bound to this queue (for listing). */
  boundExchanges(): Exchange[] {
    return [...this.bindings].map((b) => b.source);
  }

  private allExclude(entry: QueuedMessage): boolean {
    for (const c of this.consumers) if (!c.excludes(entry)) return false;
    return true;
  }

  /** Index of the first ready message (within 1024) some consumer can take now, or -1. */
  private findTakeable(): number {
    const n = Math.min(this.ready.length, 1024);
    for (let i = 1; i < n; i++) {
      const e = this.ready.at(i);
      if (e === undefined) break;
      if (!this.allExclude(e) && this.pickConsumerPeek(e)) return i;
    }
    return -1;
  }

  private pickConsumerPeek(entry: QueuedMessage): boolean {
    for (const c of this.consumers) if (c.canTake(entry)) return true;
    return false;
  }

  private scheduleDispatch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.deleted) this.dispatch();
    });
  }

  // Round-robin among the consumers of the highest priority that can take the message.
  private pickConsumer(entry: QueuedMessage): Consumer | null {
    if (this.sac !== null) {
      const a = this.sac.active;
      return a !== null && a.canTake(entry) ? a : null;
    }
    const cs = this.consumers;
    const n = cs.length;
    if (!this.mixedPriorities) {
      for (let k = 0; k < n; k++) {
        const i = (this.rr + k) % n;
        const c = cs[i]!;
        if (c.canTake(entry)) {
          this.rr = (i + 1) % n;
          return c;
        }
      }
      return null;
    }
    // priorities: first group (highest) with a taker wins; rotate the taker to the end of its group
    let start = 0;
    while (start < n) {
      let end = start;
      while (end < n && cs[end]!.priority === cs[start]!.priority) end++;
      for (let i = start; i < end; i++) {
        const c = cs[i]!;
        if (c.canTake(entry)) {
          cs.splice(i, 1);
          cs.splice(end - 1, 0, c);
          return c;
        }
      }
      start = end;
    }
    return null;
  }
}
