// What the core needs of a consumer. Front ends implement it (an AMQP basic.consume, later an MQTT
// subscription or a STOMP SUBSCRIBE); the queue only asks "can you take this now?" and hands it over.
import type { QueuedMessage } from '../message.js';
import type { Queue } from './queue.js';

export interface Consumer {
  readonly tag: string;
  readonly noAck: boolean;
  readonly exclusive: boolean;
  /** x-priority consumer argument; higher is served first (RabbitMQ consumer priorities). */
  readonly priority: number;
  /** Prefetch, flow, socket room, no_local: may this consumer be sent `entry` right now? */
  canTake(entry: QueuedMessage): boolean;
  /** Will this consumer never take `entry`, whatever its credit? (AMQP no_local: published on its connection.) */
  excludes(entry: QueuedMessage): boolean;
  /** Hand over the message. For noAck consumers the queue forgets it; else it counts as unacked. */
  deliver(entry: QueuedMessage, queue: Queue): void;
  /** The queue was deleted under the consumer (AMQP: server-sent basic.cancel). */
  cancelByServer(queue: Queue): void;
  /** Where the consumer lives, for management (GET /api/consumers). */
  describe?(): ConsumerInfo;
}

export interface ConsumerInfo {
  /** ClientConnection id. */
  connectionId: number;
  channel: number;
  prefetchCount: number;
  args: Record<string, unknown>;
}

/** The connection a queue is exclusive to, or a message was published on. */
export interface Owner {
  readonly id: number;
}

/** A publisher that a queue's flow control can pause (AMQP: the connection stops reading its socket). */
export interface FlowControlled {
  flowResume(q: Queue): void;
}
