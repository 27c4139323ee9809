// The effective settings of a queue: its x-arguments combined with the matching policy and operator
// policy, key by key, exactly as RabbitMQ resolves them (rabbit_queue_type_util:args_policy_lookup/3 with
// the resolver each queue type passes, rabbit_policy:get/2 merging the operator policy with
// rabbit_policies:merge_policy_value/3). Re-resolved whenever a policy of the vhost changes.
import type { Policy } from '../policy.js';

/** The queue types (x-queue-type). */
export type QueueType = 'classic' | 'quorum' | 'stream';

export type Overflow = 'drop-head' | 'reject-publish' | 'reject-publish-dlx';

/** Requeue backoff (Warren's x-requeue-delay): delay = min(base * factor^(deliveries-1), max). */
export interface RequeueDelay {
  base: number;
  factor: number;
  max: number;
}

export interface QueueSettings {
  /** ms; -1 = none */
  messageTtl: number;
  /** ms; -1 = none */
  expires: number;
  /** -1 = none */
  maxLength: number;
  /** -1 = none */
  maxLengthBytes: number;
  overflow: Overflow;
  deadLetterExchange: string | null;
  deadLetterRoutingKey: string | null;
  /** -1 = none */
  deliveryLimit: number;
  /** 0 = not a priority queue */
  maxPriority: number;
  singleActiveConsumer: boolean;
  /** ms; -1 = the broker's consumer_timeout */
  consumerTimeout: number;
  requeueDelay: RequeueDelay | null;
  /** Streams: x-max-age / max-age in ms; -1 = none. */
  maxAge: number;
  /** Streams: x-stream-max-segment-size-bytes / stream-max-segment-size-bytes (RabbitMQ's default 500 MB). */
  streamMaxSegmentSize: number;
}

/** How a policy value and an x-argument of the same key combine (the resolver RabbitMQ passes per key). */
type Resolve = 'min' | 'arg' | 'policy';

// rabbit_amqqueue_process (classic) and rabbit_quorum_queue: which side wins per key.
//   message-ttl, expires, max-length, max-length-bytes, delivery-limit: the smaller
//   dead-letter-exchange, dead-letter-routing-key, overflow, queue-mode: the argument
const KEYS: Record<string, Resolve> = {
  'message-ttl': 'min',
  expires: 'min',
  'max-length': 'min',
  'max-length-bytes': 'min',
  'delivery-limit': 'min',
  'consumer-timeout': 'min',
  overflow: 'arg',
  'dead-letter-exchange': 'arg',
  'dead-letter-routing-key': 'arg',
  'requeue-delay': 'arg',
  // rabbit_stream_queue: the argument wins over the policy for max-age and the segment size
  'max-age': 'arg',
  'stream-max-segment-size-bytes': 'arg',
};

/**
 * Keys an operator policy may set, each merged with the user policy by taking the smaller value
 * (rabbit_policies operator_policy_validator and merge_policy_value/3 in 3.10).
 */
export const OPERATOR_POLICY_KEYS = new Set([
  'expires',
  'message-ttl',
  'max-length',
  'max-length-bytes',
  'max-in-memory-length',
  'max-in-memory-bytes',
  'delivery-limit',
]);

/** rabbit_policy:get/2: the user policy's value, or the operator policy's, or the smaller of the two. */
export function policyValue(key: string, policy: Policy | null, operator: Policy | null): unknown {
  const p = policy?.definition[key];
  const o = OPERATOR_POLICY_KEYS.has(key) ? operator?.definition[key] : undefined;
  if (o === undefined) return p;
  if (p === undefined) return o;
  return typeof p === 'number' && typeof o === 'number' ? Math.min(p, o) : p;
}

/** The definition management shows as effective_policy_definition: both merged key by key as above. */
export function effectiveDefinition(policy: Policy | null, operator: Policy | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(policy?.definition ?? {}), ...Object.keys(operator?.definition ?? {})]);
  for (const k of keys) {
    const v = policyValue(k, policy, operator);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function lookup(key: string, args: Record<string, unknown>, policy: Policy | null, operator: Policy | null): unknown {
  const a = args['x-' + key];
  const p = policyValue(key, policy, operator);
  if (a === undefined) return p;
  if (p === undefined) return a;
  switch (KEYS[key] ?? 'arg') {
    case 'min':
      return typeof a === 'number' && typeof p === 'number' ? Math.min(a, p) : a;
    case 'policy':
      return p;
    default:
      return a;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : -1;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

/** x-requeue-delay: a number (constant delay, ms) or a table {base, factor, max}. */
export function parseRequeueDelay(v: unknown): RequeueDelay | null {
  if (typeof v === 'number' && v > 0) return { base: v, factor: 1, max: v };
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Buffer.isBuffer(v)) return null;
  const t = v as Record<string, unknown>;
  const base = typeof t['base'] === 'number' ? t['base'] : 0;
  if (!(base > 0)) return null;
  const factor = typeof t['factor'] === 'number' && t['factor'] >= 1 ? t['factor'] : 2;
  const max = typeof t['max'] === 'number' && t['max'] >= base ? t['max'] : base * 1024;
  return { base, factor, max };
}

export function resolveQueueSettings(
  type: QueueType,
  args: Record<string, unknown>,
  policy: Policy | null,
  operator: Policy | null,
): QueueSettings {
  // the common case (no arguments, no policy): one shared, frozen object, not one per queue
  if (policy === null && operator === null && isEmpty(args)) {
    if (type === 'stream') return (DEFAULT_STREAM ??= defaults('stream'));
    return type === 'quorum' ? (DEFAULT_QUORUM ??= defaults('quorum')) : (DEFAULT_CLASSIC ??= defaults('classic'));
  }
  return resolve(type, args, policy, operator);
}

let DEFAULT_CLASSIC: QueueSettings | null = null;
let DEFAULT_QUORUM: QueueSettings | null = null;
let DEFAULT_STREAM: QueueSettings | null = null;

function defaults(type: QueueType): QueueSettings {
  return Object.freeze(resolve(type, {}, null, null));
}

function isEmpty(o: Record<string, unknown>): boolean {
  for (const _ in o) return false;
  return true;
}

function resolve(
  type: QueueType,
  args: Record<string, unknown>,
  policy: Policy | null,
  operator: Policy | null,
): QueueSettings {
  const l = (k: string): unknown => lookup(k, args, policy, operator);
  const overflow = str(l('overflow'));
  const mp = args['x-max-priority'];
  const sac = args['x-single-active-consumer'];
  return {
    messageTtl: num(l('message-ttl')),
    expires: num(l('expires')),
    maxLength: num(l('max-length')),
    maxLengthBytes: num(l('max-length-bytes')),
    overflow: overflow === 'reject-publish' || overflow === 'reject-publish-dlx' ? overflow : ('drop-head' as Overflow),
    deadLetterExchange: str(l('dead-letter-exchange')),
    deadLetterRoutingKey: str(l('dead-letter-routing-key')),
    deliveryLimit: num(l('delivery-limit')),
    // quorum queues have no priorities (RabbitMQ 3.10 ignores x-max-priority for them)
    maxPriority: type !== 'classic' ? 0 : Math.min(num(mp), 255) > 0 ? Math.min(num(mp), 255) : 0,
    singleActiveConsumer: sac === true,
    consumerTimeout: num(l('consumer-timeout')),
    requeueDelay: parseRequeueDelay(l('requeue-delay')),
    maxAge: type === 'stream' ? parseMaxAge(l('max-age')) : -1,
    streamMaxSegmentSize:
      num(l('stream-max-segment-size-bytes')) > 0 ? num(l('stream-max-segment-size-bytes')) : 500_000_000,
  };
}

const AGE_UNITS: Record<string, number> = { Y: 365 * 86400e3, M: 30 * 86400e3, D: 86400e3, h: 3600e3, m: 60e3, s: 1e3 };

/**
 * rabbit_amqqueue:check_max_age/1: a positive integer followed by Y, M, D, h, m or s ("7D", "1h"); ms, or
 * -1 when absent or invalid (declare refuses invalid ones first: arguments.ts).
 */
export function parseMaxAge(v: unknown): number {
  const t = str(v);
  if (t === null) return -1;
  const m = /^(\d+)([YMDhms])$/.exec(t);
  // rabbit_amqqueue:check_max_age/1: the number must be positive ("0D" is invalid_max_age)
  if (m === null || Number(m[1]) <= 0) return -1;
  return Number(m[1]) * AGE_UNITS[m[2]!]!;
}
