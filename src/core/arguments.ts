// Queue and exchange arguments: which ones take part in RabbitMQ's equivalence check on redeclare, the
// texts of its 406 replies, and the validation of x-queue-type and of each argument's value. (What the
// arguments do lives in src/core/queue/: settings.ts resolves them with policies.)
import { preconditionFailed } from './errors.js';
import type { QueueDeclare } from './declare.js';
import { parseMaxAge, parseRequeueDelay, type QueueType } from './queue/settings.js';

// rabbit_classic_queue / rabbit_quorum_queue capabilities(): the arguments compared on redeclare.
const CLASSIC_EQUIVALENCE: string[] = [
  'x-expires',
  'x-message-ttl',
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-priority',
  'x-overflow',
  'x-queue-mode',
  'x-queue-version',
  'x-single-active-consumer',
  'x-queue-type',
  'x-queue-master-locator',
];
const QUORUM_EQUIVALENCE: string[] = [
  'x-dead-letter-exchange',
  'x-dead-letter-routing-key',
  'x-dead-letter-strategy',
  'x-expires',
  'x-max-length',
  'x-max-length-bytes',
  'x-max-in-memory-length',
  'x-max-in-memory-bytes',
  'x-overflow',
  'x-single-active-consumer',
  'x-queue-type',
  'x-quorum-initial-group-size',
  'x-delivery-limit',
  'x-message-ttl',
];
// rabbit_stream_queue capabilities()
const STREAM_EQUIVALENCE: string[] = [
  'x-max-length-bytes',
  'x-queue-type',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'x-initial-cluster-size',
  'x-queue-leader-locator',
];
const EXCHANGE_EQUIVALENCE = ['alternate-exchange'];

/** RabbitMQ's rendering of a typed table value in error texts: "the value '5' of type 'signedint'". */
/**
 * RabbitMQ's rendering of a typed argument in equivalence errors (rabbit_misc:val/1): a bare value
 * "'5'" when both sides have one, "the value '5' of type 'short'" when only one side does, else "none".
 */
function val(v: unknown, type: string | undefined, bare: boolean): string {
  if (v === undefined) return 'none';
  const shown = typeof v === 'object' && v !== null && !Buffer.isBuffer(v) ? JSON.stringify(v) : String(v);
  return bare ? `'${shown}'` : `the value '${shown}' of type '${type ?? typeOf(v)}'`;
}

function typeOf(v: unknown): string {
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'long' : 'double';
  return 'table';
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return false;
}

function checkEquivalence(
  keys: string[],
  current: Record<string, unknown>,
  currentTypes: Record<string, string>,
  received: Record<string, unknown>,
  receivedTypes: Record<string, string>,
  r: string,
): void {
  for (const k of keys) {
    const c = current[k];
    const n = received[k];
    if (c === undefined && n === undefined) continue;
    // x-queue-type 'classic' is the default: absent and 'classic' are equivalent (RabbitMQ 3.10+)
    if (k === 'x-queue-type' && (c ?? 'classic') === (n ?? 'classic')) continue;
    if (!sameValue(c, n)) {
      const bare = c !== undefined && n !== undefined;
      throw preconditionFailed(
        `inequivalent arg '${k}' for ${r}: received ${val(n, receivedTypes[k], bare)} but current is ` +
          `${val(c, currentTypes[k], bare)}`,
      );
    }
  }
}

export function checkQueueArgsEquivalence(
  type: QueueType,
  current: Record<string, unknown>,
  currentTypes: Record<string, string>,
  received: Record<string, unknown>,
  receivedTypes: Record<string, string>,
  resource: string,
): void {
  const keys = type === 'quorum' ? QUORUM_EQUIVALENCE : type === 'stream' ? STREAM_EQUIVALENCE : CLASSIC_EQUIVALENCE;
  checkEquivalence(keys, current, currentTypes, received, receivedTypes, resource);
}

export function checkExchangeArgsEquivalence(
  current: Record<string, unknown>,
  currentTypes: Record<string, string>,
  received: Record<string, unknown>,
  receivedTypes: Record<string, string>,
  resource: string,
): void {
  checkEquivalence(EXCHANGE_EQUIVALENCE, current, currentTypes, received, receivedTypes, resource);
}

const INTEGER_TYPES = new Set(['byte', 'short', 'signedint', 'long', 'unsignedbyte', 'unsignedshort', 'unsignedint']);
/** rabbit_misc:check_expiry/1: timers are capped at 2^32-1 ms. */
const MAX_EXPIRY = 4294967295;
const MAX_PRIORITY = 255;

type Check = (v: unknown, type: string, args: Record<string, unknown>) => string | null;

function intArg(v: unknown, type: string): string | null {
  if (!INTEGER_TYPES.has(type) || typeof v !== 'number' || !Number.isInteger(v)) {
    return `"expected integer, got ${type}"`;
  }
  return null;
}
const nonNegInt: Check = (v, t) => intArg(v, t) ?? ((v as number) < 0 ? `{value_negative,${String(v)}}` : null);
const expiry = (n: number): string | null =>
  n < 0 ? `{value_negative,${n}}` : n > MAX_EXPIRY ? `{value_too_large,${n},${MAX_EXPIRY}}` : null;

// rabbit_amqqueue:declare_args/0: each known argument is checked at declare, as RabbitMQ does
const QUEUE_ARG_CHECKS: Record<string, Check> = {
  'x-expires': (v, t) => intArg(v, t) ?? (v === 0 ? `{value_zero,0}` : expiry(v as number)),
  'x-message-ttl': (v, t) => intArg(v, t) ?? expiry(v as number),
  'x-dead-letter-exchange': (_v, t) => (t === 'longstr' ? null : `{unacceptable_type,${t}}`),
  'x-dead-letter-routing-key': (_v, t, args) =>
    t !== 'longstr'
      ? `{unacceptable_type,${t}}`
      : args['x-dead-letter-exchange'] === undefined
        ? 'routing_key_but_no_dlx_defined'
        : null,
  'x-max-length': nonNegInt,
  'x-max-length-bytes': nonNegInt,
  'x-max-in-memory-length': nonNegInt,
  'x-max-in-memory-bytes': nonNegInt,
  'x-max-priority': (v, t) =>
    nonNegInt(v, t, {}) ?? ((v as number) > MAX_PRIORITY ? `{max_value_exceeded,${String(v)}}` : null),
  'x-overflow': (v, t) =>
    t !== 'longstr'
      ? `{unacceptable_type,${t}}`
      : ['drop-head', 'reject-publish', 'reject-publish-dlx'].includes(v as string)
        ? null
        : 'invalid_overflow',
  'x-queue-mode': (v, t) =>
    t !== 'longstr'
      ? `{unacceptable_type,${t}}`
      : ['default', 'lazy'].includes(v as string)
        ? null
        : 'invalid_queue_mode',
  'x-single-active-consumer': (_v, t) => (t === 'bool' ? null : `{unacceptable_type,${t}}`),
  'x-queue-type': (v, t) =>
    t !== 'longstr'
      ? `{unacceptable_type,${t}}`
      : ['classic', 'quorum', 'stream'].includes(v as string)
        ? null
        : `"unsupported queue type '${String(v)}'"`,
};

// rabbit_amqqueue:check_max_age_arg/2, check_non_neg_int_arg for the segment size
QUEUE_ARG_CHECKS['x-max-age'] = (v, t) =>
  t !== 'longstr' ? `{unacceptable_type,${t}}` : parseMaxAge(v) < 0 ? 'invalid_max_age' : null;
QUEUE_ARG_CHECKS['x-stream-max-segment-size-bytes'] = nonNegInt;

// Warren's own queue arguments (not in RabbitMQ 3.10): checked the same way
QUEUE_ARG_CHECKS['x-consumer-timeout'] = nonNegInt;
QUEUE_ARG_CHECKS['x-requeue-delay'] = (v, t) =>
  t === 'table'
    ? parseRequeueDelay(v) === null
      ? 'base_must_be_a_positive_number'
      : null
    : (intArg(v, t) ?? ((v as number) <= 0 ? `{value_not_positive,${String(v)}}` : null));

/**
 * rabbit_amqqueue:declare_args/0 lists every argument RabbitMQ knows; one a queue type does not support
 * (not in its capabilities' queue_arguments) is refused: "invalid arg 'x-max-priority' for queue 'q' in
 * vhost '/' of queue type rabbit_quorum_queue". Warren also supports x-delivery-limit on classic queues.
 */
const KNOWN_QUEUE_ARGS = new Set([...CLASSIC_EQUIVALENCE, ...QUORUM_EQUIVALENCE, ...STREAM_EQUIVALENCE]);
const CLASSIC_SUPPORTED = new Set([...CLASSIC_EQUIVALENCE, 'x-delivery-limit']);
const QUORUM_SUPPORTED = new Set(QUORUM_EQUIVALENCE);
/** rabbit_stream_queue capabilities(): the queue arguments a stream takes. */
const STREAM_SUPPORTED = new Set([
  'x-max-length-bytes',
  'x-max-age',
  'x-stream-max-segment-size-bytes',
  'x-initial-cluster-size',
  'x-queue-leader-locator',
  'x-stream-filter-size-bytes',
]);
const STREAM_REFUSED = new Set([...KNOWN_QUEUE_ARGS].filter((k) => !STREAM_SUPPORTED.has(k) && k !== 'x-queue-type'));

/**
 * Validate a new queue's x-queue-type and the properties it allows; returns the type. `serverNamed`: the
 * client asked for a name (queue.declare with ''), which quorum queues and streams refuse (capabilities'
 * server_named => false), before their arguments are checked, as RabbitMQ does.
 */
export function validateQueueArgs(name: string, vhost: string, d: QueueDeclare, serverNamed = false): QueueType {
  const r = `queue '${name}' in vhost '${vhost}'`;
  const types = d.argTypes ?? {};
  const t = d.args['x-queue-type'];
  if (serverNamed && (t === 'quorum' || t === 'stream'))
    throw preconditionFailed(`Cannot declare a server-named queue for type rabbit_${t}_queue`);
  for (const [k, v] of Object.entries(d.args)) {
    // quorum queues take x-delivery-limit as given (RabbitMQ 3.10 does not check its value)
    if (k === 'x-delivery-limit' && t === 'quorum') continue;
    const check = k === 'x-delivery-limit' ? nonNegInt : QUEUE_ARG_CHECKS[k];
    if (check === undefined) continue;
    const err = check(v, types[k] ?? typeOf(v), d.args);
    if (err !== null) throw preconditionFailed(`invalid arg '${k}' for ${r}: ${err}`);
  }
  if (t === 'classic' || t === 'quorum' || t === undefined) {
    const supported = t === 'quorum' ? QUORUM_SUPPORTED : CLASSIC_SUPPORTED;
    for (const k of Object.keys(d.args)) {
      if (KNOWN_QUEUE_ARGS.has(k) && !supported.has(k)) {
        throw preconditionFailed(
          `invalid arg '${k}' for ${r} of queue type ${t === 'quorum' ? 'rabbit_quorum_queue' : 'rabbit_classic_queue'}`,
        );
      }
    }
  }
  if (t === undefined || t === 'classic') return 'classic';
  if (t === 'quorum') {
    if (!d.durable) throw preconditionFailed(`invalid property 'non-durable' for ${r}`);
    if (d.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${r}`);
    if (d.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${r}`);
    return 'quorum';
  }
  if (t === 'stream') {
    for (const k of Object.keys(d.args)) {
      if (STREAM_REFUSED.has(k))
        throw preconditionFailed(`invalid arg '${k}' for ${r} of queue type rabbit_stream_queue`);
    }
    if (!d.durable) throw preconditionFailed(`invalid property 'non-durable' for ${r}`);
    if (d.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${r}`);
    if (d.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${r}`);
    // rabbit_stream_queue:check_filter_size/1 (its text has two spaces)
    const fs = d.args['x-stream-filter-size-bytes'];
    if (fs !== undefined && (typeof fs !== 'number' || fs < 16 || fs > 255))
      throw preconditionFailed('Invalid value for  x-stream-filter-size-bytes');
    return 'stream';
  }
  return 'classic';
}
