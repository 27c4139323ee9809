// Messages in and out of a stream for the core's protocols. A stream stores AMQP 1.0 messages (as RabbitMQ
// 3.13 does): a message published over 0-9-1, MQTT or STOMP is converted once, at append, with RabbitMQ's
// mc_amqpl mapping (codec/amqp10/from-amqp091.ts; MQTT/STOMP go through their 0-9-1 properties, as
// RabbitMQ's plugins map them, less the MQTT-only x-mqtt-* headers); a 0-9-1 consumer gets it back with to-amqp091.ts plus x-stream-offset.
import { decodeProperties, encodeProperties, BasicProperties } from '../../codec/amqp/properties.js';
import { Writer } from '../../codec/buffer/writer.js';
import { amqp091ToAmqp10, isShortstr } from '../../codec/amqp10/from-amqp091.js';
import { Amqp10Message } from '../../codec/amqp10/message.js';
import { amqp10ToAmqp091 } from '../../codec/amqp10/to-amqp091.js';
import { mapGet } from '../../codec/amqp10/types.js';
import { formatByName } from '../../core/formats.js';
import { Message, type ContentFormat } from '../../core/message.js';

const AMQP091 = 'amqp-0-9-1';
const w = new Writer(65536);

function amqpFormat(): ContentFormat {
  const f = formatByName(AMQP091);
  if (f === undefined) throw new Error('the AMQP 0-9-1 content format is not registered');
  return f;
}

/** Where the headers table of a 0-9-1 content header (from the property flags on) lies, or null. */
function headersSpan(props: Buffer): { buf: Buffer; start: number; end: number } | null {
  if (props.length < 2) return null;
  const flags = (props[0]! << 8) | props[1]!;
  if ((flags & (1 << 13)) === 0) return null;
  let p = 2;
  // property flags may continue (bit 0); basic has 14 properties, so at most one more word
  while ((props[p - 1]! & 1) !== 0) p += 2;
  if ((flags & (1 << 15)) !== 0) p += 1 + props[p]!;
  if ((flags & (1 << 14)) !== 0) p += 1 + props[p]!;
  const n = props.readUInt32BE(p);
  return { buf: props, start: p + 4, end: p + 4 + n };
}

const FILTER_KEY = Buffer.from('\u0015x-stream-filter-value', 'latin1');
/** Sizes of fixed-size 0-9-1 field values by type octet (field-table.ts), for stepping over them. */
const FIXED: Record<number, number> = {};
for (const [t, n] of [
  ['t', 1],
  ['b', 1],
  ['B', 1],
  ['s', 2],
  ['u', 2],
  ['I', 4],
  ['i', 4],
  ['f', 4],
  ['l', 8],
  ['L', 8],
  ['d', 8],
  ['T', 8],
  ['D', 5],
  ['V', 0],
] as const)
  FIXED[t.charCodeAt(0)] = n;

/**
 * The `x-stream-filter-value` header of a 0-9-1 message (a longstr; RabbitMQ 3.13 takes a utf8 one, mc:x_header),
 * read from the raw header table: no table decode per publish, and a quick byte search first.
 */
export function filterValueOf(m: Message): Buffer | null {
  const props = m.format.name === AMQP091 ? m.props : null;
  if (props === null) {
    const h = m.format.decodeHeaders(m.props)?.['x-stream-filter-value'];
    return typeof h === 'string' && h !== '' ? Buffer.from(h) : null;
  }
  const span = headersSpan(props);
  if (span === null) return null;
  const b = span.buf;
  if (b.indexOf(FILTER_KEY, span.start) < 0) return null;
  let p = span.start;
  while (p < span.end) {
    const klen = b[p]!;
    const isFilter = klen === 21 && b.compare(FILTER_KEY, 0, 22, p, p + 22) === 0;
    p += 1 + klen;
    const t = b[p++]!;
    const fixed = FIXED[t];
    let len: number;
    if (fixed !== undefined) len = fixed;
    else if (t === 0x53 /* S */ || t === 0x78 /* x */ || t === 0x46 /* F */ || t === 0x41 /* A */) {
      len = 4 + b.readUInt32BE(p);
    } else return null; // a type this walk does not know: no filter value
    if (isFilter) {
      // as mc_amqpl converts it: a string (utf8, at most 255 bytes) is a filter value, a binary is not
      const v = b.subarray(p + 4, p + len);
      return t === 0x53 && v.length > 0 && isShortstr(v) ? v : null;
    }
    p += len;
  }
  return null;
}

/**
 * What a filtering reader needs of a stored message: whether the broker converted it (it has the x-exchange
 * annotation convert.ts writes, so a missing filter value means "published without one") and its
 * x-stream-filter-value annotation.
 */
export function storedFilterValue(a: Amqp10Message): { converted: boolean; value: string | null } {
  const ma = a.messageAnnotations;
  const v = mapGet(ma, 'x-stream-filter-value');
  return {
    converted: mapGet(ma, 'x-exchange') !== undefined,
    value: v !== undefined && (v.type === 'string' || v.type === 'symbol') ? v.value : null,
  };
}

/**
 * The MQTT plugin's 0-9-1 headers that RabbitMQ 3.13+ never writes into a stream: it converts an MQTT message to
 * AMQP 1.0 directly (mc_mqtt:convert_to(mc_amqp, …): the QoS becomes header durable, no annotation). As
 * annotations they would also stop rabbitmq-stream-js-client, which cannot decode the byte-typed QoS.
 */
const MQTT_ONLY_HEADERS = ['x-mqtt-publish-qos', 'x-mqtt-dup'];

function commonProps(m: Message): Buffer {
  const c = m.format.toCommon(m.props);
  if (m.format.name === 'mqtt' && c.headers !== undefined) {
    const h = { ...c.headers };
    for (const k of MQTT_ONLY_HEADERS) delete h[k];
    c.headers = h;
  }
  return amqpFormat().fromCommon(c);
}

/** The AMQP 1.0 encoding of `m` (a view valid until the next call). */
export function toStreamMessage(m: Message): Buffer {
  const props = m.format.name === AMQP091 ? m.props : commonProps(m);
  const p = decodeProperties(props, 0, props.length);
  amqp091ToAmqp10(w, p, headersSpan(props), m.body, { exchange: m.exchange, routingKey: m.routingKey });
  return w.take() ?? Buffer.alloc(0);
}

/** A stored message as a core Message for a 0-9-1 consumer, with its x-stream-offset header. */
export function fromStreamMessage(
  bytes: Buffer | Amqp10Message,
  offset: number,
  timestamp: number,
  queueName: string,
): Message {
  const a = bytes instanceof Amqp10Message ? bytes : new Amqp10Message(bytes);
  const r = amqp10ToAmqp091(a, { streamOffset: offset });
  const bp = new BasicProperties();
  bp.contentType = r.contentType;
  bp.contentEncoding = r.contentEncoding;
  bp.headers = r.headers;
  bp.deliveryMode = r.deliveryMode;
  bp.priority = r.priority;
  bp.correlationId = r.correlationId;
  bp.replyTo = r.replyTo;
  bp.expiration = r.expiration;
  bp.messageId = r.messageId;
  bp.timestamp = r.timestamp;
  bp.type = r.type;
  bp.userId = r.userId;
  bp.appId = r.appId;
  encodeProperties(w, bp);
  const props = Buffer.from(w.take() ?? Buffer.alloc(2));
  // the exchange and routing key it was published with (RabbitMQ delivers them), else "" and the stream
  const ma = a.messageAnnotations;
  const x = mapGet(ma, 'x-exchange');
  const rk = mapGet(ma, 'x-routing-key');
  const exchange = x !== undefined && typeof x.value === 'string' ? x.value : '';
  const routingKey = rk !== undefined && typeof rk.value === 'string' ? rk.value : queueName;
  // expiration is not applied on a stream: passed as null so the core never expires it
  return new Message(amqpFormat(), exchange, routingKey, props, r.body, r.deliveryMode === 2, 0, null, timestamp, 0);
}
