// The default exchange (""): every queue is implicitly bound to it with its own name as key
// (amqp0-9-1.xml exchange "default-exchange" rule). It cannot be bound, unbound or deleted.
import type { Message } from '../message.js';
import type { Queue } from '../queue/queue.js';
import { Exchange, type Binding, type Destination } from './exchange.js';

export class DefaultExchange extends Exchange {
  readonly type = 'direct';

  constructor(
    vhost: string,
    private readonly queues: Map<string, Queue>,
  ) {
    super('', vhost, true, false, false, {});
  }

  route(msg: Message, out: Destination[]): void {
    const q = this.queues.get(msg.routingKey);
    if (q !== undefined) out.push(q);
  }

  override routeKey(key: string, out: Destination[]): void {
    const q = this.queues.get(key);
    if (q !== undefined) out.push(q);
  }

  protected addToIndex(_b: Binding): void {}
  protected removeFromIndex(_b: Binding): void {}
}
