// A STOMP SUBSCRIBE as a core consumer: ack mode auto (no-ack), client (cumulative) or client-individual,
// with a prefetch (RabbitMQ's prefetch-count header; default unlimited). Whether the connection can take a
// message now (output room, prefetch window) is the shared WindowedConsumer's; deliveries go to the
// connection through the interface below (the subscription does not import the connection).
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { WindowedConsumer } from '../net/windowed-consumer.js';
import { StompError, type StompFrame } from './frame.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

/** RabbitMQ's consumer tag of a subscription (rabbit_stomp_util:consumer_tag): T_<id>, or Q_<destination>
 *  without an id; a session's subscriptions are keyed by it. */
export function subscriptionKey(explicitId: boolean, idOrDestination: string): string {
  return (explicitId ? 'T_' : 'Q_') + idOrDestination;
}

/** RabbitMQ's validate_frame: a durable (or persistent) SUBSCRIBE or UNSUBSCRIBE needs an id. */
export function requireIdIfDurable(f: StompFrame): void {
  if (f.get('id') !== undefined) return;
  if (f.get('durable') === 'true' || f.get('persistent') === 'true') {
    throw new StompError('Missing Header', "Header 'id' is required for durable subscriptions", false);
  }
}

/** The delivery an ACK or NACK names: its delivery tag, and the subscription its consumer tag names. */
export interface AckTarget {
  tag: number;
  sub: StompSubscription;
}

/** What a subscription needs of its connection. */
export interface StompSubscriptionHost {
  /** CONNECTED was sent and the connection is not closing. */
  readonly connected: boolean;
  /** Room in the connection's output. */
  canWrite(): boolean;
  /** Write `entry` as a MESSAGE frame (hot path). */
  deliver(sub: StompSubscription, entry: QueuedMessage, queue: Queue): void;
  /** The queue cancelled the subscription (deleted). */
  subscriptionCancelled(sub: StompSubscription): void;
}

export class StompSubscription extends WindowedConsumer {
  constructor(
    tag: string,
    readonly conn: StompSubscriptionHost,
    readonly id: string,
    readonly destination: string,
    queue: Queue,
    readonly ack: AckMode,
    readonly prefetch: number,
    /** Delete the queue on UNSUBSCRIBE (durable topic subscriptions with durable/persistent:true). */
    readonly durableTopic: boolean,
    /** SUBSCRIBE carried an id (STOMP 1.0 allows none: RabbitMQ then omits the subscription header). */
    readonly explicitId = true,
  ) {
    // prefetch-count 0 (the default) is no limit; an auto-ack subscription has nothing unacked
    super(tag, queue, ack === 'auto', prefetch !== 0 && ack !== 'auto' ? prefetch : Infinity);
    this.key = subscriptionKey(explicitId, id);
  }

  /** The session's key for it: RabbitMQ's consumer tag, T_<id> or Q_<destination>. */
  readonly key: string;

  protected connected(): boolean {
    return this.conn.connected;
  }

  protected canWrite(): boolean {
    return this.conn.canWrite();
  }

  deliver(entry: QueuedMessage, queue: Queue): void {
    this.conn.deliver(this, entry, queue);
  }

  cancelByServer(_queue: Queue): void {
    this.conn.subscriptionCancelled(this);
  }
}
