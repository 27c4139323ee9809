// x-stream-offset (https://www.rabbitmq.com/docs/streams#consuming): where a 0-9-1 consumer of a stream
// starts. rabbit_stream_queue:consume/3 accepts "first", "last", "next", a non-negative numeric offset, a
// timestamp (AMQP 'T', seconds) or an interval string such as "1h" (parsed as x-max-age is: Y M D h m s,
// meaning "from now minus that"; a positive number, as x-max-age). The anchor RabbitMQ 3.10 refuses an interval
// it cannot parse with 406 "invalid arg 'x-stream-offset' … {invalid_stream_offset_arg,…}" and crashes on other
// values (541 INTERNAL_ERROR, closing the connection); Warren refuses every invalid one with that 406
// (consume-arguments.ts, docs/compat.md).
import { Timestamp } from '../../codec/amqp/field-table.js';
import { parseMaxAge } from '../../core/queue/settings.js';
import type { OffsetSpec } from '../../core/queue/stream/backing.js';

/** The offset spec of a consume argument; null when it is not one. Absent means "next". */
export function parseOffsetSpec(v: unknown, now = Date.now()): OffsetSpec | null {
  if (v === undefined) return { kind: 'next' };
  if (v instanceof Timestamp) return { kind: 'timestamp', ms: v.seconds * 1000 };
  if (v instanceof Date) return { kind: 'timestamp', ms: v.getTime() };
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = Number(v);
    // RabbitMQ treats a negative offset as "first"
    return Number.isInteger(n) ? { kind: 'offset', offset: Math.max(0, n) } : null;
  }
  const s = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  if (typeof s !== 'string') return null;
  if (s === 'first' || s === 'last' || s === 'next') return { kind: s };
  const age = parseMaxAge(s);
  return age < 0 ? null : { kind: 'timestamp', ms: now - age };
}
