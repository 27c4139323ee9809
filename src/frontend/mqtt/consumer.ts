// An MQTT subscription queue's consumer (RabbitMQ: one basic.consume per subscription queue, no-ack for
// the QoS 0 queue, acked with prefetch for the QoS 1 queue). Whether the connection can take a message now
// (output room, in-flight window) is the shared WindowedConsumer's; this turns a delivery into a PUBLISH
// through the interface below, which the MQTT session implements (the consumer does not import it).
import type { QueuedMessage } from '../../core/message.js';
import type { Queue } from '../../core/queue/queue.js';
import { WindowedConsumer } from '../net/windowed-consumer.js';

/** What the consumer needs of its connection. */
export interface MqttConsumerHost {
  /** The session is established and not closing. */
  readonly open: boolean;
  /** Room in the connection's output. */
  canWrite(): boolean;
  /** Write `entry` as a PUBLISH (hot path). */
  deliver(c: MqttConsumer, entry: QueuedMessage, queue: Queue): void;
  /** The queue cancelled the consumer (deleted). */
  consumerCancelled(c: MqttConsumer): void;
}

export class MqttConsumer extends WindowedConsumer {
  constructor(
    tag: string,
    readonly conn: MqttConsumerHost,
    queue: Queue,
    /** The queue's QoS: 0 = no-ack consumer; 1 and 2 acked (2: at PUBREC). */
    readonly qos: 0 | 1 | 2,
    /** In-flight QoS 1 window (RabbitMQ mqtt.prefetch, bounded by MQTT 5 Receive Maximum). */
    readonly prefetch: number,
  ) {
    super(tag, queue, qos === 0, qos === 0 ? Infinity : prefetch);
  }

  protected connected(): boolean {
    return this.conn.open;
  }

  protected canWrite(): boolean {
    return this.conn.canWrite();
  }

  deliver(entry: QueuedMessage, queue: Queue): void {
    this.conn.deliver(this, entry, queue);
  }

  cancelByServer(_queue: Queue): void {
    this.conn.consumerCancelled(this);
  }
}
