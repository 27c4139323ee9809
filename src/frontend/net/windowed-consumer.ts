// An MQTT subscription queue's consumer and a STOMP subscription ask their queue for messages the same way:
// not before the connection is up, and only while its output has room and the acked deliveries still
// outstanding are under the consumer's window (MQTT QoS 1 in-flight prefetch, STOMP prefetch-count). A
// refusal for room or window marks the consumer starved, so its connection dispatches the queue again when
// a PUBACK / ACK or the socket's 'drain' frees some. (AMQP's consumer has its own: prefetch size, global
// qos, channel.flow, no_local.)
import type { QueuedMessage } from '../../core/message.js';
import type { Consumer } from '../../core/queue/queue.js';
import type { Queue } from '../../core/queue/queue.js';

export abstract class WindowedConsumer implements Consumer {
  readonly exclusive = false;
  readonly priority = 0;
  /** Delivered and not yet acknowledged; the connection counts them up and down. */
  unacked = 0;
  /** Refused a message for lack of window or output room; dispatch its queue when that changes. */
  starved = false;

  constructor(
    readonly tag: string,
    readonly queue: Queue,
    readonly noAck: boolean,
    /** Most unacked deliveries at once (Infinity: no limit). */
    private readonly window: number,
  ) {}

  /** The connection takes deliveries: its session is established and not closing. */
  protected abstract connected(): boolean;
  /** Room in the connection's output (writer and socket under their high-water marks). */
  protected abstract canWrite(): boolean;

  // Hot path: called by the queue for each candidate message.
  canTake(_entry: QueuedMessage): boolean {
    if (!this.connected()) return false;
    if (!this.canWrite() || this.unacked >= this.window) {
      this.starved = true;
      return false;
    }
    return true;
  }

  excludes(_entry: QueuedMessage): boolean {
    return false;
  }

  abstract deliver(entry: QueuedMessage, queue: Queue): void;
  abstract cancelByServer(queue: Queue): void;
}
