// An AMQP 1.0 message → AMQP 0-9-1 basic properties and body, as RabbitMQ 3.13 converts a stream message for a
// 0-9-1 consumer (deps/rabbit/src/mc_amqpl.erl convert_from(mc_amqp, ...), commit 002af204 of rabbitmq-server):
// - delivery-mode: header durable true → 2, false → 1, else the x-basic-delivery-mode annotation; priority and
//   expiration (ttl as a decimal string) from the header, else x-basic-priority / x-basic-expiration.
// - type: "amqp-1.0" when the body is not data sections (the body is then the encoded body sections, footer
//   included), else the x-basic-type annotation.
// - headers: "x-" message annotations (x-cc as CC, x-opt-rabbitmq-received-time as timestamp_in_ms; the
//   annotations the conversion itself writes are left out: is_internal_header/1), then the application
//   properties with string keys of at most 255 bytes (to_091/2), then x-message-id / x-correlation-id when the
//   id is binary or a string over 255 bytes (message_id/3).
// - message-id / correlation-id: uuid → "urn:uuid:…", ulong → decimal, string ≤ 255 bytes as is; user-id when a
//   valid shortstr; reply-to and group-id (→ app-id) when shortstrs; content-type/-encoding; timestamp =
//   creation-time div 1000. to, subject, absolute-expiry-time, group-sequence, reply-to-group-id: not mapped.
// A stream queue then adds x-stream-offset (option streamOffset here), as rabbit_stream_queue does.
import { Timestamp, Typed, type FieldTable, type FieldValue } from '../amqp/field-table.js';
import { AMQP10_TYPE, isShortstr } from './from-amqp091.js';
import type { Amqp10Message } from './message.js';
import { mapGet, type Amqp10Value } from './types.js';

export interface Amqp091Result {
  contentType: string | null;
  contentEncoding: string | null;
  headers: FieldTable | null;
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
  body: Buffer;
}

export interface ToAmqp091Options {
  /** Adds the x-stream-offset header (long), as a stream queue delivering to a 0-9-1 consumer does. */
  streamOffset?: number;
}

/** to_091/2: an AMQP 1.0 value as a typed 0-9-1 field value. */
export function toFieldValue(v: Amqp10Value): FieldValue {
  switch (v.type) {
    case 'string':
    case 'symbol':
      return v.value;
    case 'long':
    case 'ulong': // "TODO: we could try to constrain this": ulong goes out as a signed long
      return new Typed('l', Number(v.value));
    case 'byte':
      return new Typed('b', v.value);
    case 'ubyte':
      return new Typed('B', v.value);
    case 'short':
      return new Typed('s', v.value);
    case 'ushort':
      return new Typed('u', v.value);
    case 'uint':
      return new Typed('i', v.value);
    case 'int':
      return new Typed('I', v.value);
    case 'double':
      return new Typed('d', v.value);
    case 'float':
      return new Typed('f', v.value);
    case 'timestamp':
      return new Timestamp(Math.floor(v.value / 1000));
    case 'binary':
      return v.value;
    case 'boolean':
      return v.value;
    case 'null':
      return null;
    case 'list':
    case 'array':
      return v.value.map(toFieldValue);
    case 'map': {
      const t: FieldTable = {};
      for (const [k, x] of v.value) {
        const key = typeof k.value === 'string' ? k.value : String(k.value);
        if (key !== '__proto__') t[key] = toFieldValue(x);
      }
      return t;
    }
    case 'described':
      return toFieldValue(v.value);
    default:
      // char, decimals, uuid: RabbitMQ's to_091/2 has no clause for them; carried as bytes or numbers
      return Buffer.isBuffer(v.value) ? v.value : (v.value as number);
  }
}

/** mc_amqpl is_internal_header/1: annotations the conversion itself writes. */
function isInternal(k: string): boolean {
  return k.startsWith('x-basic-') || k === 'x-routing-key' || k === 'x-exchange' || k === 'x-death';
}

const shortLen = (s: string): boolean => Buffer.byteLength(s, 'utf8') <= 255;

function uuidUrn(b: Buffer): string {
  const h = b.toString('hex');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** message_id/3: the 0-9-1 id, or a header carrying one that does not fit a shortstr. */
function messageId(v: Amqp10Value | undefined, hkey: string, headers: Array<[string, FieldValue]>): string | null {
  if (v === undefined) return null;
  switch (v.type) {
    case 'uuid':
      return uuidUrn(v.value);
    case 'ulong':
      return String(v.value);
    case 'binary':
      headers.unshift([hkey, v.value]);
      return null;
    case 'string':
      if (shortLen(v.value)) return v.value;
      headers.unshift([hkey, v.value]);
      return null;
    default:
      return null;
  }
}

function num(v: Amqp10Value | undefined): number | null {
  if (v === undefined) return null;
  return typeof v.value === 'number' ? v.value : typeof v.value === 'bigint' ? Number(v.value) : null;
}

export function amqp10ToAmqp091(msg: Amqp10Message, opts: ToAmqp091Options = {}): Amqp091Result {
  const h = msg.header;
  const ma = msg.messageAnnotations;
  const p = msg.properties ?? {};
  const dataBody = msg.isDataBody;
  const body = dataBody ? (msg.layout.body.length === 0 ? Buffer.alloc(0) : msg.data) : msg.rawBody;
  let deliveryMode: number | null;
  if (h?.durable !== undefined) deliveryMode = h.durable ? 2 : 1;
  else deliveryMode = num(mapGet(ma, 'x-basic-delivery-mode'));
  const priority = h?.priority ?? num(mapGet(ma, 'x-basic-priority'));
  let expiration: string | null = null;
  if (h?.ttl !== undefined) expiration = String(h.ttl);
  else {
    const e = mapGet(ma, 'x-basic-expiration');
    if (e !== undefined && typeof e.value === 'string') expiration = e.value;
  }
  let type: string | null = dataBody ? null : AMQP10_TYPE;
  if (type === null) {
    const t = mapGet(ma, 'x-basic-type');
    if (t !== undefined && typeof t.value === 'string') type = t.value;
  }

  const xHeaders: Array<[string, FieldValue]> = [];
  for (const [k, v] of ma) {
    if (k.type !== 'symbol') continue;
    if (k.value === 'x-cc') xHeaders.push(['CC', toFieldValue(v)]);
    else if (k.value === 'x-opt-rabbitmq-received-time' && v.type === 'timestamp')
      xHeaders.push(['timestamp_in_ms', new Typed('l', v.value)]);
    else if (k.value.startsWith('x-') && shortLen(k.value) && !isInternal(k.value) && k.value !== 'x-opt-deaths')
      xHeaders.push([k.value, toFieldValue(v)]);
  }
  const headers: Array<[string, FieldValue]> = [];
  for (const [k, v] of msg.applicationProperties)
    if (k.type === 'string' && shortLen(k.value)) headers.push([k.value, toFieldValue(v)]);
  const msgId = messageId(p.messageId, 'x-message-id', headers);
  const corrId = messageId(p.correlationId, 'x-correlation-id', headers);

  const all = [...xHeaders, ...headers];
  if (opts.streamOffset !== undefined) all.push(['x-stream-offset', new Typed('l', opts.streamOffset)]);
  let table: FieldTable | null = null;
  if (all.length > 0) {
    table = {};
    for (const [k, v] of all) if (k !== '__proto__' && !(k in table)) table[k] = v;
  }
  const userId = p.userId !== undefined && isShortstr(p.userId) ? p.userId.toString('utf8') : null;
  return {
    contentType: p.contentType ?? null,
    contentEncoding: p.contentEncoding ?? null,
    headers: table,
    deliveryMode,
    priority,
    correlationId: corrId,
    replyTo: p.replyTo !== undefined && shortLen(p.replyTo) ? p.replyTo : null,
    expiration,
    messageId: msgId,
    timestamp: p.creationTime !== undefined ? Math.floor(p.creationTime / 1000) : null,
    type,
    userId,
    appId: p.groupId !== undefined && shortLen(p.groupId) ? p.groupId : null,
    body,
  };
}
