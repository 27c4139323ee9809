// A STOMP SUBSCRIBE as a core consumer: ack mode auto (no-ack), client (cumulative) or client-individual,
// with a prefetch (RabbitMQ's prefetch-count header; default unlimited).
import type { QueuedMessage } from '../../core/message.js';
import type { Consumer } from '../../core/queue/consumer.js';
import type { Queue } from '../../core/queue/queue.js';
import type { StompConnection } from './connection.js';

export type AckMode = 'auto' | 'client' | 'client-individual';

export class StompSubscription implements Consumer {
  readonly exclusive = false;
  readonly priority = 0;
  unacked = 0;
  starved = false;

  constructor(
    readonly tag: string,
    readonly conn: StompConnection,
    readonly id: string,
    readonly destination: string,
    readonly queue: Queue,
    readonly ack: AckMode,
    readonly prefetch: number,
    /** Delete the queue on UNSUBSCRIBE (durable topic subscriptions with durable/persistent:true). */
    readonly durableTopic: boolean,
    /** SUBSCRIBE carried an id (STOMP 1.0 allows none: RabbitMQ then omits the subscription header). */
    readonly explicitId = true,
  ) {}

  get noAck(): boolean {
    return this.ack === 'auto';
  }

  canTake(_entry: QueuedMessage): boolean {
    if (!this.conn.connected) return false;
    if (!this.conn.canWrite() || (this.prefetch !== 0 && !this.noAck && this.unacked >= this.prefetch)) {
      this.starved = true;
      return false;
    }
    return true;
  }

  excludes(_entry: QueuedMessage): boolean {
    return false;
  }

  deliver(entry: QueuedMessage, queue: Queue): void {
    this.conn.deliver(this, entry, queue);
  }

  cancelByServer(_queue: Queue): void {
    this.conn.subscriptionCancelled(this);
  }
}
