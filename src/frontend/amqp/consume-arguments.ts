// basic.consume's arguments, checked as RabbitMQ checks them before a queue sees the consumer
// (rabbit_amqqueue:basic_consume → check_consume_arguments with consume_args/0, and the queue type's
// capabilities() consumer_arguments). Only the arguments RabbitMQ knows are checked; others are ignored.
// 1. A known argument the queue's type does not take: 406 "invalid arg 'x-priority' for queue 'q' in vhost '/'
//    of queue type rabbit_stream_queue" (x-stream-offset on a classic queue, x-priority on a stream, …).
// 2. Its value: x-priority an integer ("expected integer, got longstr"), x-cancel-on-ha-failover a boolean
//    ({unacceptable_type,longstr}), x-stream-offset one rabbit_stream_queue:parse_offset_arg/1 accepts
//    ({invalid_stream_offset_arg,{longstr,<<"1x">>}}). Texts as the anchor RabbitMQ 3.10 gives them.
import type { QueueType } from '../../core/queue/settings.js';
import type { OffsetSpec } from '../../core/queue/stream/backing.js';
import { channelError } from './errors.js';
import { parseOffsetSpec } from './stream-offset.js';

/** consume_args/0: the consumer arguments RabbitMQ validates. */
const KNOWN = ['x-priority', 'x-cancel-on-ha-failover', 'x-stream-offset'];

/** Each queue type's capabilities() consumer_arguments (3.10-3.13; x-credit is AMQP 1.0's). */
const SUPPORTED: Record<QueueType, ReadonlySet<string>> = {
  classic: new Set(['x-cancel-on-ha-failover', 'x-priority', 'x-credit']),
  quorum: new Set(['x-priority', 'x-credit']),
  stream: new Set(['x-stream-offset']),
};

const INTEGER_TYPES = new Set(['byte', 'short', 'signedint', 'long', 'unsignedbyte', 'unsignedshort', 'unsignedint']);

/**
 * Check `args` (wire types in `types`) for a consumer of a queue of `type` (`r`: "queue 'q' in vhost '/'");
 * returns the stream offset spec (x-stream-offset; "next" when absent), null for other queue types.
 */
export function checkConsumeArguments(
  type: QueueType,
  r: string,
  args: Record<string, unknown>,
  types: Record<string, string>,
): OffsetSpec | null {
  for (const k of KNOWN) {
    if (args[k] !== undefined && !SUPPORTED[type].has(k)) {
      throw channelError(406, `invalid arg '${k}' for ${r} of queue type rabbit_${type}_queue`);
    }
  }
  const invalid = (k: string, why: string) => channelError(406, `invalid arg '${k}' for ${r}: ${why}`);
  const p = args['x-priority'];
  if (p !== undefined) {
    const t = types['x-priority'] ?? 'longstr';
    if (!INTEGER_TYPES.has(t) || typeof p !== 'number') throw invalid('x-priority', `"expected integer, got ${t}"`);
  }
  const h = args['x-cancel-on-ha-failover'];
  if (h !== undefined && typeof h !== 'boolean') {
    throw invalid('x-cancel-on-ha-failover', `{unacceptable_type,${types['x-cancel-on-ha-failover'] ?? 'longstr'}}`);
  }
  if (type !== 'stream') return null;
  const o = args['x-stream-offset'];
  const spec = parseOffsetSpec(o);
  if (spec === null) {
    const t = types['x-stream-offset'] ?? 'longstr';
    throw invalid('x-stream-offset', `{invalid_stream_offset_arg,{${t},${erlangValue(o, t)}}}`);
  }
  return spec;
}

/** An argument's value as Erlang prints it in the term RabbitMQ's text shows: <<"1x">> for a string. */
function erlangValue(v: unknown, type: string): string {
  if (type === 'longstr' || typeof v === 'string') return `<<"${String(v)}">>`;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return JSON.stringify(v) ?? 'undefined';
}
