// Definitions in RabbitMQ's definitions.json shape (users, vhosts, permissions, exchanges, queues,
// bindings): what the file store persists, and later what the management API exports and imports.
import type { Broker } from '../core/broker.js';
import type { Policy, PolicyInput } from '../core/policy.js';

export interface Definitions {
  warren_version?: string;
  users: {
    name: string;
    password_hash: string;
    hashing_algorithm: string;
    tags: string[] | string;
    limits?: Record<string, number>;
  }[];
  vhosts: { name: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
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
  /** RabbitMQ keeps vhost limits as runtime parameters of component 'vhost-limits'. */
  parameters?: { vhost: string; component: string; name: string; value: Record<string, unknown> }[];
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
    users: [],
    vhosts: [],
    permissions: [],
    exchanges: [],
    queues: [],
    bindings: [],
    policies: [],
    operator_policies: [],
    parameters: [],
  };
  for (const u of broker.users.users.values()) {
    d.users.push({
      name: u.name,
      password_hash: u.passwordHash,
      hashing_algorithm: 'rabbit_password_hashing_sha256',
      tags: u.tags,
      ...(Object.keys(u.limits).length !== 0 ? { limits: { ...u.limits } as Record<string, number> } : {}),
    });
    for (const [vhost, p] of u.permissions) d.permissions.push({ user: u.name, vhost, ...p });
  }
  for (const v of broker.vhosts.values()) {
    d.vhosts.push({ name: v.name });
    if (Object.keys(v.limits).length !== 0) {
      d.parameters!.push({ vhost: v.name, component: 'vhost-limits', name: 'limits', value: { ...v.limits } });
    }
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
  for (const v of d.vhosts ?? []) broker.addVHost(v.name);
  for (const u of d.users ?? []) {
    const user = broker.users.add(u.name, '', Array.isArray(u.tags) ? u.tags : u.tags ? u.tags.split(',') : []);
    user.passwordHash = u.password_hash;
    if (u.limits) user.limits = { ...u.limits };
  }
  for (const p of d.permissions ?? []) {
    broker.users.setPermissions(p.user, p.vhost, { configure: p.configure, write: p.write, read: p.read });
  }
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
  // limits last: they constrain what comes next, not what is being restored
  for (const p of d.parameters ?? []) {
    if (p.component === 'vhost-limits') broker.addVHost(p.vhost).limits = { ...p.value };
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
