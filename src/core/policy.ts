// Policies and operator policies of one vhost, as RabbitMQ has them (rabbit_policy.erl): a name, a regex
// `pattern` matched against exchange/queue names, `apply-to`, a `priority`, and a `definition` of keys
// (message-ttl, max-length, dead-letter-exchange, …). For each object the matching policy with the highest
// priority applies (one user policy and one operator policy at most); how a definition key combines with
// the object's own x-arguments is decided where the key is used (RabbitMQ: per key, see queue arguments).
import { preconditionFailed } from './errors.js';

export type ApplyTo = 'all' | 'exchanges' | 'queues' | 'classic_queues' | 'quorum_queues' | 'streams';
const APPLY_TO: readonly ApplyTo[] = ['all', 'exchanges', 'queues', 'classic_queues', 'quorum_queues', 'streams'];

export interface Policy {
  readonly name: string;
  readonly pattern: string;
  readonly applyTo: ApplyTo;
  readonly priority: number;
  readonly definition: Readonly<Record<string, unknown>>;
  /** Compiled `pattern`. */
  readonly regex: RegExp;
}

export interface PolicyInput {
  name: string;
  pattern: string;
  applyTo?: string;
  priority?: number;
  definition: Record<string, unknown>;
}

/** What a policy is matched against. */
export interface PolicyTarget {
  readonly name: string;
  readonly kind: 'exchange' | 'queue';
  /** For queues: 'classic' | 'quorum' | 'stream'. */
  readonly queueType?: string;
}

export function makePolicy(p: PolicyInput): Policy {
  const applyTo = (p.applyTo ?? 'all') as ApplyTo;
  if (!APPLY_TO.includes(applyTo)) {
    throw preconditionFailed(`'${String(p.applyTo)}' is not a valid apply-to value`);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(p.pattern);
  } catch {
    throw preconditionFailed(`'${p.pattern}' is not a valid regular expression`);
  }
  if (typeof p.definition !== 'object' || p.definition === null || Object.keys(p.definition).length === 0) {
    throw preconditionFailed('policy definition must be a non-empty object');
  }
  return {
    name: p.name,
    pattern: p.pattern,
    applyTo,
    priority: p.priority ?? 0,
    definition: { ...p.definition },
    regex,
  };
}

export function policyApplies(p: Policy, t: PolicyTarget): boolean {
  switch (p.applyTo) {
    case 'all':
      break;
    case 'exchanges':
      if (t.kind !== 'exchange') return false;
      break;
    case 'queues':
      if (t.kind !== 'queue') return false;
      break;
    case 'classic_queues':
      if (t.kind !== 'queue' || (t.queueType ?? 'classic') !== 'classic') return false;
      break;
    case 'quorum_queues':
      if (t.kind !== 'queue' || t.queueType !== 'quorum') return false;
      break;
    case 'streams':
      if (t.kind !== 'queue' || t.queueType !== 'stream') return false;
      break;
  }
  return p.regex.test(t.name);
}

/** A set of policies (a vhost has one for user policies and one for operator policies). */
export class PolicySet {
  readonly byName = new Map<string, Policy>();

  set(p: Policy): void {
    this.byName.set(p.name, p);
  }

  delete(name: string): boolean {
    return this.byName.delete(name);
  }

  get size(): number {
    return this.byName.size;
  }

  /** The policy that applies to `t`: highest priority wins; ties go to the name sorting first. */
  match(t: PolicyTarget): Policy | null {
    let best: Policy | null = null;
    for (const p of this.byName.values()) {
      if (!policyApplies(p, t)) continue;
      if (best === null || p.priority > best.priority || (p.priority === best.priority && p.name < best.name)) {
        best = p;
      }
    }
    return best;
  }
}

/**
 * alternate-exchange of an exchange from the user policies: the argument wins over a policy
 * (rabbit_exchange:alternate_exchange_value/2); the default and amq.* exchanges take no policy.
 */
export function applyExchangePolicy(
  x: { readonly name: string; readonly args: Record<string, unknown>; alternateExchange: string | null },
  policies: PolicySet,
): void {
  if (x.name === '' || x.name.startsWith('amq.')) return;
  const arg = x.args['alternate-exchange'];
  if (typeof arg === 'string') return;
  const ae = policies.match({ name: x.name, kind: 'exchange' })?.definition['alternate-exchange'];
  x.alternateExchange = typeof ae === 'string' ? ae : null;
}
