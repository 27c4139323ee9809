// A virtual host: its exchanges, queues and bindings, and the operations on them with RabbitMQ's rules
// (reserved amq.* names, passive declares, equivalence checks, exclusive locks) and routing of a message
// to the set of queues it reaches (exchange-to-exchange bindings and alternate exchanges included).
import { randomBytes } from 'node:crypto';
import type { DefinitionChange, ExchangeDeclare, QueueDeclare } from './declare.js';
import type { DedupStore } from './dedup.js';
import { checkExchangeEquivalent, checkQueueEquivalent, validateBinding } from './equivalence.js';
import { accessRefused, notFound, preconditionFailed, rs } from './errors.js';
import { checkExclusiveAccess } from './exclusive-access.js';
import { validateQueueArgs } from './arguments.js';
import { DefaultExchange } from './exchange/default.js';
import { DeduplicationExchange } from './exchange/deduplication.js';
import { DelayedExchange, type DelayedStore } from './exchange/delayed.js';
import type { Binding, Destination, Exchange } from './exchange/exchange.js';
import { checkVhostQueueLimit } from './resource-limits.js';
import { newExchange, validateExchangeType } from './exchange/types.js';
import type { DeathReason, Message } from './message.js';
import {
  PolicySet,
  applyExchangePolicy,
  makePolicy,
  type Policy,
  type PolicyInput,
  type PolicyTarget,
} from './policy.js';
import type { Owner } from './queue/consumer.js';
import { deadLetter } from './queue/dead-letter.js';
import { validatePolicyDefinition } from './queue/policy-definitions.js';
import { Queue } from './queue/queue.js';
import { resolveQueueSettings, type QueueSettings, type QueueType } from './queue/settings.js';
import { StreamQueue } from './queue/stream/stream-queue.js';
import { routeFrom } from './route.js';
import { DEAD_LETTER_COPIES, newRetiredStats, retireQueue } from './stats.js';

/** Observes definition changes (durable storage subscribes to persist them). */
export interface DefinitionListener {
  /** `change` says what changed; without it, anything in the vhost may have (policies). */
  changed(vhost: VHost, change?: DefinitionChange): void;
  /** A queue was created (storage attaches message storage to durable ones) / deleted (MQTT's stored sessions). */
  queueCreated?(q: Queue): void;
  queueDeleted?(q: Queue): void;
}

export class VHost {
  readonly exchanges = new Map<string, Exchange>();
  readonly queues = new Map<string, Queue>();
  readonly defaultExchange: DefaultExchange;
  listener: DefinitionListener | null = null;
  /** User policies and operator policies (durable, like every vhost definition). */
  readonly policies = new PolicySet();
  readonly operatorPolicies = new PolicySet();
  /** Keeps delayed messages of durable delayed exchanges (set by storage; null keeps them in memory only). */
  delayedStore: DelayedStore | null = null;
  /** Keeps deduplication caches of durable exchanges and queues (set by storage). */
  dedupStore: DedupStore | null = null;
  /** Set by route() when the exchange dropped the message as a duplicate (x-message-deduplication). */
  duplicate = false;
  /** Channel-side message_stats (publish, confirm, returns, unroutable drops; core/stats.ts); the front ends bump them. */
  readonly stats = { publish: 0, confirm: 0, returnUnroutable: 0, dropUnroutable: 0 };
  /** Its deleted queues' counters, so its and the node's message_stats never go backwards (as RabbitMQ's). */
  readonly retired = newRetiredStats();
  /** Observers of policy changes (queue features re-resolve their effective settings). */
  readonly policyObservers: ((v: VHost) => void)[] = [];

  // routing scratch: reused per publish (routing is synchronous), dedup by generation marks
  private readonly routed: Queue[] = [];
  private readonly scratch: Destination[] = [];
  /**
   * Routing generation: route() marks each queue and exchange it reaches with it (their routeMark field, a
   * plain property: a WeakMap lookup per destination cost ~15 ns, the field ~2) so each is taken once.
   */
  private routeGen = 0;

  constructor(readonly name: string) {
    this.defaultExchange = new DefaultExchange(name, this.queues);
    this.exchanges.set('', this.defaultExchange);
    // amqp0-9-1.xml "required-types": amq.direct, .fanout, .topic, .headers, .match; RabbitMQ has amq.rabbitmq.trace
    this.addExchange('amq.direct', 'direct', true, false, false, {});
    this.addExchange('amq.fanout', 'fanout', true, false, false, {});
    this.addExchange('amq.topic', 'topic', true, false, false, {});
    this.addExchange('amq.headers', 'headers', true, false, false, {});
    this.addExchange('amq.match', 'headers', true, false, false, {});
    this.addExchange('amq.rabbitmq.trace', 'topic', true, false, true, {});
  }

  // ---- exchanges -------------------------------------------------------------------------------

  getExchange(name: string): Exchange {
    const x = this.exchanges.get(name);
    if (!x) throw notFound(`no exchange '${name}' in vhost '${this.name}'`);
    return x;
  }

  declareExchangePassive(name: string): Exchange {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    return this.getExchange(name);
  }

  declareExchange(name: string, d: ExchangeDeclare): Exchange {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    const existing = this.exchanges.get(name);
    if (name.startsWith('amq.') && !existing) {
      throw accessRefused(`exchange name '${name}' contains reserved prefix 'amq.*'`);
    }
    validateExchangeType(d, existing !== undefined);
    if (existing) {
      checkExchangeEquivalent(existing, d, rs('exchange', name, this.name));
      return existing;
    }
    const x = this.addExchange(name, d.type, d.durable, d.autoDelete, d.internal, d.args);
    x.argTypes = d.argTypes ?? {};
    const keep = !(x instanceof DeduplicationExchange) || x.persistentCache;
    if (x.dedup !== null && d.durable && keep) x.dedup.store = this.dedupStore;
    applyExchangePolicy(x, this.policies);
    if (d.durable) this.stored({ op: 'add-exchange', exchange: x }, () => this.exchanges.delete(name));
    return x;
  }

  deleteExchange(name: string, ifUnused: boolean): void {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    if (name.startsWith('amq.'))
      throw accessRefused(`deletion of system exchange '${name}' in vhost '${this.name}' not allowed`);
    const x = this.exchanges.get(name);
    // RabbitMQ 3.x: deleting a missing exchange succeeds (delete is idempotent)
    if (!x) return;
    if (ifUnused && x.bindings.size > 0) throw preconditionFailed(`exchange '${name}' in vhost '${this.name}' in use`);
    this.removeExchange(x);
  }

  private addExchange(
    name: string,
    type: string,
    durable: boolean,
    autoDelete: boolean,
    internal: boolean,
    args: Record<string, unknown>,
  ): Exchange {
    const x = newExchange(name, type, this.name, durable, autoDelete, internal, args);
    if (x instanceof DelayedExchange) x.host = this;
    this.exchanges.set(name, x);
    return x;
  }

  private removeExchange(x: Exchange): void {
    this.exchanges.delete(x.name);
    if (x instanceof DelayedExchange) x.dispose();
    if (x.dedup?.store) x.dedup.store.drop(x.dedup.owner);
    for (const b of x.bindings.values()) {
      if (b.destination.kind === 'queue') b.destination.bindings.delete(b);
      else b.destination.incoming.delete(b);
    }
    x.bindings.clear();
    for (const b of [...x.incoming]) {
      b.source.unbind(x, b.routingKey, b.args);
      this.maybeAutoDeleteExchange(b.source);
    }
    x.incoming.clear();
    if (x.durable) this.changed({ op: 'delete-exchange', exchange: x });
  }

  private maybeAutoDeleteExchange(x: Exchange): void {
    // RabbitMQ: an auto-delete exchange goes when its last binding (as source) is removed.
    if (x.autoDelete && x.bindings.size === 0 && this.exchanges.get(x.name) === x) this.removeExchange(x);
  }

  // ---- queues ----------------------------------------------------------------------------------

  getQueue(name: string): Queue {
    const q = this.queues.get(name);
    if (!q) throw notFound(`no queue '${name}' in vhost '${this.name}'`);
    return q;
  }

  /** The queue, checking the exclusive lock (queue operations from another connection get 405). */
  getQueueFor(name: string, owner: Owner | null): Queue {
    const q = this.getQueue(name);
    this.checkExclusive(q, owner);
    return q;
  }

  /** exclusive-access.ts; `strict` for a redeclare. */
  checkExclusive(q: Queue, owner: Owner | null, strict = false): void {
    checkExclusiveAccess(q, owner, this.name, strict);
  }

  static generateQueueName(): string {
    return 'amq.gen-' + randomBytes(16).toString('base64url');
  }

  declareQueuePassive(name: string, owner: Owner | null): Queue {
    const q = this.getQueueFor(name, owner);
    q.used();
    return q;
  }

  private readonly queueCallbacks = {
    autoDelete: (queue: Queue): void => this.deleteQueueObject(queue),
    deadLetter: (queue: Queue, m: Message, reason: DeathReason): void => {
      queue.deadLettered[DEAD_LETTER_COPIES]! += deadLetter(this, queue, m, reason);
    },
  };

  /** A queue's settings from its arguments and the policies that apply to it (also after its arguments change). */
  queueSettings(name: string, type: QueueType, args: Record<string, unknown>): QueueSettings {
    const { policy, operatorPolicy } = this.effectivePolicies({ name, kind: 'queue', queueType: type });
    return resolveQueueSettings(type, args, policy, operatorPolicy);
  }

  /** The vhost's max-queues limit (-1: none); kept by Broker.addVHost from the vhost's limits. */
  maxQueues = -1;

  /** rabbit_channel check_vhost_queue_limit (resource-limits.ts). */
  checkQueueLimit = (name: string): void => checkVhostQueueLimit(this.name, this.maxQueues, this.queues, name);

  /** `serverNamed`: the name came from generateQueueName(), so the amq. prefix is allowed. */
  declareQueue(name: string, d: QueueDeclare, owner: Owner | null, serverNamed = false): Queue {
    const existing = this.queues.get(name);
    // rabbit_channel: Durable = DurableDeclare andalso not ExclusiveDeclare (an exclusive queue never is)
    const durable = d.durable && !d.exclusive;
    if (existing) {
      this.checkExclusive(existing, d.exclusive ? owner : null, true);
      checkQueueEquivalent(existing, { ...d, durable }, rs('queue', name, this.name));
      existing.used();
      return existing;
    }
    if (name.startsWith('amq.') && !serverNamed)
      throw accessRefused(`queue name '${name}' contains reserved prefix 'amq.*'`);
    this.checkQueueLimit(name);
    const type = validateQueueArgs(name, this.name, d, serverNamed);
    const s = this.queueSettings(name, type, d.args);
    const [v, cb, x] = [this.name, this.queueCallbacks, d.exclusive ? owner : null];
    const q =
      type === 'stream'
        ? new StreamQueue(name, v, d.args, cb, s)
        : new Queue(name, v, durable, x, d.autoDelete, d.args, type, cb, s);
    q.argTypes = d.argTypes ?? {};
    if (durable) this.changed({ op: 'add-queue', queue: q });
    this.queues.set(name, q);
    this.listener?.queueCreated?.(q);
    return q;
  }

  deleteQueue(name: string, ifUnused: boolean, ifEmpty: boolean, owner: Owner | null): number {
    // RabbitMQ 3.x: deleting a missing queue succeeds with a count of 0 (delete is idempotent)
    if (!this.queues.has(name)) return 0;
    const q = this.getQueueFor(name, owner);
    const refused = q.deleteRefused(ifUnused, ifEmpty);
    if (refused !== null) throw preconditionFailed(`${rs('queue', name, this.name)} ${refused}`);
    const n = q.messageCount;
    this.deleteQueueObject(q);
    return n;
  }

  deleteQueueObject(q: Queue): void {
    if (this.queues.get(q.name) !== q) return;
    this.queues.delete(q.name);
    const sources = new Set<Exchange>();
    for (const b of q.bindings) {
      b.source.unbind(q, b.routingKey, b.args);
      sources.add(b.source);
    }
    q.bindings.clear();
    q.markDeleted();
    retireQueue(this.retired, q);
    if (q.dedup?.store) q.dedup.store.drop(q.dedup.owner);
    for (const x of sources) this.maybeAutoDeleteExchange(x);
    if (q.durable && q.exclusiveOwner === null) this.changed({ op: 'delete-queue', queue: q });
    this.listener?.queueDeleted?.(q);
  }

  // ---- bindings --------------------------------------------------------------------------------

  bindQueue(queue: string, exchange: string, key: string, args: Record<string, unknown>, owner: Owner | null): void {
    this.bind(this.getQueueFor(queue, owner), this.bindable(exchange), key, args);
  }

  unbindQueue(queue: string, exchange: string, key: string, args: Record<string, unknown>, owner: Owner | null): void {
    const [x, q] = [this.bindable(exchange, true), this.queues.get(queue)]; // 405 only for a binding that exists
    if (q !== undefined && x?.hasBinding(q, key, args)) this.unbind(this.getQueueFor(queue, owner), x, key, args);
  }

  bindExchange(destination: string, source: string, key: string, args: Record<string, unknown>): void {
    this.bind(this.bindable(destination), this.bindable(source), key, args);
  }

  unbindExchange(destination: string, source: string, key: string, args: Record<string, unknown>): void {
    const [d, x] = [this.bindable(destination, true), this.bindable(source, true)];
    if (d && x) this.unbind(d, x, key, args); // idempotent, as RabbitMQ 3.x's rabbit_binding:remove
  }

  private bind(d: Queue | Exchange, x: Exchange, key: string, args: Record<string, unknown>): void {
    validateBinding(x, args);
    const b = x.bind(d, key, args);
    if (b === null) return;
    (d.kind === 'queue' ? d.bindings : d.incoming).add(b);
    if (d.durable && x.durable) this.stored({ op: 'add-binding', binding: b }, () => this.detach(d, x, key, args));
  }

  private detach(d: Queue | Exchange, x: Exchange, key: string, args: Record<string, unknown>): Binding | null {
    const b = x.unbind(d, key, args);
    if (b !== null) (d.kind === 'queue' ? d.bindings : d.incoming).delete(b);
    return b;
  }

  private unbind(d: Queue | Exchange, x: Exchange, key: string, args: Record<string, unknown>): void {
    const b = this.detach(d, x, key, args);
    if (b === null) return;
    this.maybeAutoDeleteExchange(x);
    if (d.durable && x.durable) this.changed({ op: 'delete-binding', binding: b });
  }

  /** The default exchange takes no explicit bindings, as source or destination; `missingOk`: unbinding. */
  private bindable(name: string): Exchange;
  private bindable(name: string, missingOk: true): Exchange | undefined;
  private bindable(name: string, missingOk = false): Exchange | undefined {
    if (name === '') throw accessRefused(`operation not permitted on the default exchange`);
    return missingOk ? this.exchanges.get(name) : this.getExchange(name);
  }

  // ---- routing ---------------------------------------------------------------------------------

  /**
   * The queues `msg` reaches from `x`, each once. Returns a scratch array owned by the vhost: use it before
   * the next call. Hot path: allocation-free for the common direct/fanout/topic cases.
   */
  route(x: Exchange, msg: Message): Queue[] {
    const out = this.routed;
    // pop(), not `length = 0`: V8 shrinks an array's length through a slow runtime call (2% of a publish)
    while (out.length !== 0) out.pop();
    this.duplicate = false;
    if (x.dedup !== null && x.dedup.isDuplicate(msg)) {
      this.duplicate = true;
      return out;
    }
    let gen = ++this.routeGen;
    if (gen > 0x3fffffff) {
      // wrapped: forget every mark, or a destination last reached at an old generation would be skipped
      this.routeGen = gen = 1;
      for (const q of this.queues.values()) q.routeMark = 0;
      for (const e of this.exchanges.values()) e.routeMark = 0;
    }
    routeFrom(x, msg, out, gen, this.scratch, this.exchanges);
    return out;
  }

  /** A delayed exchange's message is due: route it by the underlying type and enqueue it. */
  releaseDelayed(x: DelayedExchange, msg: Message): void {
    if (this.exchanges.get(x.name) !== x) return;
    const targets = this.route(x, msg).slice();
    for (const q of targets) q.enqueue(msg);
  }

  // ---- policies ---------------------------------------------------------------------------------

  setPolicy(p: PolicyInput, operator = false): Policy {
    const policy = makePolicy(p);
    validatePolicyDefinition(policy.definition as Record<string, unknown>, operator);
    (operator ? this.operatorPolicies : this.policies).set(policy);
    this.policiesChanged();
    return policy;
  }

  /** Returns false when there was no such policy (RabbitMQ: 404 from the API, an error from the CLI). */
  clearPolicy(name: string, operator = false): boolean {
    const had = (operator ? this.operatorPolicies : this.policies).delete(name);
    if (had) this.policiesChanged();
    return had;
  }

  /** The user policy and the operator policy that apply to an exchange or queue (either may be null). */
  effectivePolicies(t: PolicyTarget): { policy: Policy | null; operatorPolicy: Policy | null } {
    return { policy: this.policies.match(t), operatorPolicy: this.operatorPolicies.match(t) };
  }

  private policiesChanged(): void {
    this.applyPolicies();
    for (const o of this.policyObservers) o(this);
    this.changed();
  }

  /** Re-resolve every queue's settings and every exchange's alternate exchange (rabbit_policy:update_policies). */
  private applyPolicies(): void {
    for (const q of this.queues.values()) q.applySettings(this.queueSettings(q.name, q.type, q.args));
    for (const x of this.exchanges.values()) applyExchangePolicy(x, this.policies);
  }

  /** A new definition, stored; when storage refuses it (a failed disk), `undo` takes it back: nothing half applied. */
  private stored(change: DefinitionChange, undo: () => void): void {
    try {
      this.changed(change);
    } catch (e) {
      throw (undo(), e);
    }
  }

  private changed(change?: DefinitionChange): void {
    this.listener?.changed(this, change);
  }
}
