// Definitions in RabbitMQ's definitions.json shape (users, vhosts, permissions, exchanges, queues,
// bindings): what the file store persists, and later what the management API exports and imports.
import type { Broker } from '../core/broker.js';
import type { Policy, PolicyInput } from '../core/policy.js';
import { DEFAULT_HASHING } from '../core/auth/password.js';
import { VERSION } from '../version.js';

export interface Definitions {
  warren_version?: string;
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
      d.exchanges.push({
        name: x.name,
        vhost: v.name,
        type: x.type,
        durable: x.durable,
        auto_delete: x.autoDelete,
        internal: x.internal,
        arguments: x.args,
      });
      for (const b of x.bindings.values()) {
        if (!b.destination.durable) continue;
        d.bindings.push(bindingDef(v.name, b));
      }
    }
    for (const q of v.queues.values()) {
      if (!q.durable || q.exclusiveOwner !== null) continue;
      d.queues.push({ name: q.name, vhost: v.name, durable: true, auto_delete: q.autoDelete, arguments: q.args });
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
      limits: v.limits ?? {},
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
    if (b.destination_type === 'queue') v.bindQueue(b.destination, b.source, b.routing_key, b.arguments ?? {}, null);
    else v.bindExchange(b.destination, b.source, b.routing_key, b.arguments ?? {});
  }
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
