// The delayed-message exchange, without a plugin: type 'x-delayed-message' with argument 'x-delayed-type'
// (direct, fanout, topic or headers), compatible with rabbitmq-delayed-message-exchange. A message with a
// positive integer `x-delay` header (ms) is held and routed by the underlying type when due, with x-delay
// negated in its headers (the plugin's "was delayed" marker); others route at once. At publish a delayed
// message routes nowhere, so a mandatory publish is returned (as with the plugin). All of an exchange's
// pending messages share one heap and one timer. When the exchange is durable they are written to the
// vhost's DelayedStore and come back after a restart.
import { TimerHeap } from '../../util/timer-heap.js';
import { preconditionFailed } from '../errors.js';
import { Message } from '../message.js';
import { DirectExchange } from './direct.js';
import { Exchange, type Binding, type Destination } from './exchange.js';
import { FanoutExchange } from './fanout.js';
import { HeadersExchange } from './headers.js';
import { TopicExchange } from './topic.js';

type ExchangeClass = new (
  name: string,
  vhost: string,
  durable: boolean,
  autoDelete: boolean,
  internal: boolean,
  args: Record<string, unknown>,
) => Exchange;

const UNDERLYING: Record<string, ExchangeClass> = {
  direct: DirectExchange,
  fanout: FanoutExchange,
  topic: TopicExchange,
  headers: HeadersExchange,
};

/** A pending delayed message as a store keeps it. */
export interface DelayedRecord {
  id: string;
  vhost: string;
  /** The delayed exchange holding it. */
  exchange: string;
  /** Due time, ms since the epoch. */
  due: number;
  message: Message;
}

/** Where delayed messages of durable exchanges are kept across restarts (storage implements it). */
export interface DelayedStore {
  add(r: DelayedRecord): void;
  remove(id: string): void;
}

/** What a delayed exchange needs from its vhost. */
export interface DelayedHost {
  readonly delayedStore: DelayedStore | null;
  /** Route `msg` from `x` by the underlying type now and enqueue it. */
  releaseDelayed(x: DelayedExchange, msg: Message): void;
}

/** rabbit_exchange_type_delayed_message:validate/1. */
export function validateDelayedArgs(args: Record<string, unknown>): void {
  const t = args['x-delayed-type'];
  if (typeof t !== 'string' || !(t in UNDERLYING)) {
    throw preconditionFailed(`Invalid argument, 'x-delayed-type' must be an existing exchange type`);
  }
}

let nextId = 0;

class Pending {
  constructor(
    readonly id: string,
    readonly msg: Message,
  ) {}
}

export class DelayedExchange extends Exchange {
  readonly type = 'x-delayed-message';
  /** The underlying type's routing index (bindings live on both: this for listing, inner for routing). */
  readonly inner: Exchange;
  host: DelayedHost | null = null;
  /** Set while a due message is being routed, so route() does not delay it again. */
  private releasing: Message | null = null;
  /** The message route() last held back (the vhost then skips the alternate exchange for it). */
  held: Message | null = null;
  private readonly heap = new TimerHeap<Pending>((p) => this.release(p));

  constructor(
    name: string,
    vhost: string,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: Record<string, unknown>,
  ) {
    super(name, vhost, durable, autoDelete, internal, args);
    const T = UNDERLYING[String(args['x-delayed-type'])] ?? DirectExchange;
    this.inner = new T(name, vhost, durable, autoDelete, internal, {});
  }

  /** Messages waiting (management shows it as messages_delayed). */
  get delayedCount(): number {
    return this.heap.size;
  }

  route(msg: Message, out: Destination[]): void {
    if (this.releasing !== msg) {
      const delay = delayOf(msg);
      if (delay > 0) {
        this.hold(msg, Date.now() + delay, null);
        this.held = msg;
        return;
      }
    }
    this.inner.route(msg, out);
  }

  override routeExtra(msg: Message, out: Destination[]): void {
    // CC/BCC keys count when the message is released, not while it is held
    if (this.releasing === msg || delayOf(msg) <= 0) this.inner.routeExtra(msg, out);
  }

  /** Hold `msg` until `due` (also used by restore, with the stored id). */
  hold(msg: Message, due: number, id: string | null): void {
    const p = new Pending(id ?? `${Date.now().toString(36)}-${(nextId++).toString(36)}`, msg);
    if (id === null && this.durable) {
      this.host?.delayedStore?.add({ id: p.id, vhost: this.vhost, exchange: this.name, due, message: msg });
    }
    this.heap.schedule(due, p);
  }

  private release(p: Pending): void {
    if (this.durable) this.host?.delayedStore?.remove(p.id);
    const h = this.host;
    if (h === null) return;
    const m = p.msg;
    // the plugin marks a delayed message by negating x-delay
    const props = m.format.withIntHeader(m.props, 'x-delay', -delayOf(m));
    const out = new Message(
      m.format,
      m.exchange,
      m.routingKey,
      props,
      m.body,
      m.persistent,
      m.priority,
      m.expiration,
      Date.now(),
      m.publisherId,
    );
    out.cc = m.cc;
    out.bcc = m.bcc;
    this.releasing = out;
    try {
      h.releaseDelayed(this, out);
    } finally {
      this.releasing = null;
    }
  }

  /** The exchange is deleted: its pending messages go (and leave the store). */
  dispose(): void {
    if (this.durable) for (const p of this.heap.items()) this.host?.delayedStore?.remove(p.id);
    this.heap.close();
  }

  protected addToIndex(b: Binding): void {
    this.inner.bind(b.destination, b.routingKey, b.args);
  }

  protected removeFromIndex(b: Binding): void {
    this.inner.unbind(b.destination, b.routingKey, b.args);
  }
}

/** The x-delay header as a positive delay in ms, or 0 (absent, not an integer, or not positive: no delay). */
function delayOf(msg: Message): number {
  const v = msg.headers()?.['x-delay'];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : 0;
}
