// Queue and exchange arguments: which ones take part in RabbitMQ's equivalence check on redeclare, the
// texts of its 406 replies, and the validation of x-queue-type. (Argument semantics, TTL and the like,
// come with the queue-features work; here only what a declare must refuse.)
import { notImplemented, preconditionFailed } from './errors.js';
import type { QueueDeclare } from './vhost.js';

// rabbit_classic_queue / rabbit_quorum_queue capabilities(): the arguments compared on redeclare.
const CLASSIC_EQUIVALENCE = [
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
const QUORUM_EQUIVALENCE = [
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
const EXCHANGE_EQUIVALENCE = ['alternate-exchange'];

/** RabbitMQ's rendering of a typed table value in error texts: "the value '5' of type 'signedint'". */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'none';
  return `the value '${String(v)}' of type '${typeName(v)}'`;
}

function typeName(v: unknown): string {
  if (typeof v === 'string') return 'longstr';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'double';
    return v >= -0x80000000 && v <= 0x7fffffff ? 'signedint' : 'long';
  }
  if (v === null) return 'void';
  if (Buffer.isBuffer(v)) return 'binary';
  if (Array.isArray(v)) return 'array';
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
  received: Record<string, unknown>,
  r: string,
) {
  for (const k of keys) {
    const c = current[k];
    const n = received[k];
    if (c === undefined && n === undefined) continue;
    // x-queue-type 'classic' is the default: absent and 'classic' are equivalent (RabbitMQ 3.10+)
    if (k === 'x-queue-type' && (c ?? 'classic') === (n ?? 'classic')) continue;
    if (!sameValue(c, n)) {
      throw preconditionFailed(
        `inequivalent arg '${k}' for ${r}: received ${describeValue(n)} but current is ${describeValue(c)}`,
      );
    }
  }
}

export function checkQueueArgsEquivalence(
  type: 'classic' | 'quorum',
  current: Record<string, unknown>,
  received: Record<string, unknown>,
  resource: string,
): void {
  checkEquivalence(type === 'quorum' ? QUORUM_EQUIVALENCE : CLASSIC_EQUIVALENCE, current, received, resource);
}

export function checkExchangeArgsEquivalence(
  current: Record<string, unknown>,
  received: Record<string, unknown>,
  resource: string,
): void {
  checkEquivalence(EXCHANGE_EQUIVALENCE, current, received, resource);
}

/** Validate a new queue's x-queue-type and the properties it allows; returns the type. */
export function validateQueueArgs(name: string, vhost: string, d: QueueDeclare): 'classic' | 'quorum' {
  const t = d.args['x-queue-type'];
  const r = `queue '${name}' in vhost '${vhost}'`;
  if (t === undefined || t === 'classic') return 'classic';
  if (t === 'quorum') {
    if (!d.durable) throw preconditionFailed(`invalid property 'non-durable' for ${r}`);
    if (d.exclusive) throw preconditionFailed(`invalid property 'exclusive-owner' for ${r}`);
    if (d.autoDelete) throw preconditionFailed(`invalid property 'auto-delete' for ${r}`);
    return 'quorum';
  }
  if (t === 'stream') throw notImplemented(`queue type 'stream' is not supported by Warren yet (${r})`);
  throw preconditionFailed(`invalid arg 'x-queue-type' for ${r}: {unsupported_queue_type,<<"${String(t)}">>}`);
}
