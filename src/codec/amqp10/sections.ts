// The AMQP 1.0 message sections (part 3, §3.2): descriptor codes, and the two list-shaped sections with typed
// fields: header (§3.2.1) and properties (§3.2.4), decoded from and encoded to described lists. Absent fields
// are undefined; trailing absent fields are not encoded (§1.4 "trailing nulls may be omitted").
import type { Writer } from '../buffer/writer.js';
import { encodeValue } from './encoder.js';
import { Amqp10Error, NULL, amqp, type Amqp10Value } from './types.js';

/** Section descriptors (§3.2): amqp:<name>:<type> as ulong 0x00000000:0x000000nn. */
export const SECTION = {
  HEADER: 0x70,
  DELIVERY_ANNOTATIONS: 0x71,
  MESSAGE_ANNOTATIONS: 0x72,
  PROPERTIES: 0x73,
  APPLICATION_PROPERTIES: 0x74,
  DATA: 0x75,
  AMQP_SEQUENCE: 0x76,
  AMQP_VALUE: 0x77,
  FOOTER: 0x78,
} as const;

/** The symbolic descriptors (§3.2) a peer may use instead of the numeric ones. */
export const SECTION_SYMBOLS: Readonly<Record<string, number>> = {
  'amqp:header:list': SECTION.HEADER,
  'amqp:delivery-annotations:map': SECTION.DELIVERY_ANNOTATIONS,
  'amqp:message-annotations:map': SECTION.MESSAGE_ANNOTATIONS,
  'amqp:properties:list': SECTION.PROPERTIES,
  'amqp:application-properties:map': SECTION.APPLICATION_PROPERTIES,
  'amqp:data:binary': SECTION.DATA,
  'amqp:amqp-sequence:list': SECTION.AMQP_SEQUENCE,
  'amqp:amqp-value:*': SECTION.AMQP_VALUE,
  'amqp:footer:map': SECTION.FOOTER,
};

/** §3.2.1 header. ttl is in milliseconds. */
export interface MessageHeader {
  durable?: boolean;
  priority?: number;
  ttl?: number;
  firstAcquirer?: boolean;
  deliveryCount?: number;
}

/**
 * §3.2.4 properties. message-id and correlation-id may be ulong, uuid, binary or string (§3.2.11-§3.2.15), so they
 * stay typed values; user-id is binary; content-type and content-encoding are symbols (strings here); the two
 * times are milliseconds since the epoch.
 */
export interface MessageProperties {
  messageId?: Amqp10Value;
  userId?: Buffer;
  to?: string;
  subject?: string;
  replyTo?: string;
  correlationId?: Amqp10Value;
  contentType?: string;
  contentEncoding?: string;
  absoluteExpiryTime?: number;
  creationTime?: number;
  groupId?: string;
  groupSequence?: number;
  replyToGroupId?: string;
}

function fields(v: Amqp10Value, what: string): Amqp10Value[] {
  if (v.type !== 'list') throw new Amqp10Error(`${what} section is not a list`);
  return v.value;
}

function num(v: Amqp10Value | undefined): number | undefined {
  if (v === undefined || v.type === 'null') return undefined;
  if (typeof v.value === 'number') return v.value;
  if (typeof v.value === 'bigint') return Number(v.value);
  throw new Amqp10Error(`expected a number, got ${v.type}`);
}

function bool(v: Amqp10Value | undefined): boolean | undefined {
  if (v === undefined || v.type === 'null') return undefined;
  if (v.type !== 'boolean') throw new Amqp10Error(`expected a boolean, got ${v.type}`);
  return v.value;
}

function str(v: Amqp10Value | undefined): string | undefined {
  if (v === undefined || v.type === 'null') return undefined;
  if (v.type !== 'string' && v.type !== 'symbol') throw new Amqp10Error(`expected a string, got ${v.type}`);
  return v.value;
}

function any(v: Amqp10Value | undefined): Amqp10Value | undefined {
  return v === undefined || v.type === 'null' ? undefined : v;
}

/** The header section's list value (the described value's body). */
export function headerFromList(list: Amqp10Value): MessageHeader {
  const f = fields(list, 'header');
  const h: MessageHeader = {};
  const durable = bool(f[0]);
  if (durable !== undefined) h.durable = durable;
  const priority = num(f[1]);
  if (priority !== undefined) h.priority = priority;
  const ttl = num(f[2]);
  if (ttl !== undefined) h.ttl = ttl;
  const fa = bool(f[3]);
  if (fa !== undefined) h.firstAcquirer = fa;
  const dc = num(f[4]);
  if (dc !== undefined) h.deliveryCount = dc;
  return h;
}

export function propertiesFromList(list: Amqp10Value): MessageProperties {
  const f = fields(list, 'properties');
  const p: MessageProperties = {};
  const set = <K extends keyof MessageProperties>(k: K, v: MessageProperties[K] | undefined): void => {
    if (v !== undefined) p[k] = v;
  };
  set('messageId', any(f[0]));
  const uid = any(f[1]);
  if (uid !== undefined) {
    if (uid.type !== 'binary') throw new Amqp10Error(`user-id must be binary, got ${uid.type}`);
    p.userId = uid.value;
  }
  set('to', str(f[2]));
  set('subject', str(f[3]));
  set('replyTo', str(f[4]));
  set('correlationId', any(f[5]));
  set('contentType', str(f[6]));
  set('contentEncoding', str(f[7]));
  set('absoluteExpiryTime', num(f[8]));
  set('creationTime', num(f[9]));
  set('groupId', str(f[10]));
  set('groupSequence', num(f[11]));
  set('replyToGroupId', str(f[12]));
  return p;
}

/** Drops trailing nulls (§1.4) and wraps the list in its section descriptor. */
function described(code: number, items: Amqp10Value[]): Amqp10Value {
  let n = items.length;
  while (n > 0 && items[n - 1]!.type === 'null') n--;
  return amqp.described(amqp.ulong(code), amqp.list(n === items.length ? items : items.slice(0, n)));
}

const opt = <T>(v: T | undefined, f: (x: T) => Amqp10Value): Amqp10Value => (v === undefined ? NULL : f(v));

export function headerSection(h: MessageHeader): Amqp10Value {
  return described(SECTION.HEADER, [
    opt(h.durable, amqp.boolean),
    opt(h.priority, amqp.ubyte),
    opt(h.ttl, amqp.uint),
    opt(h.firstAcquirer, amqp.boolean),
    opt(h.deliveryCount, amqp.uint),
  ]);
}

export function propertiesSection(p: MessageProperties): Amqp10Value {
  return described(SECTION.PROPERTIES, [
    p.messageId ?? NULL,
    opt(p.userId, amqp.binary),
    opt(p.to, amqp.string),
    opt(p.subject, amqp.string),
    opt(p.replyTo, amqp.string),
    p.correlationId ?? NULL,
    opt(p.contentType, amqp.symbol),
    opt(p.contentEncoding, amqp.symbol),
    opt(p.absoluteExpiryTime, amqp.timestamp),
    opt(p.creationTime, amqp.timestamp),
    opt(p.groupId, amqp.string),
    opt(p.groupSequence, amqp.uint),
    opt(p.replyToGroupId, amqp.string),
  ]);
}

/** A map-shaped section (annotations, application-properties, footer) from its entries. */
export function mapSection(code: number, entries: Array<[Amqp10Value, Amqp10Value]>): Amqp10Value {
  return amqp.described(amqp.ulong(code), amqp.map(entries));
}

/** The parts of a message to encode; absent ones are left out. Body: one of data, sequence, value. */
export interface MessageSections {
  header?: MessageHeader;
  deliveryAnnotations?: Array<[Amqp10Value, Amqp10Value]>;
  messageAnnotations?: Array<[Amqp10Value, Amqp10Value]>;
  properties?: MessageProperties;
  applicationProperties?: Array<[Amqp10Value, Amqp10Value]>;
  /** One data section per Buffer (§3.2.6). */
  data?: Buffer | Buffer[];
  /** One amqp-sequence section per list (§3.2.7). */
  sequence?: Amqp10Value[][];
  value?: Amqp10Value;
  /** Already-encoded body sections (and footer), copied as they are. */
  rawBody?: Buffer;
  footer?: Array<[Amqp10Value, Amqp10Value]>;
}

/** Encodes the sections in the bare-message order of §3.2. */
export function encodeMessage(w: Writer, m: MessageSections): void {
  if (m.header !== undefined) encodeValue(w, headerSection(m.header));
  if (m.deliveryAnnotations !== undefined)
    encodeValue(w, mapSection(SECTION.DELIVERY_ANNOTATIONS, m.deliveryAnnotations));
  if (m.messageAnnotations !== undefined) encodeValue(w, mapSection(SECTION.MESSAGE_ANNOTATIONS, m.messageAnnotations));
  if (m.properties !== undefined) encodeValue(w, propertiesSection(m.properties));
  if (m.applicationProperties !== undefined)
    encodeValue(w, mapSection(SECTION.APPLICATION_PROPERTIES, m.applicationProperties));
  if (m.data !== undefined) for (const d of Array.isArray(m.data) ? m.data : [m.data]) encodeData(w, d);
  if (m.sequence !== undefined)
    for (const s of m.sequence) encodeValue(w, amqp.described(amqp.ulong(SECTION.AMQP_SEQUENCE), amqp.list(s)));
  if (m.value !== undefined) encodeValue(w, amqp.described(amqp.ulong(SECTION.AMQP_VALUE), m.value));
  if (m.rawBody !== undefined) w.bytes(m.rawBody);
  if (m.footer !== undefined) encodeValue(w, mapSection(SECTION.FOOTER, m.footer));
}

/** A data section (§3.2.6) straight from the body bytes: 0x00 0x53 0x75 vbin8|vbin32. */
export function encodeData(w: Writer, body: Buffer): void {
  const n = body.length;
  w.ensure(8 + n);
  w.u8(0x00);
  w.u8(0x53);
  w.u8(SECTION.DATA);
  if (n < 256) {
    w.u8(0xa0);
    w.u8(n);
  } else {
    w.u8(0xb0);
    w.u32(n);
  }
  w.bytes(body);
}
