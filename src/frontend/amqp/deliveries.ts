// The consuming side of a channel: its consumers and prefetch limits, deliveries and basic.get, the unacked
// deliveries in tag order, and ack/nack/reject/recover with RabbitMQ's semantics (unknown tag is 406; closing
// the channel requeues what is unacked, in original order, marked redelivered). The basic methods that only
// set this up (qos, consume, cancel) are in handlers/basic.ts.
import { writeBody, writeContentHeader } from '../../codec/amqp/content.js';
import {
  writeBasicCancel,
  writeBasicDeliver,
  writeBasicGetEmpty,
  writeBasicGetOk,
  writeBasicRecoverOk,
} from '../../codec/amqp/methods.generated.js';
import { QueuedMessage, type Message } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { roughNow } from '../../util/rough-clock.js';
import type { ChannelContext } from './context.js';
import type { AmqpConsumer, DeliverySink } from './consumer.js';
import { amqpFormat } from './format.js';
import type { ReplyReceiver } from './direct-reply-to.js';
import { channelError } from './errors.js';
import { TagMap } from '../../util/tag-map.js';

/** One unacked delivery. */
class Delivery {
  constructor(
    readonly tag: number,
    readonly entry: QueuedMessage,
    readonly queue: Queue,
    /** null for basic.get */
    readonly consumer: AmqpConsumer | null,
    readonly size: number,
    readonly at: number,
  ) {}
}

class TxAck {
  constructor(
    readonly tag: number,
    readonly multiple: boolean,
    /** 'ack', or a nack with requeue true/false */
    readonly kind: 'ack' | 'requeue' | 'discard',
  ) {}
}

export class ChannelDeliveries implements ReplyReceiver, DeliverySink {
  readonly consumers = new Map<string, AmqpConsumer>();
  /** Unacked deliveries by tag, in tag order, which multiple-acks rely on (util/tag-map.ts). */
  readonly unacked = new TagMap<Delivery>();
  unackedBytes = 0;
  globalPrefetchCount = 0;
  globalPrefetchSize = 0;
  /** basic.qos global=false: the limits of consumers started from now on (and management's prefetch_count). */
  prefetchCount = 0;
  prefetchSize = 0;
  private nextTag = 0;
  /** The last delivery tag handed out on this channel. */
  get lastTag(): number {
    return this.nextTag;
  }
  private txAcks: TxAck[] = [];
  /** Direct reply-to: this channel's reply address while it has a reply consumer (tag replyTag), else null. */
  replyAddress: string | null = null;
  replyTag = '';

  constructor(private readonly ch: ChannelContext) {}

  // ---- qos, consume, cancel, get ---------------------------------------------------------------

  deliverReply(msg: Message): void {
    if (this.ch.closing) return;
    this.writeDeliver(this.replyTag, ++this.nextTag, false, msg);
  }

  /** The queue went away under the consumer: tell the client if it understands (consumer_cancel_notify). */
  serverCancel(c: AmqpConsumer): void {
    if (this.consumers.get(c.tag) !== c) return;
    this.consumers.delete(c.tag);
    if (this.ch.closing) return;
    if (this.ch.conn.capabilities['consumer_cancel_notify'] === true) {
      writeBasicCancel(this.ch.conn.out, this.ch.id, c.tag, true);
      this.ch.conn.output.scheduleFlush();
    }
  }

  get(queueName: string, noAck: boolean): void {
    const ch = this.ch;
    const name = queueName === '' ? ch.lastQueueName : queueName;
    ch.access.check('queue', name, 'read');
    const q = ch.vhost.getQueueFor(name, ch.conn);
    const e = q.get(noAck);
    const st = ch.stats;
    if (e === null) {
      st.getEmpty++;
      writeBasicGetEmpty(ch.conn.out, ch.id);
      return;
    }
    if (noAck) st.getNoAck++;
    else st.get++;
    if (e.redelivered) st.redeliver++;
    e.deliveryCount++;
    const tag = ++this.nextTag;
    const msg = e.msg;
    const out = ch.conn.out;
    writeBasicGetOk(out, ch.id, tag, e.redelivered, msg.exchange, msg.routingKey, q.messageCount);
    writeContentHeader(out, ch.id, 60, msg.bodySize, amqpProps(q, e));
    if (msg.bodySize !== 0) writeBody(out, ch.id, msg.bodyParts, ch.conn.frameMax);
    if (!noAck) this.track(new Delivery(tag, e, q, null, msg.bodySize, roughNow()));
    else this.gone(e);
  }

  // Hot path: the queue hands a message to one of this channel's consumers.
  deliver(c: AmqpConsumer, entry: QueuedMessage, queue: Queue): void {
    const tag = ++this.nextTag;
    const msg = entry.msg;
    const st = this.ch.stats;
    if (entry.redelivered) st.redeliver++;
    this.writeDeliver(c.tag, tag, entry.redelivered, msg, amqpProps(queue, entry));
    if (c.noAck) {
      st.deliverNoAck++;
      this.gone(entry);
    } else {
      st.deliver++;
      const size = msg.bodySize;
      this.track(new Delivery(tag, entry, queue, c, size, roughNow()));
      c.unackedCount++;
      c.unackedBytes += size;
    }
  }

  private writeDeliver(
    consumerTag: string,
    tag: number,
    redelivered: boolean,
    msg: Message,
    props: Buffer = msg.propsIn(amqpFormat),
  ): void {
    const ch = this.ch;
    const out = ch.conn.out;
    out.frameBoundary();
    writeBasicDeliver(out, ch.id, consumerTag, tag, redelivered, msg.exchange, msg.routingKey);
    writeContentHeader(out, ch.id, 60, msg.bodySize, props);
    if (msg.bodySize !== 0) writeBody(out, ch.id, msg.bodyParts, ch.conn.frameMax);
    ch.conn.output.scheduleFlush();
  }

  private track(d: Delivery): void {
    this.unacked.set(d.tag, d);
    this.unackedBytes += d.size;
  }

  // ---- ack, nack, reject, recover --------------------------------------------------------------

  ack(tag: number, multiple: boolean): void {
    this.settle(tag, multiple, 'ack');
  }

  nack(tag: number, multiple: boolean, requeue: boolean): void {
    this.settle(tag, multiple, requeue ? 'requeue' : 'discard');
  }

  private settle(tag: number, multiple: boolean, kind: 'ack' | 'requeue' | 'discard'): void {
    // amqp0-9-1.xml basic.ack: multiple with tag 0 means "all outstanding"; otherwise the tag must be unacked
    if (!(multiple && tag === 0) && !this.unacked.has(tag)) {
      throw channelError(406, `unknown delivery tag ${tag}`);
    }
    if (this.ch.txMode) {
      this.txAcks.push(new TxAck(tag, multiple, kind));
      return;
    }
    this.apply(tag, multiple, kind);
  }

  private apply(tag: number, multiple: boolean, kind: 'ack' | 'requeue' | 'discard'): void {
    if (!multiple) {
      const d = this.unacked.get(tag);
      if (d === undefined) return;
      this.release(d);
      if (kind === 'ack') {
        d.queue.ack(d.entry);
        this.gone(d.entry);
        this.ch.stats.ack++;
      } else if (kind === 'discard') d.queue.discard(d.entry);
      else d.queue.requeue([d.entry], true);
    } else {
      const taken = this.unacked.upTo(tag);
      for (const d of taken) this.release(d);
      if (kind === 'requeue') requeueAll(taken, true);
      else if (kind === 'ack') {
        this.ch.stats.ack += taken.length;
        for (const d of taken) {
          d.queue.ack(d.entry);
          this.gone(d.entry);
        }
      } else for (const d of taken) d.queue.discard(d.entry);
    }
    // a connection-wide limit (the spec's global=true) frees room for every channel's consumers
    if (this.ch.conn.qosCount !== 0 || this.ch.conn.qosSize !== 0) this.ch.conn.resumeConsumers();
    else this.resumeConsumers();
  }

  /**
   * The message left its queue for good (delivered or got with no-ack, or acked). If that was its only queue and it
   * was never logged (the store may still be writing a logged body), nothing but this connection's socket
   * holds its body: a pooled one goes back to the pool once the socket has written it (util/body-pool.ts).
   */
  private gone(e: QueuedMessage): void {
    const m = e.msg;
    if (m.pooledBody && m.soleCopy && e.seg === -1) this.ch.conn.output.releaseAfterWrite(m);
  }

  /** Forget a delivery and give its consumer its credit back. */
  private release(d: Delivery): void {
    this.unacked.delete(d.tag);
    this.unackedBytes -= d.size;
    const c = d.consumer;
    if (c !== null) {
      c.unackedCount--;
      c.unackedBytes -= d.size;
    }
  }

  /** basic.recover: requeue=true requeues; false redelivers to the original consumer (as the spec says). */
  recover(requeue: boolean, sync: boolean): void {
    const all = [...this.unacked.values()];
    for (const d of all) this.release(d);
    if (requeue) {
      requeueAll(all);
    } else {
      const back: Delivery[] = [];
      for (const d of all) {
        const c = d.consumer;
        if (c !== null && this.consumers.get(c.tag) === c) {
          d.entry.redelivered = true;
          // a redelivery that never goes back through the queue: count it on both, as the queue would
          const st = this.ch.stats;
          st.deliver++;
          st.redeliver++;
          d.queue.stats.deliver++;
          d.queue.stats.redeliver++;
          const tag = ++this.nextTag;
          this.writeDeliver(c.tag, tag, true, d.entry.msg);
          this.track(new Delivery(tag, d.entry, d.queue, c, d.size, roughNow()));
          c.unackedCount++;
          c.unackedBytes += d.size;
        } else {
          back.push(d);
        }
      }
      requeueAll(back);
    }
    if (sync) writeBasicRecoverOk(this.ch.conn.out, this.ch.id);
    this.resumeConsumers();
  }

  txCommit(): void {
    const acks = this.txAcks;
    this.txAcks = [];
    for (const a of acks) this.apply(a.tag, a.multiple, a.kind);
  }

  txRollback(): void {
    this.txAcks = [];
  }

  // ---- flow ------------------------------------------------------------------------------------

  /** Give starved consumers (or all, after a qos change) another chance. */
  resumeConsumers(all = false): void {
    for (const c of this.consumers.values()) {
      if (c.starved || all) {
        c.starved = false;
        c.queue.dispatch();
      }
    }
  }

  oldestUnackedAt(): number {
    return this.unacked.first()?.at ?? Infinity;
  }

  /**
   * The consumer timeout an unacked delivery has exceeded at `now` (ms), or 0. A queue's own
   * x-consumer-timeout (or consumer-timeout policy) overrides the broker's. Deliveries are in time order,
   * so the walk stops at the first one too young for any timeout in play.
   */
  timedOut(now: number, brokerTimeout: number): number {
    let min = brokerTimeout > 0 ? brokerTimeout : Infinity;
    for (const c of this.consumers.values()) {
      const t = c.queue.settings.consumerTimeout;
      if (t >= 0 && t < min) min = t;
    }
    if (min === Infinity) return 0;
    for (const d of this.unacked.values()) {
      if (d.at >= now - min) return 0;
      const qt = d.queue.settings.consumerTimeout;
      const t = qt >= 0 ? qt : brokerTimeout;
      if (t > 0 && d.at < now - t) return t;
    }
    return 0;
  }

  /** Channel closing: consumers leave their queues, unacked messages go back in order. */
  teardown(): void {
    const cs = [...this.consumers.values()];
    this.consumers.clear();
    for (const c of cs) c.queue.removeConsumer(c);
    if (this.replyAddress !== null) {
      this.ch.conn.server.replyTo.unregister(this.replyAddress);
      this.replyAddress = null;
    }
    const all = [...this.unacked.values()];
    this.unacked.clear();
    this.unackedBytes = 0;
    this.txAcks = [];
    requeueAll(all);
  }
}

/**
 * Requeue deliveries, grouped by queue, each queue in one call (order restored by seq). `byClient`: a
 * nack/reject with requeue=true (x-requeue-delay applies), not a channel closing or a recover.
 */
function requeueAll(ds: Delivery[], byClient = false): void {
  if (ds.length === 0) return;
  const byQueue = new Map<Queue, QueuedMessage[]>();
  for (const d of ds) {
    let l = byQueue.get(d.queue);
    if (!l) byQueue.set(d.queue, (l = []));
    l.push(d.entry);
  }
  for (const [q, entries] of byQueue) q.requeue(entries, byClient);
}

/**
 * The AMQP properties of a delivery: the queue's view (quorum queues add x-delivery-count) of an AMQP
 * message, or an MQTT/STOMP message's properties converted to AMQP (RabbitMQ mc conversion at delivery).
 */
function amqpProps(q: Queue, e: QueuedMessage): Buffer {
  const m = e.msg;
  if (m.format === amqpFormat) return q.propsFor(e);
  const p = m.propsIn(amqpFormat);
  return q.type === 'quorum' ? amqpFormat.withIntHeader(p, 'x-delivery-count', e.deliveryCount - 1) : p;
}
