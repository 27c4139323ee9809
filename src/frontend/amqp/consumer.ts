// An AMQP consumer (basic.consume) as the core sees it: it tells its queue whether it can take a message
// now (prefetch count and size, per consumer and per channel; channel.flow; output room; no_local) and
// writes the basic.deliver when handed one.
import type { QueuedMessage } from '../../core/message.js';
import type { ConsumerInfo } from '../../core/queue/consumer.js';
import type { Consumer } from '../../core/queue/queue.js';
import type { Queue } from '../../core/queue/queue.js';
import type { ChannelContext } from './context.js';

/** What a consumer needs of its channel's deliveries (deliveries.ts implements it). */
export interface DeliverySink {
  /** basic.qos global=true limits (0: none) and what the channel holds unacked. */
  readonly globalPrefetchCount: number;
  readonly globalPrefetchSize: number;
  readonly unackedBytes: number;
  readonly unacked: {
    readonly size: number;
    get(tag: number): { readonly entry: QueuedMessage } | undefined;
  };
  /** The last delivery tag handed out on the channel. */
  readonly lastTag: number;
  deliver(c: AmqpConsumer, entry: QueuedMessage, queue: Queue): void;
  serverCancel(c: AmqpConsumer): void;
}

export class AmqpConsumer implements Consumer {
  unackedCount = 0;
  unackedBytes = 0;
  /** Refused a message for lack of credit or output room; dispatch its queue when that changes. */
  starved = false;
  /** basic.consume's arguments (management's consumer_details). */
  args: Record<string, unknown> = {};

  constructor(
    readonly tag: string,
    readonly ch: ChannelContext,
    readonly deliveries: DeliverySink,
    readonly queue: Queue,
    readonly noAck: boolean,
    readonly exclusive: boolean,
    readonly priority: number,
    readonly noLocal: boolean,
    /** basic.qos global=false in force when the consumer started (RabbitMQ per-consumer prefetch). */
    readonly prefetchCount: number,
    readonly prefetchSize: number,
  ) {}

  describe(): ConsumerInfo {
    return { connectionId: this.ch.conn.id, channel: this.ch.id, prefetchCount: this.prefetchCount, args: this.args };
  }

  // Hot path: called by the queue for each candidate message.
  canTake(entry: QueuedMessage): boolean {
    const ch = this.ch;
    if (!ch.flowActive || ch.closing || ch.conn.dead) return false;
    const output = ch.conn.output;
    if (!output.canWrite()) {
      this.starved = true;
      output.wantsResume = true;
      return false;
    }
    // amqp0-9-1.xml basic.consume no-local: never deliver to the connection that published
    if (this.noLocal && entry.msg.publisherId === ch.conn.id) return false;
    // amqp0-9-1.xml basic.qos: prefetch is ignored for no-ack consumers
    if (this.noAck) return true;
    const size = entry.msg.bodySize;
    if (this.prefetchCount !== 0 && this.unackedCount >= this.prefetchCount) return this.starve();
    // basic.qos prefetch-size: limits messages sent in advance; a single message always goes when the
    // consumer holds none ("the server MUST ignore this setting when the client is not processing any
    // messages"). RabbitMQ refuses non-zero sizes with 540; Warren implements the spec.
    if (this.prefetchSize !== 0 && this.unackedBytes !== 0 && this.unackedBytes + size > this.prefetchSize) {
      return this.starve();
    }
    const d = this.deliveries;
    if (d.globalPrefetchCount !== 0 && d.unacked.size >= d.globalPrefetchCount) return this.starve();
    if (d.globalPrefetchSize !== 0 && d.unackedBytes !== 0 && d.unackedBytes + size > d.globalPrefetchSize) {
      return this.starve();
    }
    // the spec's basic.qos global=true (advertiseRabbitmq off): the whole connection
    const conn = ch.conn;
    if (conn.qosCount !== 0 && conn.unackedTotal() >= conn.qosCount) return this.starve();
    if (conn.qosSize !== 0) {
      const held = conn.unackedBytesTotal();
      if (held !== 0 && held + size > conn.qosSize) return this.starve();
    }
    return true;
  }

  excludes(entry: QueuedMessage): boolean {
    return this.noLocal && entry.msg.publisherId === this.ch.conn.id;
  }

  private starve(): false {
    this.starved = true;
    return false;
  }

  deliver(entry: QueuedMessage, queue: Queue): void {
    try {
      this.deliveries.deliver(this, entry, queue);
    } catch (e) {
      // This runs in the publisher's call stack (enqueue → dispatch): a bug here must not reach the
      // publisher, nor lose the message. The message goes back to the queue (a no-ack delivery was
      // counted as done: it goes back too, since it never left) and only this connection is closed (541).
      const d = this.deliveries;
      const tracked = d.unacked.get(d.lastTag)?.entry === entry;
      if (!tracked) {
        if (this.noAck) queue.unackedCount++;
        queue.requeue([entry]);
      }
      this.ch.conn.deliveryFailed(e);
    }
  }

  cancelByServer(_queue: Queue): void {
    this.deliveries.serverCancel(this);
  }
}
