// The exchange base: identity, flags, the binding set, and the contract of a type's routing index.
// Each type (one file each) keeps its own index for routing without scanning every binding per message.
// The exchange layer sits below the queue: a queue destination is the QueueDestination interface it declares
// (Queue implements it), so this file never imports the queue.
import { bindingId } from '../binding.js';
import type { Message } from '../message.js';
import { DedupCache, dedupOptions, type DedupOptions } from '../dedup.js';

export type ExchangeType = 'direct' | 'fanout' | 'topic' | 'headers' | string;

/** A queue as a binding's destination: what exchanges, bindings and their listings use of it. */
export interface QueueDestination {
  readonly kind: 'queue';
  readonly name: string;
  readonly durable: boolean;
  /** Bindings with this queue as destination (for cleanup and listing). */
  readonly bindings: Set<Binding>;
  /** VHost.route's mark: the routing generation that last reached this queue. */
  routeMark: number;
}

export type Destination = QueueDestination | Exchange;

/** A binding: source exchange -> destination (queue or exchange) with a routing key and arguments. */
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

export abstract class Exchange {
  readonly kind = 'exchange' as const;
  abstract readonly type: ExchangeType;
  /** Bindings with this exchange as source, by binding id. */
  readonly bindings = new Map<string, Binding>();
  /** Bindings with this exchange as destination (exchange-to-exchange), for cleanup on delete. */
  readonly incoming = new Set<Binding>();
  /** Set by the vhost from the alternate-exchange argument (or a policy, later). */
  alternateExchange: string | null = null;
  /** Wire type names of the arguments (for RabbitMQ's error texts). */
  argTypes: Record<string, string> = {};
  /** x-message-deduplication on this exchange, else null. */
  readonly dedup: DedupCache | null;
  /**
   * Management's exchange message_stats (rabbit_mgmt_format): publish_in counts messages published into
   * this exchange, publish_out the copies it routed to queues. Bumped in place by the front ends' publish
   * path, sampled by the management timer.
   */
  readonly stats = { publishIn: 0, publishOut: 0 };
  /** VHost.route's mark: the routing generation that last reached this exchange (loops, duplicates). */
  routeMark = 0;

  constructor(
    readonly name: string,
    readonly vhost: string,
    readonly durable: boolean,
    readonly autoDelete: boolean,
    readonly internal: boolean,
    readonly args: Record<string, unknown>,
  ) {
    const ae = args['alternate-exchange'];
    if (typeof ae === 'string') this.alternateExchange = ae;
    const d = this.dedupOptionsFrom(args);
    this.dedup = d === null ? null : new DedupCache(`${vhost}\u0000exchange\u0000${name}`, d);
  }

  /** Deduplication from the arguments (x-message-deduplication), else null; a type may always deduplicate. */
  protected dedupOptionsFrom(args: Record<string, unknown>): DedupOptions | null {
    return dedupOptions(args);
  }

  /** Add a binding; false if it already existed (bindings are idempotent). */
  bind(destination: Destination, routingKey: string, args: Record<string, unknown>): Binding | null {
    const id = bindingId(destination, routingKey, args);
    if (this.bindings.has(id)) return null;
    const b = new Binding(this, destination, routingKey, args);
    this.bindings.set(id, b);
    this.addToIndex(b);
    return b;
  }

  /**
   * Whether this binding exists. RabbitMQ 3.x makes unbinding idempotent (rabbit_binding:remove): a missing queue,
   * exchange or binding answers unbind-ok, and an exclusive queue's lock (405) is checked only for a binding that
   * exists. Clients rely on it: aio-pika unbinds in clean-ups after an auto-delete exchange or queue went.
   */
  hasBinding(destination: Destination, routingKey: string, args: Record<string, unknown>): boolean {
    return this.bindings.has(bindingId(destination, routingKey, args));
  }

  unbind(destination: Destination, routingKey: string, args: Record<string, unknown>): Binding | null {
    const id = bindingId(destination, routingKey, args);
    const b = this.bindings.get(id);
    if (!b) return null;
    this.bindings.delete(id);
    this.removeFromIndex(b);
    return b;
  }

  /** Remove every binding to `destination` (queue or exchange deleted). */
  unbindAll(destination: Destination): Binding[] {
    const removed: Binding[] = [];
    for (const b of this.bindings.values()) {
      if (b.destination === destination) removed.push(b);
    }
    for (const b of removed) {
      this.bindings.delete(b.id);
      this.removeFromIndex(b);
    }
    return removed;
  }

  /**
   * Append the destinations `msg` routes to onto `out` (duplicates allowed; the router dedups).
   * Hot path: no allocation beyond what `out` needs.
   */
  abstract route(msg: Message, out: Destination[]): void;

  /** Append the destinations of one more routing key (CC/BCC); types that ignore keys route none. */
  routeKey(_key: string, _out: Destination[]): void {}

  /** The destinations of `msg`'s CC and BCC keys (rabbit_exchange:route with header routes). */
  routeExtra(msg: Message, out: Destination[]): void {
    if (msg.cc !== null) for (const k of msg.cc) this.routeKey(k, out);
    if (msg.bcc !== null) for (const k of msg.bcc) this.routeKey(k, out);
  }
  protected abstract addToIndex(b: Binding): void;
  protected abstract removeFromIndex(b: Binding): void;
}

/**
 * Count of each destination under one key, so two bindings (different args) to one queue route once. The
 * destinations are also kept as an array, rebuilt on the next route after a change: routing appends them
 * with an indexed loop instead of a Map iterator per message.
 */
export class DestinationCounts {
  /**
   * The destination while there is only one (most keys of a large set of bindings have one: 1,000,000 bindings
   * of distinct keys held a Map each, ~200 B a binding; bench/limits/bindings.ts), with its binding count.
   */
  private one: Destination | null = null;
  private oneCount = 0;
  /** From the second destination on: each with its count. */
  private map: Map<Destination, number> | null = null;
  private list: Destination[] | null = null;
  add(d: Destination): void {
    this.list = null;
    if (this.map !== null) this.map.set(d, (this.map.get(d) ?? 0) + 1);
    else if (this.one === null || this.one === d) {
      this.one = d;
      this.oneCount++;
    } else {
      this.map = new Map([
        [this.one, this.oneCount],
        [d, 1],
      ]);
      this.one = null;
      this.oneCount = 0;
    }
  }
  /** Returns true when the set became empty. */
  remove(d: Destination): boolean {
    this.list = null;
    if (this.map === null) {
      if (this.one === d && --this.oneCount === 0) this.one = null;
      return this.one === null;
    }
    const n = this.map.get(d);
    if (n === undefined) return this.map.size === 0;
    if (n <= 1) this.map.delete(d);
    else this.map.set(d, n - 1);
    return this.map.size === 0;
  }
  appendTo(out: Destination[]): void {
    if (this.map === null) {
      if (this.one !== null) out.push(this.one);
      return;
    }
    const l = (this.list ??= [...this.map.keys()]);
    for (let i = 0; i < l.length; i++) out.push(l[i]!);
  }
}
