// AMQP 0-9-1 basic properties and body → an AMQP 1.0 message, as RabbitMQ 3.13 converts a 0-9-1 message for a
// stream (deps/rabbit/src/mc_amqpl.erl convert_to(mc_amqp, ...), commit 002af204 of rabbitmq-server; then
// mc_amqp:protocol_state/2 adds the exchange and routing key annotations):
// - header: durable = (delivery-mode = 2), ttl = expiration as an integer, priority (ubyte).
// - message-annotations: x-exchange and x-routing-key (protocol_state); every "x-" header with its value
//   (from_091/2); a "CC" array as x-cc; the type property as x-basic-type.
// - properties: message-id and correlation-id (a "urn:uuid:" string becomes a uuid, mc_util:urn_string_to_uuid),
//   user-id (binary), reply-to, content-type and content-encoding (symbols), creation-time = timestamp × 1000,
//   group-id = app-id. `to` and `subject` stay unset.
// - application-properties: the other headers, except arrays and tables (supported_header_value_type/1).
// - body: one data section; a message whose type is "amqp-1.0" already carries AMQP 1.0 sections: kept as is.
// Header values are read from the raw 0-9-1 field table so each keeps its exact type (from_091/2).
import type { Writer } from '../buffer/writer.js';
import { encodeMessage, type MessageProperties, type MessageSections } from './sections.js';
import { amqp, type Amqp10Value } from './types.js';

export const AMQP10_TYPE = 'amqp-1.0';

/** The 0-9-1 properties a conversion needs, as decoded strings and numbers (codec/amqp BasicProperties fits). */
export interface Basic091 {
  contentType: string | null;
  contentEncoding: string | null;
  deliveryMode: number | null;
  priority: number | null;
  correlationId: string | null;
  replyTo: string | null;
  expiration: string | null;
  messageId: string | null;
  timestamp: number | null;
  type: string | null;
  userId: string | null;
  appId: string | null;
}

/** mc_util:is_valid_shortstr/1: at most 255 bytes of valid UTF-8. */
export function isShortstr(b: Buffer): boolean {
  if (b.length > 255) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** from_091/2 for one raw field value at buf[p] (type octet first); returns [value, next offset]. */
export function fieldValueToAmqp10(buf: Buffer, p: number): [Amqp10Value | undefined, number] {
  const t = buf[p++]!;
  switch (t) {
    case 0x53: {
      // longstr: utf8 when it is a valid shortstr, else binary ("we just assume it is binary")
      const n = buf.readUInt32BE(p);
      const s = buf.subarray(p + 4, p + 4 + n);
      return [isShortstr(s) ? amqp.string(s.toString('utf8')) : amqp.binary(Buffer.from(s)), p + 4 + n];
    }
    case 0x6c:
    case 0x4c:
      return [amqp.long(Number(buf.readBigInt64BE(p))), p + 8];
    case 0x42:
      return [amqp.ubyte(buf[p]!), p + 1];
    case 0x62:
      return [amqp.byte(buf.readInt8(p)), p + 1];
    case 0x73:
      return [amqp.short(buf.readInt16BE(p)), p + 2];
    case 0x75:
      return [amqp.ushort(buf.readUInt16BE(p)), p + 2];
    case 0x69:
      return [amqp.uint(buf.readUInt32BE(p)), p + 4];
    case 0x49:
      return [amqp.int(buf.readInt32BE(p)), p + 4];
    case 0x64:
      return [amqp.double(buf.readDoubleBE(p)), p + 8];
    case 0x66:
      return [amqp.float(buf.readFloatBE(p)), p + 4];
    case 0x74:
      return [amqp.boolean(buf[p] !== 0), p + 1];
    case 0x78: {
      const n = buf.readUInt32BE(p);
      return [amqp.binary(Buffer.from(buf.subarray(p + 4, p + 4 + n))), p + 4 + n];
    }
    case 0x54: // timestamp: seconds → milliseconds
      return [amqp.timestamp(Number(buf.readBigUInt64BE(p)) * 1000), p + 8];
    case 0x56:
      return [amqp.null(), p];
    case 0x41: {
      const n = buf.readUInt32BE(p);
      const end = p + 4 + n;
      const items: Amqp10Value[] = [];
      let q = p + 4;
      while (q < end) {
        const [v, next] = fieldValueToAmqp10(buf, q);
        if (v !== undefined) items.push(v);
        q = next;
      }
      return [amqp.list(items), end];
    }
    case 0x46: {
      const n = buf.readUInt32BE(p);
      const end = p + 4 + n;
      const pairs: Array<[Amqp10Value, Amqp10Value]> = [];
      let q = p + 4;
      while (q < end) {
        const kl = buf[q]!;
        const key = buf.toString('utf8', q + 1, q + 1 + kl);
        const [v, next] = fieldValueToAmqp10(buf, q + 1 + kl);
        if (v !== undefined) pairs.push([amqp.symbol(key), v]);
        q = next;
      }
      return [amqp.map(pairs), end];
    }
    case 0x44: // decimal: RabbitMQ's from_091/2 has no clause for it; left out
      return [undefined, p + 5];
    default:
      throw new RangeError(`unknown field value type ${t}`);
  }
}

/** mc_util:urn_string_to_uuid/1: "urn:uuid:" + 36-character UUID → its 16 bytes. */
export function urnToUuid(s: string): Buffer | undefined {
  if (!s.startsWith('urn:uuid:') || s.length !== 45) return undefined;
  const hex = s.slice(9);
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(hex)) return undefined;
  return Buffer.from(hex.replace(/-/g, ''), 'hex');
}

function idValue(s: string | null): Amqp10Value | undefined {
  if (s === null) return undefined;
  const uuid = urnToUuid(s);
  return uuid === undefined ? amqp.string(s) : amqp.uuid(uuid);
}

export interface FromAmqp091Options {
  /** The exchange the message was published to (x-exchange annotation). */
  exchange?: string;
  /** Its routing key (x-routing-key annotation). */
  routingKey?: string;
}

/**
 * Writes the AMQP 1.0 message for a 0-9-1 message. `headers` is the raw field table (the bytes after its u32
 * length) or null.
 */
export function amqp091ToAmqp10(
  w: Writer,
  props: Basic091,
  headers: { buf: Buffer; start: number; end: number } | null,
  body: Buffer,
  opts: FromAmqp091Options = {},
): void {
  const ma: Array<[Amqp10Value, Amqp10Value]> = [];
  if (opts.exchange !== undefined) ma.push([amqp.symbol('x-exchange'), amqp.string(opts.exchange)]);
  if (opts.routingKey !== undefined) ma.push([amqp.symbol('x-routing-key'), amqp.string(opts.routingKey)]);
  const ap: Array<[Amqp10Value, Amqp10Value]> = [];
  if (headers !== null) {
    const { buf, end } = headers;
    let q = headers.start;
    while (q < end) {
      const kl = buf[q]!;
      const key = buf.toString('utf8', q + 1, q + 1 + kl);
      const typeOctet = buf[q + 1 + kl]!;
      const [v, next] = fieldValueToAmqp10(buf, q + 1 + kl);
      q = next;
      if (v === undefined) continue;
      if (key.startsWith('x-')) ma.push([amqp.symbol(key), v]);
      else if (key === 'CC' && typeOctet === 0x41) ma.push([amqp.symbol('x-cc'), v]);
      else if (typeOctet !== 0x41 && typeOctet !== 0x46) ap.push([amqp.string(key), v]);
    }
  }
  if (props.type !== null && props.type !== AMQP10_TYPE)
    ma.push([amqp.symbol('x-basic-type'), amqp.string(props.type)]);
  const p: MessageProperties = {};
  const msgId = idValue(props.messageId);
  if (msgId !== undefined) p.messageId = msgId;
  if (props.userId !== null) p.userId = Buffer.from(props.userId, 'utf8');
  if (props.replyTo !== null) p.replyTo = props.replyTo;
  const corrId = idValue(props.correlationId);
  if (corrId !== undefined) p.correlationId = corrId;
  if (props.contentType !== null) p.contentType = props.contentType;
  if (props.contentEncoding !== null) p.contentEncoding = props.contentEncoding;
  if (props.timestamp !== null) p.creationTime = props.timestamp * 1000;
  if (props.appId !== null) p.groupId = props.appId;
  const m: MessageSections = { header: { durable: props.deliveryMode === 2 } };
  if (props.priority !== null) m.header!.priority = props.priority;
  if (props.expiration !== null && /^\d+$/.test(props.expiration)) m.header!.ttl = Number(props.expiration);
  if (ma.length > 0) m.messageAnnotations = ma;
  if (Object.keys(p).length > 0) m.properties = p;
  if (ap.length > 0) m.applicationProperties = ap;
  if (props.type === AMQP10_TYPE) m.rawBody = body;
  else m.data = body;
  encodeMessage(w, m);
}
