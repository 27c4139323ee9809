// One AMQP channel: its state (modes, flow, the last queue declared, permissions, stats) and its three parts,
// the publishing side (publish.ts), publisher confirms (confirms.ts) and the consuming side (deliveries.ts).
// Its methods are handled by handlers/*.ts, one file per AMQP class, dispatched by handlers/index.ts.
import { newChannelStats, type ChannelStats } from '../../core/broker.js';
import { writeChannelClose } from '../../codec/amqp/methods.generated.js';
import type { VHost } from '../../core/vhost.js';
import { AccessCache } from '../../core/auth/permissions.js';
import { PublisherConfirms } from './confirms.js';
import type { AmqpConnectionContext, ChannelContext } from './context.js';
import { ChannelDeliveries } from './deliveries.js';
import { ConnectionReplyCode, connectionError, replyText } from './errors.js';
import { ChannelPublisher } from './publish.js';

export class AmqpChannel implements ChannelContext {
  closing = false;
  flowActive = true;
  confirmMode = false;
  txMode = false;
  /**
   * amqp0-9-1.xml queue.declare / queue.bind: an empty queue name means the last queue declared on
   * this channel.
   */
  lastQueueName = '';
  readonly stats: ChannelStats = newChannelStats();
  readonly access: AccessCache;
  readonly deliveries: ChannelDeliveries;
  readonly confirms: PublisherConfirms;
  readonly publisher: ChannelPublisher;

  constructor(
    readonly conn: AmqpConnectionContext,
    readonly id: number,
  ) {
    this.access = new AccessCache(conn.userObj!, conn.vhost);
    this.deliveries = new ChannelDeliveries(this);
    this.confirms = new PublisherConfirms(this);
    this.publisher = new ChannelPublisher(this, this.deliveries, this.confirms);
  }

  get vhost(): VHost {
    return this.conn.vhostObj!;
  }

  topicVars(): { username: string; vhost: string } {
    return { username: this.conn.user, vhost: this.conn.vhost };
  }

  // Hot path for basic.publish / basic.ack; everything else is rare.
  /** amqp0-9-1 §4.2.6: content frames follow their method without interleaving on a channel. */
  checkNotExpectingContent(): void {
    if (this.publisher.expectingContent()) {
      throw connectionError(
        ConnectionReplyCode.UNEXPECTED_FRAME,
        `expected content header for class 60, got non content header frame instead`,
      );
    }
  }

  /** Close this channel from the server side (a channel error): amqp0-9-1.xml channel.close. */
  closeWithError(code: number, text: string, classId: number, methodId: number): void {
    if (this.closing) return;
    this.closing = true;
    this.teardown();
    writeChannelClose(this.conn.out, this.id, code, text, classId, methodId);
    this.conn.output.scheduleFlush();
  }

  /**
   * The broker's consumer_timeout, or the queue's x-consumer-timeout / consumer-timeout policy: a delivery
   * unacked for longer closes the channel (406, RabbitMQ's text). Returns true if it did.
   */
  consumerTimedOut(now: number, brokerTimeout: number): boolean {
    const timeout = this.deliveries.timedOut(now, brokerTimeout);
    if (timeout === 0) return false;
    this.closeWithError(
      406,
      replyText(
        406,
        `delivery acknowledgement on channel ${this.id} timed out. Timeout value used: ${timeout} ms. ` +
          `This timeout value can be configured, see consumers doc guide to learn more`,
      ),
      0,
      0,
    );
    return true;
  }

  /** Release the channel's consumers and requeue its unacked messages. Idempotent. */
  teardown(): void {
    this.publisher.teardown();
    this.deliveries.teardown();
  }
}
