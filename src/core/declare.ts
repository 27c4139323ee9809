// The shapes of a declare as every protocol hands it to the vhost (AMQP exchange.declare / queue.declare, MQTT
// and STOMP subscriptions, the management API, definitions import), and of the definition changes the vhost
// reports. A leaf: arguments.ts validates a QueueDeclare, vhost.ts applies both.
import type { Binding, Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

export interface ExchangeDeclare {
  type: string;
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  args: Record<string, unknown>;
  /** Wire type name per argument ('signedint', 'longstr', …), when the protocol has them. */
  argTypes?: Record<string, string>;
}

export interface QueueDeclare {
  durable: boolean;
  exclusive: boolean;
  autoDelete: boolean;
  args: Record<string, unknown>;
  /** Wire type name per argument ('signedint', 'longstr', …), when the protocol has them. */
  argTypes?: Record<string, string>;
}

/**
 * What changed, for the frequent definitions (queues, exchanges, bindings): storage appends it to a journal
 * instead of rewriting every definition (100,000 queues: O(n) per declare otherwise).
 */
export type DefinitionChange =
  | { readonly op: 'add-queue' | 'delete-queue'; readonly queue: Queue }
  | { readonly op: 'add-exchange' | 'delete-exchange'; readonly exchange: Exchange }
  | { readonly op: 'add-binding' | 'delete-binding'; readonly binding: Binding };
