// Direct exchange: routes to bindings whose key equals the routing key. One map lookup per message; a miss
// creates nothing (LavinMQ direct.cr).
import type { Message } from '../message.js';
import { DestinationCounts, Exchange, type Binding, type Destination } from './exchange.js';

export class DirectExchange extends Exchange {
  readonly type = 'direct';
  private readonly index = new Map<string, DestinationCounts>();

  route(msg: Message, out: Destination[]): void {
    const d = this.index.get(msg.routingKey);
    if (d !== undefined) d.appendTo(out);
  }

  /** Route an arbitrary key (used for CC/BCC routing keys). */
  override routeKey(key: string, out: Destination[]): void {
    const d = this.index.get(key);
    if (d !== undefined) d.appendTo(out);
  }

  protected addToIndex(b: Binding): void {
    let d = this.index.get(b.routingKey);
    if (!d) this.index.set(b.routingKey, (d = new DestinationCounts()));
    d.add(b.destination);
  }

  protected removeFromIndex(b: Binding): void {
    const d = this.index.get(b.routingKey);
    if (d && d.remove(b.destination)) this.index.delete(b.routingKey);
  }
}
