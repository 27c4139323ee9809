// Basic content properties (amqp0-9-1.xml class basic <field>s; §4.2.6.1 property flags): the 14 properties,
// flagged from bit 15 down (content-type) to bit 2 (cluster-id, the spec's "reserved"), bit 0 = another flags
// word follows. decodeProperties reads buf[offset, end) from the flags word on, strictly (RabbitMQ's
// decode_properties/2 also requires nothing after the last property); the peeks read one property of a raw
// content header without allocating a BasicProperties, for the per-message hot path. Malformed → CodecError 501.
import type { Writer } from '../buffer/writer.js';
import { CodecError, erlBinary } from './errors.js';
import { decodeTable, encodeTable, type FieldTable } from './field-table.js';

export class BasicProperties {
  contentType: string | null = null;
  contentEncoding: string | null = null;
  headers: FieldTable | null = null;
  deliveryMode: number | null = null;
  priority: number | null = null;
  correlationId: string | null = null;
  replyTo: string | null = null;
  expiration: string | null = null;
  messageId: string | null = null;
  /** Seconds since the epoch. */
  timestamp: number | null = null;
  type: string | null = null;
  userId: string | null = null;
  appId: string | null = null;
  clusterId: string | null = null;
}

export const PropertyFlag = {
  CONTENT_TYPE: 1 << 15,
  CONTENT_ENCODING: 1 << 14,
  HEADERS: 1 << 13,
  DELIVERY_MODE: 1 << 12,
  PRIORITY: 1 << 11,
  CORRELATION_ID: 1 << 10,
  REPLY_TO: 1 << 9,
  EXPIRATION: 1 << 8,
  MESSAGE_ID: 1 << 7,
  TIMESTAMP: 1 << 6,
  TYPE: 1 << 5,
  USER_ID: 1 << 4,
  APP_ID: 1 << 3,
  CLUSTER_ID: 1 << 2,
  CONTINUATION: 1,
} as const;

const TWO_32 = 4294967296;
const F = PropertyFlag;

function malformed(buf: Buffer, offset: number, end: number): CodecError {
  return new CodecError(501, `cannot decode content header properties ${erlBinary(buf, offset, end)}`);
}

/** Offset of the first property, past the flags word(s); flags beyond the first word must be clear. */
function skipFlags(buf: Buffer, offset: number, end: number): number {
  if (offset + 2 > end) throw malformed(buf, offset, end);
  let p = offset + 2;
  let more = buf[offset + 1]! & 1;
  while (more !== 0) {
    if (p + 2 > end) throw malformed(buf, offset, end);
    // basic defines 14 properties: a continuation word may only carry another continuation bit
    if (buf[p] !== 0 || (buf[p + 1]! & 0xfe) !== 0) throw malformed(buf, offset, end);
    more = buf[p + 1]! & 1;
    p += 2;
  }
  return p;
}

export function decodeProperties(buf: Buffer, offset: number, end: number): BasicProperties {
  const props = new BasicProperties();
  if (end > buf.length) throw malformed(buf, offset, buf.length);
  const flags = offset + 2 <= end ? (buf[offset]! << 8) | buf[offset + 1]! : 0;
  let p = skipFlags(buf, offset, end);
  let n: number;
  for (let bit = 15; bit >= 2; bit--) {
    if ((flags & (1 << bit)) === 0) continue;
    if (bit === 13) {
      if (p + 4 > end) throw malformed(buf, offset, end);
      n = buf.readUInt32BE(p);
      p += 4;
      if (p + n > end) throw malformed(buf, offset, end);
      props.headers = decodeTable(buf, p, n);
      p += n;
    } else if (bit === 12 || bit === 11) {
      if (p + 1 > end) throw malformed(buf, offset, end);
      if (bit === 12) props.deliveryMode = buf[p]!;
      else props.priority = buf[p]!;
      p += 1;
    } else if (bit === 6) {
      if (p + 8 > end) throw malformed(buf, offset, end);
      props.timestamp = buf.readUInt32BE(p) * TWO_32 + buf.readUInt32BE(p + 4);
      p += 8;
    } else {
      if (p + 1 > end) throw malformed(buf, offset, end);
      n = buf[p]!;
      p += 1;
      if (p + n > end) throw malformed(buf, offset, end);
      const s = buf.toString('utf8', p, p + n);
      p += n;
      setString(props, bit, s);
    }
  }
  if (p !== end) throw malformed(buf, offset, end);
  return props;
}

function setString(props: BasicProperties, bit: number, s: string): void {
  switch (bit) {
    case 15:
      props.contentType = s;
      break;
    case 14:
      props.contentEncoding = s;
      break;
    case 10:
      props.correlationId = s;
      break;
    case 9:
      props.replyTo = s;
      break;
    case 8:
      props.expiration = s;
      break;
    case 7:
      props.messageId = s;
      break;
    case 5:
      props.type = s;
      break;
    case 4:
      props.userId = s;
      break;
    case 3:
      props.appId = s;
      break;
    default:
      props.clusterId = s;
  }
}

/** Flags word then the present properties, in spec order. */
export function encodeProperties(w: Writer, p: BasicProperties): void {
  let flags = 0;
  if (p.contentType != null) flags |= F.CONTENT_TYPE;
  if (p.contentEncoding != null) flags |= F.CONTENT_ENCODING;
  if (p.headers != null) flags |= F.HEADERS;
  if (p.deliveryMode != null) flags |= F.DELIVERY_MODE;
  if (p.priority != null) flags |= F.PRIORITY;
  if (p.correlationId != null) flags |= F.CORRELATION_ID;
  if (p.replyTo != null) flags |= F.REPLY_TO;
  if (p.expiration != null) flags |= F.EXPIRATION;
  if (p.messageId != null) flags |= F.MESSAGE_ID;
  if (p.timestamp != null) flags |= F.TIMESTAMP;
  if (p.type != null) flags |= F.TYPE;
  if (p.userId != null) flags |= F.USER_ID;
  if (p.appId != null) flags |= F.APP_ID;
  if (p.clusterId != null) flags |= F.CLUSTER_ID;
  w.u16(flags);
  if (flags === 0) return;
  if (p.contentType != null) w.shortstr(p.contentType);
  if (p.contentEncoding != null) w.shortstr(p.contentEncoding);
  if (p.headers != null) encodeTable(w, p.headers);
  if (p.deliveryMode != null) w.u8(p.deliveryMode);
  if (p.priority != null) w.u8(p.priority);
  if (p.correlationId != null) w.shortstr(p.correlationId);
  if (p.replyTo != null) w.shortstr(p.replyTo);
  if (p.expiration != null) w.shortstr(p.expiration);
  if (p.messageId != null) w.shortstr(p.messageId);
  if (p.timestamp != null) w.u64(p.timestamp);
  if (p.type != null) w.shortstr(p.type);
  if (p.userId != null) w.shortstr(p.userId);
  if (p.appId != null) w.shortstr(p.appId);
  if (p.clusterId != null) w.shortstr(p.clusterId);
}

// ---- peeks ---------------------------------------------------------------------------------------------

/** Offset of property `bit`'s value in a raw property list, or -1 when it is absent. */
function locate(buf: Buffer, offset: number, end: number, bit: number): number {
  if (end > buf.length) throw malformed(buf, offset, buf.length);
  const flags = offset + 2 <= end ? (buf[offset]! << 8) | buf[offset + 1]! : 0;
  let p = skipFlags(buf, offset, end);
  if ((flags & (1 << bit)) === 0) return -1;
  for (let b = 15; b > bit; b--) {
    if ((flags & (1 << b)) === 0) continue;
    if (b === 13) {
      if (p + 4 > end) throw malformed(buf, offset, end);
      p += 4 + buf.readUInt32BE(p);
    } else if (b === 12 || b === 11) p += 1;
    else if (b === 6) p += 8;
    else {
      if (p + 1 > end) throw malformed(buf, offset, end);
      p += 1 + buf[p]!;
    }
  }
  return p;
}

/** delivery-mode, 0 when absent. */
export function peekDeliveryMode(buf: Buffer, offset: number, end: number): number {
  const p = locate(buf, offset, end, 12);
  if (p < 0) return 0;
  if (p + 1 > end) throw malformed(buf, offset, end);
  return buf[p]!;
}

/** priority, 0 when absent. */
export function peekPriority(buf: Buffer, offset: number, end: number): number {
  const p = locate(buf, offset, end, 11);
  if (p < 0) return 0;
  if (p + 1 > end) throw malformed(buf, offset, end);
  return buf[p]!;
}

/** expiration, null when absent. */
export function peekExpiration(buf: Buffer, offset: number, end: number): string | null {
  const p = locate(buf, offset, end, 8);
  if (p < 0) return null;
  if (p + 1 > end || p + 1 + buf[p]! > end) throw malformed(buf, offset, end);
  return buf.toString('utf8', p + 1, p + 1 + buf[p]!);
}
