// Definitions in RabbitMQ's definitions.json shape (users, vhosts, permissions, exchanges, queues,
// bindings): what the file store persists, and later what the management API exports and imports.
import type { Broker } from '../core/broker.js';
import { argsKey } from '../core/binding.js';
import type { DefinitionChange } from '../core/declare.js';
import type { Policy, PolicyInput } from '../core/policy.js';
import { DEFAULT_HASHING } from '../core/auth/password.js';
import { VERSION } from '../version.js';

export interface Definitions {
  warren_version?: string;
  /** Warren's data directory only: the first journal generation this snapshot does not contain. */
  warren_journal?: number;
  rabbit_version?: string;
  rabbitmq_version?: string;
  product_name?: string;
  product_version?: string;
  users: {
    name: string;
    password_hash: string;
    hashing_algorithm?: string;
    tags: string[] | string;
    limits?: Record<string, unknown>;
  }[];
  vhosts: {
    name: string;
    description?: string;
    tags?: string[] | string;
    default_queue_type?: string;
    metadata?: { description?: string; tags?: string[]; default_queue_type?: string };
    /** Warren keeps vhost limits with the vhost (RabbitMQ: a vhost-limits parameter). */
    limits?: Record<string, number>;
  }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions?: { user: string; vhost: string; exchange: string; write: string; read: string }[];
  parameters?: { vhost: string; component: string; name: string; value: unknown }[];
  global_parameters?: { name: string; value: unknown }[];
  exchanges: {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  queues: { name: string; vhost: string; durable: boolean; auto_delete: boolean; arguments: Record<string, unknown> }[];
  bindings: {
    source: string;
    vhost: string;
    destination: string;
    destination_type: 'queue' | 'exchange';
    routing_key: string;
    arguments: Record<string, unknown>;
  }[];
  policies?: PolicyDef[];
  /** Not in RabbitMQ's export (it keeps them apart); Warren persists them in the same file. */
  operator_policies?: PolicyDef[];
}

/** RabbitMQ's definitions.json policy entry. */
export interface PolicyDef {
  vhost: string;
  name: string;
  pattern: string;
  'apply-to': string;
  definition: Record<string, unknown>;
  priority: number;
}

type QueueDef = Definitions['queues'][number];
type ExchangeDef = Definitions['exchanges'][number];
type BindingDef = Definitions['bindings'][number];

/**
 * One line of the definitions journal (definitions-file.ts): a queue, exchange or binding added or deleted,
 * in definitions.json's own entry shapes. Deletes name their object (a binding: all of it, its identity).
 */
export type JournalRecord =
  | { op: 'add-queue'; def: QueueDef }
  | { op: 'delete-queue'; def: { vhost: string; name: string } }
  | { op: 'add-exchange'; def: ExchangeDef }
  | { op: 'delete-exchange'; def: { vhost: string; name: string } }
  | { op: 'add-binding' | 'delete-binding'; def: BindingDef };

/** The journal record of a change (the vhost reports only changes of durable definitions). */
export function changeRecord(vhost: string, c: DefinitionChange): JournalRecord {
  switch (c.op) {
    case 'add-queue':
      return { op: c.op, def: queueDef(vhost, c.queue) };
    case 'delete-queue':
      return { op: c.op, def: { vhost, name: c.queue.name } };
    case 'add-exchange':
      return { op: c.op, def: exchangeDef(vhost, c.exchange) };
    case 'delete-exchange':
      return { op: c.op, def: { vhost, name: c.exchange.name } };
    default:
      return { op: c.op, def: bindingDef(vhost, c.binding) };
  }
}

/**
 * Replay journal records over a snapshot, in order, with the cascades the broker applies: a deleted queue
 * takes its bindings, a deleted exchange its bindings from and to it. Records are idempotent (an add
 * replaces, a delete of what is gone does nothing), so a snapshot that already holds some of them is fine.
 * A binding whose ends are gone is dropped (its queue's add record was lost with a torn journal tail).
 */
export function applyJournal(d: Definitions, records: Iterable<JournalRecord>): void {
  const k = (vhost: string, name: string): string => `${vhost}\u0000${name}`;
  const queues = new Map<string, QueueDef>();
  for (const q of d.queues) queues.set(k(q.vhost, q.name), q);
  const exchanges = new Map<string, ExchangeDef>();
  for (const x of d.exchanges) exchanges.set(k(x.vhost, x.name), x);
  const bindings = new Map<string, BindingDef>();
  // bindings by each end, for the cascades (no scan of every binding per deleted queue)
  const byEnd = new Map<string, Set<string>>();
  const ends = (b: BindingDef): string[] => [
    `x\u0000${k(b.vhost, b.source)}`,
    `${b.destination_type === 'queue' ? 'q' : 'x'}\u0000${k(b.vhost, b.destination)}`,
  ];
  const addBinding = (b: BindingDef): void => {
    const id = bindingKey(b);
    bindings.set(id, b);
    for (const e of ends(b)) {
      let s = byEnd.get(e);
      if (!s) byEnd.set(e, (s = new Set()));
      s.add(id);
    }
  };
  const dropEnd = (end: string): void => {
    const ids = byEnd.get(end);
    if (!ids) return;
    byEnd.delete(end);
    for (const id of ids) bindings.delete(id);
  };
  for (const b of d.bindings) addBinding(b);
  const exchangeExists = (vhost: string, name: string): boolean =>
    name.startsWith('amq.') || exchanges.has(k(vhost, name));
  for (const r of records) {
    switch (r.op) {
      case 'add-queue':
        queues.set(k(r.def.vhost, r.def.name), r.def);
        break;
      case 'delete-queue':
        queues.delete(k(r.def.vhost, r.def.name));
        dropEnd(`q\u0000${k(r.def.vhost, r.def.name)}`);
        break;
      case 'add-exchange':
        exchanges.set(k(r.def.vhost, r.def.name), r.def);
        break;
      case 'delete-exchange':
        exchanges.delete(k(r.def.vhost, r.def.name));
        dropEnd(`x\u0000${k(r.def.vhost, r.def.name)}`);
        break;
      case 'add-binding': {
        const b = r.def;
        const dest =
          b.destination_type === 'queue'
            ? queues.has(k(b.vhost, b.destination))
            : exchangeExists(b.vhost, b.destination);
        if (dest && exchangeExists(b.vhost, b.source)) addBinding(b);
        break;
      }
      case 'delete-binding':
        bindings.delete(bindingKey(r.def));
        break;
    }
  }
  d.queues = [...queues.values()];
  d.exchanges = [...exchanges.values()];
  d.bindings = [...bindings.values()];
}

function bindingKey(b: BindingDef): string {
  return JSON.stringify([
    b.vhost,
    b.source,
    b.destination_type,
    b.destination,
    b.routing_key,
    argsKey(b.arguments ?? {}),
  ]);
}

function queueDef(vhost: string, q: { name: string; autoDelete: boolean; args: Record<string, unknown> }): QueueDef {
  return { name: q.name, vhost, durable: true, auto_delete: q.autoDelete, arguments: q.args };
}

function exchangeDef(
  vhost: string,
  x: {
    name: string;
    type: string;
    durable: boolean;
    autoDelete: boolean;
    internal: boolean;
    args: Record<string, unknown>;
  },
): ExchangeDef {
  return {
    name: x.name,
    vhost,
    type: x.type,
    durable: x.durable,
    auto_delete: x.autoDelete,
    internal: x.internal,
    arguments: x.args,
  };
}

export function exportDefinitions(broker: Broker): Definitions {
  const d: Definitions = {
    warren_version: VERSION,
    users: [],
    vhosts: [],
    permissions: [],
    topic_permissions: [],
    parameters: [],
    global_parameters: [],
    exchanges: [],
    queues: [],
    bindings: [],
    policies: [],
    operator_policies: [],
  };
  for (const u of broker.users.users.values()) {
    d.users.push({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: u.hashingAlgorithm,
      tags: u.tags,
      ...(Object.keys(u.limits).length !== 0 ? { limits: { ...u.limits } as Record<string, unknown> } : { limits: {} }),
    });
    for (const [vhost, p] of u.permissions) {
      d.permissions.push({ user: u.name, vhost, configure: p.configure, write: p.write, read: p.read });
    }
    for (const [vhost, m] of u.topicPermissions) {
      for (const t of m.values()) {
        d.topic_permissions!.push({ user: u.name, vhost, exchange: t.exchange, write: t.write, read: t.read });
      }
    }
  }
  for (const [vhost, components] of broker.parameters) {
    for (const [component, names] of components) {
      for (const [name, value] of names) d.parameters!.push({ vhost, component, name, value });
    }
  }
  for (const v of broker.vhosts.values()) {
    const s = broker.vhostSettings.get(v.name);
    const vd: Definitions['vhosts'][number] = { name: v.name };
    if (s && (s.description !== '' || s.tags.length > 0 || s.defaultQueueType !== 'classic')) {
      vd.description = s.description;
      vd.tags = s.tags;
      vd.default_queue_type = s.defaultQueueType;
      vd.metadata = { description: s.description, tags: s.tags, default_queue_type: s.defaultQueueType };
    }
    if (s && Object.keys(s.limits).length > 0) vd.limits = { ...s.limits };
    d.vhosts.push(vd);
    for (const p of v.policies.byName.values()) d.policies!.push(policyDef(v.name, p));
    for (const p of v.operatorPolicies.byName.values()) d.operator_policies!.push(policyDef(v.name, p));
    for (const x of v.exchanges.values()) {
      if (x.name === '' || x.name.startsWith('amq.') || !x.durable) continue;
      d.exchanges.push(exchangeDef(v.name, x));
      for (const b of x.bindings.values()) {
        if (!b.destination.durable) continue;
        d.bindings.push(bindingDef(v.name, b));
      }
    }
    for (const q of v.queues.values()) {
      if (!q.durable || q.exclusiveOwner !== null) continue;
      d.queues.push(queueDef(v.name, q));
    }
    // bindings from amq.* exchanges to durable queues
    for (const x of v.exchanges.values()) {
      if (!x.name.startsWith('amq.')) continue;
      for (const b of x.bindings.values()) if (b.destination.durable) d.bindings.push(bindingDef(v.name, b));
    }
  }
  return d;
}

/** Store a runtime parameter (RabbitMQ's shovel/federation-upstream/…; Warren keeps them for export). */
export function setParameter(broker: Broker, vhost: string, component: string, name: string, value: unknown): void {
  let c = broker.parameters.get(vhost);
  if (!c) broker.parameters.set(vhost, (c = new Map()));
  let n = c.get(component);
  if (!n) c.set(component, (n = new Map()));
  n.set(name, value);
  broker.definitionsChanged();
}

function policyDef(vhost: string, p: Policy): PolicyDef {
  return {
    vhost,
    name: p.name,
    pattern: p.pattern,
    'apply-to': p.applyTo,
    definition: { ...p.definition },
    priority: p.priority,
  };
}

function bindingDef(
  vhost: string,
  b: {
    source: { name: string };
    destination: { kind: 'queue' | 'exchange'; name: string };
    routingKey: string;
    args: Record<string, unknown>;
  },
) {
  return {
    source: b.source.name,
    vhost,
    destination: b.destination.name,
    destination_type: b.destination.kind,
    routing_key: b.routingKey,
    arguments: b.args,
  };
}

export function importDefinitions(broker: Broker, d: Definitions): void {
  for (const v of d.vhosts ?? []) {
    const tags = v.tags ?? v.metadata?.tags;
    broker.addVHost(v.name, {
      description: v.description ?? v.metadata?.description ?? '',
      tags: Array.isArray(tags) ? tags : tags ? tags.split(',') : [],
      defaultQueueType: v.default_queue_type ?? v.metadata?.default_queue_type ?? 'classic',
    });
  }
  for (const u of d.users ?? []) {
    broker.users.put(
      u.name,
      u.password_hash ?? '',
      Array.isArray(u.tags) ? u.tags : u.tags ? u.tags.split(',').filter((t) => t !== '') : [],
      u.hashing_algorithm ?? DEFAULT_HASHING,
    );
    const user = broker.users.users.get(u.name);
    if (user && u.limits && typeof u.limits === 'object') user.limits = { ...(u.limits as Record<string, number>) };
  }
  for (const p of d.permissions ?? []) {
    broker.users.setPermissions(p.user, p.vhost, { configure: p.configure, write: p.write, read: p.read });
  }
  for (const p of d.topic_permissions ?? []) {
    broker.users.setTopicPermission(p.user, p.vhost, { exchange: p.exchange, write: p.write, read: p.read });
  }
  for (const p of d.parameters ?? []) setParameter(broker, p.vhost, p.component, p.name, p.value);
  // policies before exchanges and queues, so objects see their policy from the start
  for (const p of d.policies ?? []) {
    broker.addVHost(p.vhost).setPolicy(policyInput(p));
  }
  for (const p of d.operator_policies ?? []) {
    broker.addVHost(p.vhost).setPolicy(policyInput(p), true);
  }
  for (const x of d.exchanges ?? []) {
    const v = broker.addVHost(x.vhost);
    v.declareExchange(x.name, {
      type: x.type,
      durable: x.durable,
      autoDelete: x.auto_delete,
      internal: x.internal,
      args: x.arguments ?? {},
    });
  }
  for (const q of d.queues ?? []) {
    const v = broker.addVHost(q.vhost);
    v.declareQueue(
      q.name,
      { durable: q.durable, exclusive: false, autoDelete: q.auto_delete, args: q.arguments ?? {} },
      null,
    );
  }
  for (const b of d.bindings ?? []) {
    const v = broker.addVHost(b.vhost);
    // a missing routing key is the empty one (as POST /api/bindings takes it): undefined reached the bindings
    // listing's properties_key (the HTTP fuzzer's 500)
    const rk = typeof b.routing_key === 'string' ? b.routing_key : String(b.routing_key ?? '');
    if (b.destination_type === 'queue') v.bindQueue(b.destination, b.source, rk, b.arguments ?? {}, null);
    else v.bindExchange(b.destination, b.source, rk, b.arguments ?? {});
  }
  // limits last: recovered and imported queues are not refused by a max-queues lowered below their count
  for (const v of d.vhosts ?? []) broker.addVHost(v.name, { limits: v.limits ?? {} });
}

function policyInput(p: PolicyDef): PolicyInput {
  return {
    name: p.name,
    pattern: p.pattern,
    applyTo: p['apply-to'] ?? 'all',
    priority: p.priority ?? 0,
    definition: p.definition,
  };
}
