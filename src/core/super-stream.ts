// Super streams (partitioned streams, https://www.rabbitmq.com/docs/streams#super-streams) as RabbitMQ's
// rabbit_stream_manager builds them: a durable direct exchange with the argument `x-super-stream: true`, one
// stream queue per partition, each bound with its binding key and `x-stream-partition-order` (0, 1, ...).
// Nothing else marks a super stream: its partitions are the exchange's bindings to stream queues, sorted by
// that order (rabbit_stream_utils:sort_partitions), and routing is the exchange's (direct: key match).
// Used by the Stream protocol's create/delete super stream, route and partitions commands, the management
// API (PUT /api/stream/super-streams/VHOST/NAME) and `warren ctl add_super_stream`/`delete_super_stream`.
// Errors carry rabbit_stream_manager's reasons (the Stream protocol maps them to its response codes).
import type { Destination, Exchange } from './exchange/exchange.js';
import { BrokerError } from './errors.js';
import { StacklessError } from '../util/stackless-error.js';
import { StreamQueue } from './queue/stream/stream-queue.js';
import type { VHost } from './vhost.js';

/** rabbit_stream_manager's error reasons. */
export type StreamManagerReason =
  | 'validation_failed'
  | 'reference_already_exists'
  | 'reference_not_found'
  | 'stream_not_found'
  | 'binding_invalid'
  | 'internal_error';

/** A refusal answered to the client (a response code): no stack trace to capture (util/stackless-error.ts). */
export class StreamManagerError extends StacklessError {
  constructor(
    readonly reason: StreamManagerReason,
    message: string = reason,
  ) {
    super(message);
  }
}

/** The argument on the exchange that marks a super stream. */
export const SUPER_STREAM_ARG = 'x-super-stream';
/** The binding argument giving a partition's place. */
export const PARTITION_ORDER_ARG = 'x-stream-partition-order';

/** What `add_super_stream` (and the management API) builds from --partitions N or --binding-keys a,b,c. */
export interface SuperStreamLayout {
  partitions: string[];
  bindingKeys: string[];
}

/** `--partitions N`: streams NAME-0..NAME-(N-1) bound with keys "0".."N-1" (AddSuperStreamCommand). */
export function layoutFromPartitions(name: string, n: number): SuperStreamLayout {
  const partitions: string[] = [];
  const bindingKeys: string[] = [];
  for (let i = 0; i < n; i++) {
    partitions.push(`${name}-${i}`);
    bindingKeys.push(String(i));
  }
  return { partitions, bindingKeys };
}

/** `--binding-keys a,b,c`: streams NAME-a, NAME-b, NAME-c; blank keys dropped, keys trimmed. */
export function layoutFromBindingKeys(name: string, keys: string): SuperStreamLayout {
  const bindingKeys = keys
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  return { partitions: bindingKeys.map((k) => `${name}-${k}`), bindingKeys };
}

/** rabbit_stream_utils:enforce_correct_name: CR and LF removed; empty and amq.* names refused. */
export function correctName(name: string): string | null {
  const n = name.replace(/[\r\n]/g, '');
  return n === '' || n.startsWith('amq.') ? null : n;
}

/**
 * rabbit_stream_manager:stream_queue_arguments: the Stream protocol's stream arguments (create stream, create
 * super stream; string values) as queue arguments. Unknown keys are ignored, as RabbitMQ does.
 */
export function streamQueueArguments(args: Record<string, string | number>): Record<string, unknown> {
  const out: Record<string, unknown> = { 'x-queue-type': 'stream' };
  const int = (k: string): number => {
    const n = Number(args[k]);
    if (!Number.isInteger(n)) throw new StreamManagerError('validation_failed');
    return n;
  };
  if (args['max-length-bytes'] !== undefined) out['x-max-length-bytes'] = int('max-length-bytes');
  if (args['max-age'] !== undefined) out['x-max-age'] = String(args['max-age']);
  if (args['stream-max-segment-size-bytes'] !== undefined)
    out['x-stream-max-segment-size-bytes'] = int('stream-max-segment-size-bytes');
  if (args['initial-cluster-size'] !== undefined) {
    const n = int('initial-cluster-size');
    if (n <= 0) throw new StreamManagerError('validation_failed');
    out['x-initial-cluster-size'] = n;
  }
  if (args['queue-leader-locator'] !== undefined) {
    const l = String(args['queue-leader-locator']);
    // rabbit_queue_location:queue_leader_locators()
    if (!['client-local', 'balanced', 'random', 'least-leaders'].includes(l))
      throw new StreamManagerError('validation_failed');
    out['x-queue-leader-locator'] = l;
  }
  if (args['stream-filter-size-bytes'] !== undefined) {
    const n = int('stream-filter-size-bytes');
    if (n < 16 || n > 255) throw new StreamManagerError('validation_failed');
    out['x-stream-filter-size-bytes'] = n;
  }
  return out;
}

const ARG_TYPES: Record<string, string> = {
  'x-queue-type': 'longstr',
  'x-max-age': 'longstr',
  'x-queue-leader-locator': 'longstr',
  'x-max-length-bytes': 'long',
  'x-stream-max-segment-size-bytes': 'long',
  'x-initial-cluster-size': 'long',
  'x-stream-filter-size-bytes': 'long',
};

/**
 * rabbit_stream_manager:create: a stream queue from Stream protocol arguments. An existing queue of that name
 * is reference_already_exists; refused arguments (the queue's 406) are validation_failed.
 */
export function createStream(v: VHost, name: string, args: Record<string, string | number>): StreamQueue {
  const n = correctName(name);
  if (n === null) throw new StreamManagerError('validation_failed');
  const qargs = streamQueueArguments(args);
  if (v.queues.has(n)) throw new StreamManagerError('reference_already_exists');
  const argTypes: Record<string, string> = {};
  for (const k of Object.keys(qargs)) argTypes[k] = ARG_TYPES[k] ?? 'longstr';
  try {
    const q = v.declareQueue(n, { durable: true, exclusive: false, autoDelete: false, args: qargs, argTypes }, null);
    return q as StreamQueue;
  } catch (e) {
    if (e instanceof BrokerError) throw new StreamManagerError('validation_failed', e.message);
    throw e;
  }
}

/** rabbit_stream_manager:delete: only a stream queue; anything else is reference_not_found. */
export function deleteStream(v: VHost, name: string): void {
  const q = v.queues.get(name);
  if (!(q instanceof StreamQueue)) throw new StreamManagerError('reference_not_found');
  v.deleteQueueObject(q);
}

/**
 * rabbit_stream_manager:create_super_stream: validate, declare the exchange, create each partition (default
 * leader locator "balanced"), bind them in order; on a failure what was created is removed again.
 */
export function createSuperStream(
  v: VHost,
  name: string,
  partitions: string[],
  args: Record<string, string | number>,
  bindingKeys: string[],
): void {
  validateCreation(v, name, partitions, bindingKeys);
  const xname = correctName(name)!;
  v.declareExchange(xname, {
    type: 'direct',
    durable: true,
    autoDelete: false,
    internal: false,
    args: { [SUPER_STREAM_ARG]: true },
    argTypes: { [SUPER_STREAM_ARG]: 'bool' },
  });
  const created: string[] = [];
  const rollback = (): void => {
    for (const p of created) if (v.queues.has(p)) v.deleteQueueObject(v.queues.get(p)!);
    v.deleteExchange(xname, false);
  };
  const streamArgs =
    args['queue-leader-locator'] === undefined ? { ...args, 'queue-leader-locator': 'balanced' } : args;
  try {
    for (const p of partitions) {
      createStream(v, p, streamArgs);
      created.push(correctName(p)!);
    }
    for (let i = 0; i < partitions.length; i++) {
      v.bindQueue(correctName(partitions[i]!)!, xname, bindingKeys[i]!, { [PARTITION_ORDER_ARG]: i }, null);
    }
  } catch (e) {
    rollback();
    if (e instanceof StreamManagerError) throw e;
    throw new StreamManagerError('internal_error', e instanceof Error ? e.message : String(e));
  }
}

/** rabbit_stream_manager:validate_super_stream_creation, its checks in its order and with its texts. */
function validateCreation(v: VHost, name: string, partitions: string[], bindingKeys: string[]): void {
  const fail = (text: string): never => {
    throw new StreamManagerError('validation_failed', text);
  };
  if (partitions.length !== bindingKeys.length) fail('There must be the same number of partitions and binding keys');
  if (new Set(partitions).size !== partitions.length) fail(`Duplicate partition names found ${partitions.join('')}`);
  const bad = partitions.filter((p) => correctName(p) === null);
  if (bad.length !== 0) fail(`${bad.join('')} is not a correct partition names`);
  if (v.maxQueues >= 0 && v.queues.size + partitions.length > v.maxQueues) {
    fail(
      // ~tp of a binary, as RabbitMQ renders it
      `Cannot declare super stream <<"${name}">> with ${partitions.length} partition(s) because queue limit ` +
        `${v.maxQueues} in vhost '<<"${v.name}">>' is reached`,
    );
  }
  const xname = correctName(name);
  if (xname === null) fail(`${name} is not a correct name for a super stream`);
  if (v.exchanges.has(xname!))
    throw new StreamManagerError('reference_already_exists', `there is already an exchange named ${name}`);
  for (const p of partitions) {
    if (v.queues.has(correctName(p)!))
      throw new StreamManagerError('reference_already_exists', `there is already a queue named ${p}`);
  }
}

/** The super stream's exchange, or stream_not_found. */
function superStreamExchange(v: VHost, name: string): Exchange {
  const x = v.exchanges.get(name);
  if (x === undefined) throw new StreamManagerError('stream_not_found');
  return x;
}

/** The order of a partition binding; bindings without one sort last (rabbit_stream_utils:sort_partitions). */
function orderOf(args: Record<string, unknown>): number {
  const o = args[PARTITION_ORDER_ARG];
  const n = typeof o === 'number' ? o : typeof o === 'string' ? Number(o) : NaN;
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}

/** rabbit_stream_manager:partitions: the stream queues bound to the exchange, by partition order. */
export function superStreamPartitions(v: VHost, name: string): string[] {
  const x = superStreamExchange(v, name);
  const bs = [...x.bindings.values()].filter(
    (b) => b.destination.kind === 'queue' && v.queues.get(b.destination.name) instanceof StreamQueue,
  );
  bs.sort((a, b) => orderOf(a.args) - orderOf(b.args));
  const out: string[] = [];
  for (const b of bs) out.push(b.destination.name);
  return out;
}

/**
 * rabbit_stream_manager:route: the streams the exchange routes `routingKey` to (the exchange type's routing:
 * direct for a super stream), stream queues only; [] is RabbitMQ's no_route. A missing exchange is
 * stream_not_found.
 */
export function routeSuperStream(v: VHost, name: string, routingKey: string): string[] {
  const x = superStreamExchange(v, name);
  const out: Destination[] = [];
  x.routeKey(routingKey, out);
  const names: string[] = [];
  for (const d of out) {
    if (d.kind === 'queue' && v.queues.get(d.name) instanceof StreamQueue && !names.includes(d.name))
      names.push(d.name);
  }
  return names;
}

/**
 * rabbit_stream_manager:partition_index: the stream's x-stream-partition-order in the super stream, else the
 * number after its last "-" (older super streams), else -1; stream_not_found when it is not a partition.
 */
export function partitionIndex(v: VHost, name: string, stream: string): number {
  const x = superStreamExchange(v, name);
  const bs = [...x.bindings.values()].filter(
    (b) =>
      b.destination.kind === 'queue' && b.destination.name === stream && v.queues.get(stream) instanceof StreamQueue,
  );
  if (bs.length === 0) throw new StreamManagerError('stream_not_found');
  bs.sort((a, b) => orderOf(a.args) - orderOf(b.args));
  const o = orderOf(bs[0]!.args);
  if (Number.isFinite(o)) return Math.trunc(o);
  const dash = stream.lastIndexOf('-');
  const tail = dash < 0 ? '' : stream.slice(dash + 1);
  return /^[+-]?\d+$/.test(tail) ? Number(tail) : -1;
}

/**
 * rabbit_stream_manager:delete_super_stream: the exchange and every partition stream go (a partition already
 * gone is skipped, as RabbitMQ logs and goes on); a missing exchange is stream_not_found.
 */
export function deleteSuperStream(v: VHost, name: string): void {
  const partitions = superStreamPartitions(v, name);
  const x = correctName(name);
  if (x !== null) v.deleteExchange(x, false);
  for (const p of partitions) {
    const q = v.queues.get(p);
    if (q instanceof StreamQueue) v.deleteQueueObject(q);
  }
}

/**
 * The permissions creating (or deleting) a super stream takes (rabbit_stream_utils:
 * check_super_stream_management_permitted): configure on the exchange and each partition, read on the
 * exchange (binding from it), write on each partition (binding to it). Checked in this order by the caller.
 */
export function superStreamPermissions(
  name: string,
  partitions: string[],
): { kind: 'exchange' | 'queue'; name: string; perm: 'configure' | 'read' | 'write' }[] {
  return [
    { kind: 'exchange', name, perm: 'configure' },
    ...partitions.map((p) => ({ kind: 'queue' as const, name: p, perm: 'configure' as const })),
    { kind: 'exchange', name, perm: 'read' },
    ...partitions.map((p) => ({ kind: 'queue' as const, name: p, perm: 'write' as const })),
  ];
}

/** Whether the exchange is a super stream's (management lists them: rabbit_stream_mgmt_util). */
export function isSuperStreamExchange(x: Exchange): boolean {
  return x.args[SUPER_STREAM_ARG] === true;
}
