// A queue: ready messages in order, the consumers, and round-robin dispatch that respects each consumer's
// capacity. Unacked deliveries are tracked by the front end (per channel); the queue only counts them and
// takes them back (ack, requeue, reject). This file is the hot path (enqueue, dispatch, get, ack) and flow
// control; the state and the operations off that path are in queue-state.ts (settings, storage, expiry,
// requeue, purge). The queue features live in their own files: settings.ts (arguments + policies), ttl.ts,
// limits.ts, dead-letter.ts (via the callbacks), priority.ts, single-active.ts.
import { now, roughNow } from '../../util/clock.js';
import type { Binding, QueueDestination } from '../exchange/exchange.js';
import { QueuedMessage, type DeathReason, type Message } from '../message.js';
import type { ConsumerInfo, Owner } from './consumer.js';
import { wouldOverflow } from './limits.js';
import { QueueState } from './queue-state.js';
import { PagedReady } from './ready-list.js';
import { resolveQueueSettings, type QueueSettings, type QueueType } from './settings.js';
import { expiryOf, OneTimer } from './ttl.js';
import { DEATH_INDEX } from '../stats.js';
import { QueueFlow, type FlowControlled as FlowControlledBy } from './flow.js';

/** Handed out per dispatch before yielding (~1 ms of work: other connections' frames never wait longer). */
const DISPATCH_BUDGET = 64;

/**
 * What the queue needs of a consumer. Front ends implement it (an AMQP basic.consume, an MQTT subscription, a
 * STOMP SUBSCRIBE); the queue only asks "can you take this now?" and hands it over.
 */
export interface Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** x-priority consumer argument; higher is served first (RabbitMQ consumer priorities). */
  readonly priority: number;
  /** Prefetch, flow, socket room, no_local: may this consumer be sent `entry` right now? */
  canTake(entry: QueuedMessage): boolean;
  /** Will this consumer never take `entry`, whatever its credit? (AMQP no_local: published on its connection.) */
  excludes(entry: QueuedMessage): boolean;
  /** Hand over the message. For noAck consumers the queue forgets it; else it counts as unacked. */
  deliver(entry: QueuedMessage, queue: Queue): void;
  /** The queue was deleted under the consumer (AMQP: server-sent basic.cancel). */
  cancelByServer(queue: Queue): void;
  /** Where the consumer lives, for management (GET /api/consumers). */
  describe?(): ConsumerInfo;
}

/** A publisher that a queue's flow control can pause (AMQP: the connection stops reading its socket). */
export type FlowControlled = FlowControlledBy<Queue>;

export interface QueueCallbacks {
  /** The queue wants to be deleted (auto-delete: its last consumer went; x-expires: unused too long). */
  autoDelete(q: Queue): void;
  /** Republish `m` to the queue's dead-letter exchange (only called when the queue has one). */
  deadLetter(q: Queue, m: Message, reason: DeathReason): void;
}

export class Queue extends QueueState<Consumer> implements QueueDestination {
  readonly kind = 'queue' as const;
  /** Bindings with this queue as destination (for cleanup and listing). */
  readonly bindings = new Set<Binding>();
  /** VHost.route's mark: the routing generation that last reached this queue (each queue gets one copy). */
  routeMark = 0;
  /** Publishers paused by this queue's flow control (flow.ts). */
  private readonly flow: QueueFlow<Queue> = new QueueFlow<Queue>(this, () => this.ready);
  private rr = 0;
  private mixedPriorities = false;
  private hadConsumers = false;
  private dispatching = false;
  private dispatchAgain = false;
  private scheduled = false;

  constructor(
    name: string,
    vhost: string,
    durable: boolean,
    /** The owning connection of an exclusive queue, else null. */
    exclusiveOwner: Owner | null,
    autoDelete: boolean,
    args: Record<string, unknown>,
    type: QueueType,
    private readonly callbacks: QueueCallbacks,
    settings: QueueSettings = resolveQueueSettings(type, args, null, null),
  ) {
    super(name, vhost, durable, exclusiveOwner, autoDelete, args, type, settings);
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
    this.stats.publish++;
    const e = new QueuedMessage(msg, this.seq++);
    if (s.messageTtl >= 0 || msg.ttl >= 0) e.expiresAt = expiryOf(msg.timestamp, s.messageTtl, msg.ttl);
    if (this.backing !== null) this.backing.enqueued(e);
    this.ready.push(e);
    if (this.consumers.length !== 0) this.dispatch();
    if (limited) this.enforceLimits();
    if (e.expiresAt !== 0) this.expireHead(roughNow());
    return true;
  }

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
    this.flow.caughtUpCheck();
  }

  protected deadLetter(m: Message, reason: DeathReason): void {
    const dlx = this.settings.deadLetterExchange !== null;
    this.deadLettered[DEATH_INDEX[reason] + (dlx ? 1 : 0)]!++;
    if (dlx) this.callbacks.deadLetter(this, m, reason);
  }

  protected expireQueue(): void {
    if (this.deleted || this.consumers.length !== 0) return;
    this.callbacks.autoDelete(this);
  }

  /** Too far behind consumers that are catching up: publishers should pause (flow.ts). */
  get overloaded(): boolean {
    return this.flow.overloaded(this.consumers.length !== 0);
  }

  /** Pause `p` until this queue has caught up (flow.ts). */
  blockPublisher(p: FlowControlled): void {
    this.flow.block(p);
  }

  protected releasePublishers(): void {
    this.flow.releaseAll();
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
    if (this.ready.headExpiry() !== 0) this.expireHead(now());
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
    if (e.redelivered) s.redeliver++;
    if (this.backing !== null) this.backingDelivered(e, noAck);
    if (noAck && this.dedup !== null) this.dedup.forget(e.msg);
    return e;
  }

  ack(entry: QueuedMessage): void {
    this.gone(entry);
    if (this.deleted) return;
    this.unackedCount--;
    this.stats.ack++;
  }

  /** Rejected or nacked without requeue: dead-lettered with reason `rejected` when there is a DLX. */
  discard(entry: QueuedMessage): void {
    this.gone(entry);
    if (this.deleted) return;
    this.unackedCount--;
    this.deadLetter(entry.msg, 'rejected');
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
          if (this.holdMs !== 0 && this.heldBack(entry)) break;
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
          if (entry.redelivered) stats.redeliver++;
          c.deliver(entry, this);
        }
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
      this.flow.caughtUpCheck();
    }
  }

  /** broker.faults.delay(): the head is not due yet; dispatch again when it is (exact clock, not rough). */
  private heldBack(entry: QueuedMessage): boolean {
    const due = entry.msg.timestamp + this.holdMs;
    if (due <= now()) return false;
    this.holdTimer ??= new OneTimer(() => this.dispatch());
    this.holdTimer.armAt(due);
    return true;
  }

  /** queue.delete's if-unused / if-empty: what refuses the delete (RabbitMQ's 406 text ending), else null. */
  deleteRefused(ifUnused: boolean, ifEmpty: boolean): string | null {
    return ifUnused && this.consumerCount > 0 ? 'in use' : ifEmpty && this.messageCount > 0 ? 'not empty' : null;
  }

  /** Called when the queue is deleted: consumers are told, contents dropped. */
  markDeleted(): void {
    this.deleted = true;
    this.ttlTimer.cancel();
    this.unusedTimer.cancel();
    this.holdTimer?.cancel();
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
    setImmediate(this.dispatchLater);
  }
  // made once: a closure written in scheduleDispatch cost a context allocated on every call (segment-log.ts schedule)
  private readonly dispatchLater = (): void => {
    this.scheduled = false;
    if (!this.deleted) this.dispatch();
  };

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
