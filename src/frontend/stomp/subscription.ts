// A STOMP SUBSCRIBE as a core consumer: ack mode auto (no-ack), client (cumulative) or client-individual,
// with a prefetch (RabbitMQ's prefetch-count header; default unlimited). Whether the connection can take a
// message now (output room, prefetch window) is the shared WindowedConsumer's.
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { WindowedConsumer } from '../net/windowed-consumer.js';
import type { StompConnection } from './connection.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export class StompSubscription extends WindowedConsumer {
  constructor(
    tag: string,
    readonly conn: StompConnection,
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
  }

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
