// The state of a queue and its operations off the publish/deliver path: effective settings, message storage
// attachment and recovery, x-expires, drop-head limits, the quorum delivery count, requeue (with
// x-requeue-delay and x-delivery-limit) and purge. Queue (queue.ts) extends it with the hot path: enqueue,
// dispatch to its consumers, basic.get and ack, flow control. Generic over the consumer type, so that this
// file needs nothing of queue.ts, which owns the Consumer interface.
import { now, roughNow } from '../../util/clock.js';
import { TimerHeap } from '../../util/timer-heap.js';
import { DedupCache, dedupOptions } from '../dedup.js';
import type { DeathReason, Message, QueuedMessage } from '../message.js';
import { newDeadLettered, newMessageStats, type MessageStats } from '../stats.js';
import type { QueueBacking } from './backing.js';
import type { Owner } from './consumer.js';
import { hasLimit, overLimit } from './limits.js';
import { PriorityReady } from './priority.js';
import { PagedReady } from './ready-list.js';
import { FifoReady, type ReadyList } from './ready.js';
import { resolveQueueSettings, type QueueSettings, type QueueType } from './settings.js';
import { ActiveConsumer } from './single-active.js';
import { expiryOf, OneTimer } from './ttl.js';

/** Requeues waiting out their x-requeue-delay, all queues on one timer. */
const delayedRequeues = new TimerHeap<QueuedMessage>((e) => e.delayedIn?.requeueNow(e));

export abstract class QueueState<C extends { readonly exclusive: boolean }> {
  ready: ReadyList;

  /** Effective settings: x-arguments combined with policies (settings.ts). */
  settings: QueueSettings;

  readonly consumers: C[] = [];

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
  readonly stats: MessageStats = newMessageStats();
  /** Messages dead-lettered or dropped, by reason, with or without a DLX (core/stats.ts DEATH_INDEX). */
  readonly deadLettered = newDeadLettered();

  protected seq = 0;

  /** Message storage of a durable queue on a file store (see backing.ts), else null. */
  protected backing: QueueBacking | null = null;

  /** Head-of-queue expiry: the one TTL timer of this queue (ttl.ts). */
  protected readonly ttlTimer = new OneTimer(() => this.expireHead(now()));

  /** x-expires: deletes the queue when unused for that long. */
  protected readonly unusedTimer = new OneTimer(() => this.expireQueue());

  protected readonly sac: ActiveConsumer<C> | null;

  /** Messages waiting out a requeue delay. */
  protected delayedCount = 0;

  /** broker.faults.delay(): a message is delivered no earlier than this long after it was published. */
  holdMs = 0;

  /** Dispatches again when the held head is due (created by the first hold). */
  protected holdTimer: OneTimer | null = null;

  /** x-message-deduplication on this queue, else null. */
  readonly dedup: DedupCache | null;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly durable: boolean,
    /** The owning connection of an exclusive queue, else null. */
    readonly exclusiveOwner: Owner | null,
    readonly autoDelete: boolean,
    /** Replaced, not changed in place, when an MQTT 5 session's expiry changes (mqtt/session-expiry.ts). */
    public args: Record<string, unknown>,
    readonly type: QueueType,
    settings: QueueSettings = resolveQueueSettings(type, args, null, null),
  ) {
    this.settings = settings;
    this.ready = settings.maxPriority > 0 ? new PriorityReady(settings.maxPriority) : new FifoReady();
    this.sac = settings.singleActiveConsumer ? new ActiveConsumer<C>() : null;
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
  get activeConsumer(): C | null {
    return this.sac?.active ?? null;
  }

  /** The exclusive consumer, if one holds the queue. */
  get exclusiveConsumer(): C | null {
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
        this.expireHead(now());
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
      this.expireHead(now());
      if (this.consumers.length !== 0) this.dispatch();
    });
  }

  /** drop-head: remove the oldest ready messages while over x-max-length / x-max-length-bytes. */
  protected enforceLimits(): void {
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

  /** x-expires: the queue was used (declared, basic.get, consumer gone); restart the unused clock. */
  used(): void {
    const x = this.settings.expires;
    if (x < 0 || this.deleted) return this.unusedTimer.cancel();
    if (this.consumers.length === 0) this.unusedTimer.resetAt(now() + x);
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

  /**
   * The first delivery is recorded, so a crash brings the message back redelivered; on a quorum queue or
   * one with x-delivery-limit every delivery is, so the count (x-delivery-count, the limit) survives a
   * restart or a cluster failover as it does in RabbitMQ's Raft log. A redelivery is rare: the common path
   * (delivered once, acked) writes what it wrote before.
   */
  protected backingDelivered(e: QueuedMessage, noAck: boolean): void {
    if (noAck) this.backing!.removed(e);
    else if ((e.deliveryCount === 0 && !e.redelivered) || this.type === 'quorum' || this.settings.deliveryLimit >= 0) {
      this.backing!.delivered(e);
    }
  }

  /**
   * `e` left the queue for good (acked, rejected, expired, dropped, dead-lettered, delivered with no-ack): its
   * log record is dead, and its deduplication key is free again (the plugin's queue-level deduplication
   * holds a key only while its message is in the queue, ready or unacked).
   */
  protected gone(e: QueuedMessage): void {
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
    const t = now();
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
        delayedRequeues.schedule(t + delay, e);
        continue;
      }
      this.ready.insertBySeq(e);
      back++;
    }
    if (back === 0) return;
    if (this.ready.headExpiry() !== 0) this.expireHead(t);
    this.dispatch();
  }

  /** A delayed requeue is due. */
  requeueNow(e: QueuedMessage): void {
    e.delayedIn = null;
    this.delayedCount--;
    if (this.deleted) return;
    this.ready.insertBySeq(e);
    if (this.ready.headExpiry() !== 0) this.expireHead(now());
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

  /** Drop expired messages at the head and arm the TTL timer (queue.ts). */
  abstract expireHead(now: number): void;
  /** Deliver what can be delivered now (queue.ts). */
  abstract dispatch(): void;
  /** Dead-letter `m` if the queue has a dead-letter exchange (queue.ts, through the vhost's callbacks). */
  protected abstract deadLetter(m: Message, reason: DeathReason): void;
  /** x-expires fired (queue.ts). */
  protected abstract expireQueue(): void;
  /** Resume the publishers flow control paused (queue.ts). */
  protected abstract releasePublishers(): void;
}
