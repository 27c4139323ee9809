// Fanout exchange: every bound destination gets a copy, whatever the routing key.
import type { Message } from '../message.js';
import { DestinationCounts, Exchange, type ExchangeType, type Binding, type Destination } from './exchange.js';

export class FanoutExchange extends Exchange {
  // widened so the deduplication exchange (a fanout with a cache) can extend it with its own type
  readonly type: ExchangeType = 'fanout';
  private readonly dests = new DestinationCounts();

  route(_msg: Message, out: Destination[]): void {
    this.dests.appendTo(out);
  }

  protected addToIndex(b: Binding): void {
    this.dests.add(b.destination);
  }

  protected removeFromIndex(b: Binding): void {
    this.dests.remove(b.destination);
  }
}
