// A binding: source exchange -> destination (queue or exchange) with a routing key and arguments.
// Identity is (source, destination, key, arguments), as in RabbitMQ: the same key with other arguments is
// another binding.
import type { Exchange } from './exchange/exchange.js';
import type { Queue } from './queue/queue.js';

export type Destination = Queue | Exchange;

export class Binding {
  readonly id: string;
  constructor(
    readonly source: Exchange,
    readonly destination: Destination,
    readonly routingKey: string,
    readonly args: Record<string, unknown>,
  ) {
    this.id = bindingId(destination, routingKey, args);
  }
}

export function bindingId(dest: Destination, routingKey: string, args: Record<string, unknown>): string {
  return `${dest.kind}\u0000${dest.name}\u0000${routingKey}\u0000${argsKey(args)}`;
}

/** A canonical form of an argument table, for equality (key order does not matter). */
export function argsKey(args: Record<string, unknown>): string {
  const keys = Object.keys(args);
  if (keys.length === 0) return '';
  keys.sort();
  return JSON.stringify(keys.map((k) => [k, args[k]]));
}
