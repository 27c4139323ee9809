// A classic queue: ready messages in order, the consumers, and round-robin dispatch that respects each
// consumer's capacity. Unacked deliveries are tracked by the front end (per channel); the queue only counts
// them and takes them back (ack, requeue, reject). Later issues add TTL, limits and dead-lettering here.
import { roughNow } from '../../util/rough-clock.js';
import { ReadyList } from './ready-list.js';
import type { QueueBacking } from './backing.js';
import type { Exchange } from '../exchange/exchange.js';
import type { Binding } from '../binding.js';
import { QueuedMessage, type Message } from '../message.js';
import type { Consumer, FlowControlled, Owner } from './consumer.js';

/** Messages handed out per dispatch turn before yielding to the event loop (fairness; LavinMQ yields too). */
const DISPATCH_BUDGET = 4096;
/**
 * Flow control (RabbitMQ's credit flow, simplified): when a queue with consumers has more than FLOW_HIGH
 * ready messages, publishers into it pause reading until it is back under FLOW_LOW. Consumers then catch up
 * instead of the backlog (and memory) growing without bound. Queues without consumers are not throttled:
 * filling a queue for later is legitimate (memory alarms bound that).
 */
const FLOW_HIGH = 20000;
const FLOW_LOW = 5000;

export interface QueueCallbacks {
  /** The queue wants to be deleted (auto-delete: its last consumer went). */
  autoDelete(q: Queue): void;
}

export class Queue {
  readonly kind = 'queue' as const;
  readonly ready = new ReadyList();
  readonly consumers: Consumer[] = [];
  /** Bindings with this queue as destination (for cleanup and listing). */
  readonly bindings = new Set<Binding>();
  unackedCount = 0;
  /** Wire type names of the arguments (for RabbitMQ's error texts). */
  argTypes: Record<string, string> = {};
  deleted = false;
  readonly createdAt = roughNow();
  /** Counters for management and metrics: plain numbers bumped in place. */
  stats = { published: 0, delivered: 0, acked: 0, redelivered: 0 };

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

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly durable: boolean,
    /** The owning connection of an exclusive queue, else null. */
    readonly exclusiveOwner: Owner | null,
    readonly autoDelete: boolean,
    readonly args: Record<string, unknown>,
    readonly type: 'classic' | 'quorum',
    private readonly callbacks: QueueCallbacks,
  ) {}

  get messageCount(): number {
    return this.ready.length;
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** The exclusive consumer, if one holds the queue. */
  get exclusiveConsumer(): Consumer | null {
    return this.consumers.length === 1 && this.consumers[0]!.exclusive ? this.consumers[0]! : null;
  }

  /** Attach message storage; `nextSeq` continues after the recovered messages (storage wiring only). */
  attachBacking(b: QueueBacking, nextSeq: number): void {
    this.backing = b;
    this.ready.backing = b;
    if (nextSeq > this.seq) this.seq = nextSeq;
  }

  // Hot path: called once per routed copy of a published message.
  enqueue(msg: Message): void {
    this.stats.published++;
    const e = new QueuedMessage(msg, this.seq++);
    if (this.backing !== null) this.backing.enqueued(e);
    this.ready.push(e);
    if (this.consumers.length !== 0) this.dispatch();
  }

  /** Too far behind its consumers: publishers should pause (see FLOW_HIGH). */
  get overloaded(): boolean {
    return this.ready.length > FLOW_HIGH && this.consumers.length !== 0;
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
    const e = this.ready.shift();
    if (e === undefined) return null;
    this.stats.delivered++;
    if (!noAck) this.unackedCount++;
    if (this.backing !== null) this.backingDelivered(e, noAck);
    return e;
  }

  ack(entry: QueuedMessage): void {
    if (this.backing !== null) this.backing.removed(entry);
    if (this.deleted) return;
    this.unackedCount--;
    this.stats.acked++;
  }

  /** Rejected without requeue (dead-lettering hooks in here later). */
  discard(entry: QueuedMessage): void {
    if (this.backing !== null) this.backing.removed(entry);
    if (this.deleted) return;
    this.unackedCount--;
  }

  private backingDelivered(e: QueuedMessage, noAck: boolean): void {
    if (noAck) this.backing!.removed(e);
    else if (e.deliveryCount === 0 && !e.redelivered) this.backing!.delivered(e);
  }

  /**
   * Return unacked messages to the queue at their original positions, marked redelivered
   * (amqp0-9-1.xml basic.reject / basic.recover; RabbitMQ keeps the original order since 2.7).
   */
  requeue(entries: QueuedMessage[]): void {
    if (this.deleted || entries.length === 0) return;
    this.unackedCount -= entries.length;
    if (entries.length > 1) entries.sort((a, b) => b.seq - a.seq);
    for (const e of entries) {
      e.redelivered = true;
      let i = 0;
      const n = this.ready.memLength;
      while (i < n && this.ready.at(i)!.seq < e.seq) i++;
      this.ready.insert(i, e);
    }
    this.stats.redelivered += entries.length;
    this.dispatch();
  }

  /** Drop all ready messages; returns how many. Unacked ones stay (amqp0-9-1.xml queue.purge). */
  purge(): number {
    const b = this.backing;
    const n = b === null ? this.ready.clear() : this.ready.clear((e) => b.removed(e));
    this.releasePublishers();
    return n;
  }

  addConsumer(c: Consumer): void {
    this.hadConsumers = true;
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
    if (this.consumers.length === 0) this.releasePublishers();
    if (this.consumers.length === 0 && this.autoDelete && this.hadConsumers && !this.deleted) {
      this.callbacks.autoDelete(this);
    }
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
          this.stats.delivered++;
          if (this.backing !== null) this.backingDelivered(entry, c.noAck);
          entry.deliveryCount++;
          if (!c.noAck) this.unackedCount++;
          c.deliver(entry, this);
        }
      } while (this.dispatchAgain);
    } finally {
      this.dispatching = false;
      if (this.blockedPublishers.size !== 0 && this.ready.length < FLOW_LOW) this.releasePublishers();
    }
  }

  /** Called when the queue is deleted: consumers are told, contents dropped. */
  markDeleted(): void {
    this.deleted = true;
    this.releasePublishers();
    const cs = this.consumers.splice(0);
    for (const c of cs) c.cancelByServer(this);
    const b = this.backing;
    if (b === null) this.ready.clear();
    else {
      // dead first, so dropping the contents writes no per-message records
      b.queueDeleted();
      this.ready.clear((e) => b.removed(e));
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
    const n = Math.min(this.ready.memLength, 1024);
    for (let i = 1; i < n; i++) {
      const e = this.ready.at(i)!;
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
