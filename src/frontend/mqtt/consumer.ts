// An MQTT subscription queue's consumer (RabbitMQ: one basic.consume per subscription queue, no-ack for
// the QoS 0 queue, acked with prefetch for the QoS 1 queue). It tells the queue whether the connection can
// take a message now (output room, in-flight window) and turns a delivery into a PUBLISH.
import type { QueuedMessage } from '../../core/message.js';
import type { Consumer } from '../../core/queue/consumer.js';
import type { Queue } from '../../core/queue/queue.js';
import type { MqttConnection } from './connection.js';

export class MqttConsumer implements Consumer {
  readonly exclusive = false;
  readonly priority = 0;
  inFlight = 0;
  starved = false;

  constructor(
    readonly tag: string,
    readonly conn: MqttConnection,
    readonly queue: Queue,
    /** The queue's QoS: 0 = no-ack consumer. */
    readonly qos: 0 | 1,
    /** In-flight QoS 1 window (RabbitMQ mqtt.prefetch, bounded by MQTT 5 Receive Maximum). */
    readonly prefetch: number,
  ) {}

  get noAck(): boolean {
    return this.qos === 0;
  }

  canTake(_entry: QueuedMessage): boolean {
    if (!this.conn.open) return false;
    if (!this.conn.canWrite() || (this.qos === 1 && this.inFlight >= this.prefetch)) {
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
    this.conn.consumerCancelled(this);
  }
}
