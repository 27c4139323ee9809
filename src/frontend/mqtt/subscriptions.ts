// One MQTT session's subscriptions with their MQTT 5 options (§3.8.3.1: QoS, No Local, Retain As Published,
// Retain Handling; §3.8.2.1.2: Subscription Identifier). As in RabbitMQ, a subscription *is* the binding of
// its filter's key from the MQTT exchange to the subscription queue of its QoS; an MQTT 5 session keeps the
// options in that binding's arguments (RabbitMQ 4.1's "binding args v2": an `x-mqtt-subscription-opts`
// table and `x-binding-key`), so they come back on a reconnect and, for the durable QoS 1 queue, across a
// restart. MQTT 3.1/3.1.1 bindings carry no arguments. This map is the connection's cache of those
// bindings (rabbit_mqtt_processor's `subscriptions`), loaded from them when a session is resumed.
//
// Deliveries pay nothing for it unless a subscription has an identifier or Retain As Published (`special`
// is null otherwise); publishes only when one has No Local.
import type { Binding } from '../../core/exchange/exchange.js';
import { splitWords } from '../../core/exchange/topic.js';
import { bindingKeyMatches } from './topics.js';

export const OPTS_ARG = 'x-mqtt-subscription-opts';
export const KEY_ARG = 'x-binding-key';

export interface SubscriptionOptions {
  readonly qos: 0 | 1 | 2;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: number;
  /** The Subscription Identifier (1 to 268,435,455), 0 when the SUBSCRIBE had none. */
  readonly id: number;
}

export class Subscription {
  /** The binding key as topic-exchange words, for matching a delivery's routing key. */
  readonly words: readonly string[];
  constructor(
    readonly filter: string,
    /** The binding key (topics.ts filterToBindingKey). */
    readonly key: string,
    readonly opts: SubscriptionOptions,
    /** The binding's arguments (bindingArgs), needed to unbind it. */
    readonly args: Record<string, unknown>,
    /** A shared subscription's queue (shared.ts); null for the session's own queues. */
    readonly shared: string | null = null,
  ) {
    this.words = splitWords(key);
  }

  get special(): boolean {
    return this.opts.id !== 0 || this.opts.retainAsPublished;
  }
}

export function sameOptions(a: SubscriptionOptions, b: SubscriptionOptions): boolean {
  return (
    a.qos === b.qos &&
    a.noLocal === b.noLocal &&
    a.retainAsPublished === b.retainAsPublished &&
    a.retainHandling === b.retainHandling &&
    a.id === b.id
  );
}

/** A subscription's binding arguments: none for MQTT 3.1/3.1.1 (as RabbitMQ), its options for MQTT 5. */
export function bindingArgs(v5: boolean, key: string, o: SubscriptionOptions): Record<string, unknown> {
  if (!v5) return {};
  // the table's keys in rabbit_misc:sort_field_table order; `id` only when the SUBSCRIBE had one
  const t: Record<string, unknown> = {};
  if (o.id !== 0) t['id'] = o.id;
  t['no-local'] = o.noLocal;
  t['qos'] = o.qos;
  t['retain-as-published'] = o.retainAsPublished;
  t['retain-handling'] = o.retainHandling;
  return { [OPTS_ARG]: t, [KEY_ARG]: key };
}

/** The options a binding of the `qos` queue stands for (defaults when it has none: MQTT 3.1.1 or AMQP-made). */
export function optionsFromBinding(b: Binding, qos: 0 | 1 | 2): SubscriptionOptions {
  const t = b.args[OPTS_ARG];
  if (t === null || typeof t !== 'object') {
    return { qos, noLocal: false, retainAsPublished: false, retainHandling: 0, id: 0 };
  }
  const o = t as Record<string, unknown>;
  const id = o['id'];
  const rh = o['retain-handling'];
  return {
    qos,
    noLocal: o['no-local'] === true,
    retainAsPublished: o['retain-as-published'] === true,
    retainHandling: typeof rh === 'number' && rh >= 0 && rh <= 2 ? rh : 0,
    id: typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : 0,
  };
}

/** What a delivery gets from the subscriptions it matched: their identifiers and Retain As Published. */
export interface DeliveryMatch {
  ids: number[];
  retainAsPublished: boolean;
}

export class Subscriptions {
  private readonly byFilter = new Map<string, Subscription>();
  /** The subscriptions a delivery has to look at (an identifier or Retain As Published); null when none. */
  special: Subscription[] | null = null;
  /** How many subscriptions have No Local (a publish checks this connection's own queues only then). */
  noLocal = 0;
  /** How many are shared subscriptions (shared.ts). */
  shared = 0;

  get(filter: string): Subscription | undefined {
    return this.byFilter.get(filter);
  }

  values(): IterableIterator<Subscription> {
    return this.byFilter.values();
  }

  get size(): number {
    return this.byFilter.size;
  }

  /** Adds `s`, replacing the subscription with the same filter (§3.8.4: a SUBSCRIBE replaces it). */
  set(s: Subscription): void {
    this.delete(s.filter);
    this.byFilter.set(s.filter, s);
    if (s.opts.noLocal) this.noLocal++;
    if (s.shared !== null) this.shared++;
    if (s.special) (this.special ??= []).push(s);
  }

  delete(filter: string): Subscription | undefined {
    const old = this.byFilter.get(filter);
    if (old === undefined) return undefined;
    this.byFilter.delete(filter);
    if (old.opts.noLocal) this.noLocal--;
    if (old.shared !== null) this.shared--;
    if (old.special && this.special !== null) {
      const i = this.special.indexOf(old);
      if (i >= 0) this.special.splice(i, 1);
      if (this.special.length === 0) this.special = null;
    }
    return old;
  }

  clear(): void {
    this.byFilter.clear();
    this.special = null;
    this.noLocal = 0;
    this.shared = 0;
  }

  /**
   * For a message from the queue of `qos` (or the shared subscription queue `shared`) routed with `routingKey`: the identifiers of the subscriptions of
   * that queue it matched (§3.3.4: all of them, in one PUBLISH) and whether one keeps the RETAIN flag.
   * `own`: this connection published it, so its No Local subscriptions did not forward it (§3.8.3.1) and
   * add no identifier. Only called when `special` is not null.
   */
  matchDelivery(qos: 0 | 1 | 2, shared: string | null, routingKey: string, own: boolean): DeliveryMatch | null {
    const special = this.special;
    if (special === null) return null;
    let rk: string[] | null = null;
    let m: DeliveryMatch | null = null;
    for (let i = 0; i < special.length; i++) {
      const s = special[i]!;
      if (s.shared !== shared || (shared === null && s.opts.qos !== qos) || (own && s.opts.noLocal)) continue;
      rk ??= splitWords(routingKey);
      if (!bindingKeyMatches(s.words, rk)) continue;
      m ??= { ids: [], retainAsPublished: false };
      if (s.opts.id !== 0 && !m.ids.includes(s.opts.id)) m.ids.push(s.opts.id);
      if (s.opts.retainAsPublished) m.retainAsPublished = true;
    }
    return m;
  }
}

/**
 * [MQTT-4.7.2-1]: a filter starting with a wildcard does not match a topic starting with `$`. The topic
 * exchange routes `$a.b` through the binding `*.*` all the same, so a delivery whose routing key starts
 * with `$` is only sent when a subscription of its queue (`qos`, or the shared queue `shared`) matches it
 * and does not start with a wildcard.
 */
export function dollarTopicMatched(
  subs: Iterable<Subscription>,
  qos: 0 | 1 | 2,
  shared: string | null,
  routingKey: string,
): boolean {
  const rk = splitWords(routingKey);
  for (const s of subs) {
    if (s.shared !== shared || (shared === null && s.opts.qos !== qos)) continue;
    const first = s.words[0];
    if (first === '*' || first === '#') continue;
    if (bindingKeyMatches(s.words, rk)) return true;
  }
  return false;
}

/**
 * No Local (§3.8.3.1, [MQTT-3.8.3-3]): does a message this connection published with `routingKey` reach
 * its own queue `q` only through No Local subscriptions? Then it is not delivered there (RabbitMQ's
 * drop_local: a queue is kept when any binding of the MQTT exchange that routed it is not No Local).
 */
export function onlyNoLocal(bindings: Iterable<Binding>, exchange: string, routingKey: string): boolean {
  const rk = splitWords(routingKey);
  let matched = false;
  for (const b of bindings) {
    if (b.source.name !== exchange || !bindingKeyMatches(splitWords(b.routingKey), rk)) continue;
    const t = b.args[OPTS_ARG];
    if (t === null || typeof t !== 'object' || (t as Record<string, unknown>)['no-local'] !== true) return false;
    matched = true;
  }
  return matched;
}
