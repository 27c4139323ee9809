// Field tables and basic properties edited at the byte level: entries that are not changed are copied as
// they came, so a rewrite (dead-lettering's x-death, a quorum redelivery's x-delivery-count) keeps every
// other header's exact wire type (a decoded-and-re-encoded table would turn a 'b' into an 'I').
import { Writer } from '../buffer/writer.js';
import { CodecError, erlBinary } from './errors.js';
import { encodeArray, FIELD_TYPE_NAMES, type FieldValue } from './field-table.js';

/**
 * One shared writer for building small values: take() hands out a view and moves on, and every caller
 * copies the view out at once, so nothing is allocated per call beyond the result.
 */
export const scratch = new Writer(65536);

export interface RawEntry {
  key: string;
  /** Type octet and value, as on the wire. */
  raw: Buffer;
}

function truncated(): CodecError {
  return new CodecError(501, 'cannot decode field table: truncated');
}

/** Offset just past the value whose type octet is at p. */
export function skipValue(b: Buffer, p: number, end: number): number {
  if (p >= end) throw truncated();
  const t = b[p++]!;
  let n: number;
  switch (t) {
    case 0x53: // S
    case 0x46: // F
    case 0x41: // A
    case 0x78: // x
      if (p + 4 > end) throw truncated();
      n = 4 + b.readUInt32BE(p);
      break;
    case 0x74: // t
    case 0x62: // b
    case 0x42: // B
      n = 1;
      break;
    case 0x73: // s
    case 0x75: // u
      n = 2;
      break;
    case 0x49: // I
    case 0x69: // i
    case 0x66: // f
      n = 4;
      break;
    case 0x6c: // l
    case 0x4c: // L
    case 0x54: // T
    case 0x64: // d
      n = 8;
      break;
    case 0x44: // D
      n = 5;
      break;
    case 0x56: // V
      n = 0;
      break;
    default:
      throw new CodecError(502, `unknown field value type ${t}`);
  }
  if (p + n > end) throw truncated();
  return p + n;
}

/** The entries of the table body b[p, end) (after its u32 length), in wire order. */
export function tableEntries(b: Buffer, p: number, end: number): RawEntry[] {
  const out: RawEntry[] = [];
  while (p < end) {
    const kl = b[p]!;
    const ks = p + 1;
    const vs = ks + kl;
    if (vs >= end) throw truncated();
    const ve = skipValue(b, vs, end);
    out.push({ key: b.toString('utf8', ks, vs), raw: b.subarray(vs, ve) });
    p = ve;
  }
  return out;
}

/** The items of the array body b[p, end), each as type octet + value. */
export function arrayItems(b: Buffer, p: number, end: number): Buffer[] {
  const out: Buffer[] = [];
  while (p < end) {
    const e = skipValue(b, p, end);
    out.push(b.subarray(p, e));
    p = e;
  }
  return out;
}

/** The body of a raw 'F' or 'A' value (past type and length). */
export function body(raw: Buffer): Buffer {
  return raw.subarray(5);
}

/** One value encoded with its type octet (types inferred as encodeTable does, Typed to force one). */
export function rawValue(v: FieldValue): Buffer {
  const w = scratch;
  encodeArray(w, [v]);
  return Buffer.from(w.take()!.subarray(4));
}

/** A raw array value ('A') of raw items. */
export function rawArray(items: readonly Buffer[]): Buffer {
  let n = 0;
  for (const i of items) n += i.length;
  const out = Buffer.allocUnsafe(5 + n);
  out[0] = 0x41;
  out.writeUInt32BE(n, 1);
  let p = 5;
  for (const i of items) p += i.copy(out, p);
  return out;
}

/** A table ('F' value when `typed`, else the u32-prefixed table of a headers property). */
export function rawTable(entries: readonly RawEntry[], typed: boolean): Buffer {
  const w = scratch;
  if (typed) w.u8(0x46);
  const lenAt = w.pos - w.start;
  w.u32(0);
  for (const e of entries) {
    w.shortstr(e.key);
    w.bytes(e.raw);
  }
  const out = Buffer.from(w.take()!);
  out.writeUInt32BE(out.length - lenAt - 4, lenAt);
  return out;
}

/** Sort entries by key in byte order (Erlang binary order, as RabbitMQ's sort_field_table). */
export function sortEntries(entries: RawEntry[]): RawEntry[] {
  // UTF-16 order is UTF-8 byte order except around astral characters, which header keys do not use
  return entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---- basic properties --------------------------------------------------------------------------------

const HEADERS_BIT = 13;
const EXPIRATION_BIT = 8;

/** Size of property `bit`'s value at p. */
function propSize(b: Buffer, p: number, bit: number): number {
  if (bit === HEADERS_BIT) return 4 + b.readUInt32BE(p);
  if (bit === 12 || bit === 11) return 1;
  if (bit === 6) return 8;
  return 1 + b[p]!;
}

/** As properties.ts: RabbitMQ's frame error for properties that do not decode. */
function malformedProps(props: Buffer): CodecError {
  return new CodecError(501, `cannot decode content header properties ${erlBinary(props, 0, props.length)}`);
}

/** Offset of the first property, past the flags word and any (empty) continuation words. */
function firstProp(props: Buffer): number {
  let p = 2;
  let more = props.length >= 2 ? props[1]! & 1 : 0;
  while (more !== 0 && p + 2 <= props.length) {
    more = props[p + 1]! & 1;
    p += 2;
  }
  return p;
}

/** The headers table body [start, end) inside raw properties (from the flags word), or null. */
export function headersSpan(props: Buffer): [number, number] | null {
  if (props.length < 2) return null;
  const flags = props.readUInt16BE(0);
  if ((flags & (1 << HEADERS_BIT)) === 0) return null;
  let p = firstProp(props);
  for (let bit = 15; bit > HEADERS_BIT; bit--) if ((flags & (1 << bit)) !== 0) p += propSize(props, p, bit);
  // the lengths before the headers are the client's: a content-type running past the end must not make
  // this read out of bounds (found by the fuzzer; `!(… <= …)` also catches NaN from a length read past the end)
  if (!(p + 4 <= props.length)) throw malformedProps(props);
  const n = props.readUInt32BE(p);
  if (p + 4 + n > props.length) throw malformedProps(props);
  return [p + 4, p + 4 + n];
}

/**
 * Raw properties with the headers replaced by `headers` (a u32-prefixed table, or null to remove them)
 * and, when `dropExpiration`, no expiration. Everything else is copied byte for byte. Properties of
 * Warren's own messages are well formed (the publisher peeked them), so this does not re-validate.
 */
export function rewriteProps(props: Buffer, headers: Buffer | null, dropExpiration: boolean): Buffer {
  const flags = props.length >= 2 ? props.readUInt16BE(0) : 0;
  // the continuation bit goes: basic's 14 properties fit the first word
  let nf = flags & ~((1 << HEADERS_BIT) | (dropExpiration ? 1 << EXPIRATION_BIT : 0) | 1);
  if (headers !== null) nf |= 1 << HEADERS_BIT;
  const parts: Buffer[] = [Buffer.from([nf >> 8, nf & 0xff])];
  let p = firstProp(props);
  for (let bit = 15; bit >= 2; bit--) {
    const present = (flags & (1 << bit)) !== 0;
    if (bit === HEADERS_BIT && headers !== null) parts.push(headers);
    if (!present) continue;
    const n = propSize(props, p, bit);
    if (bit !== HEADERS_BIT && !(bit === EXPIRATION_BIT && dropExpiration)) parts.push(props.subarray(p, p + n));
    p += n;
  }
  return Buffer.concat(parts);
}

// ---- CC / BCC (RabbitMQ sender-selected distribution) --------------------------------------------------

export interface RoutingHeaders {
  /** CC routing keys (longstr items of the CC array), or null when absent. */
  cc: string[] | null;
  bcc: string[] | null;
  /** "CC" or "BCC" when that header is not an array (RabbitMQ refuses the message), with the type name. */
  bad: [string, string] | null;
}

const NO_ROUTING_HEADERS: RoutingHeaders = { cc: null, bcc: null, bad: null };

function longstrItems(b: Buffer, p: number, end: number): string[] {
  const out: string[] = [];
  while (p < end) {
    const e = skipValue(b, p, end);
    if (b[p] === 0x53) out.push(b.toString('utf8', p + 5, e));
    p = e;
  }
  return out;
}

/**
 * rabbit_basic:header_routes/1: the CC and BCC headers of raw properties. Scans the header keys without
 * allocating unless one of them is there (the per-publish cost for messages with headers).
 */
export function routingHeaders(props: Buffer): RoutingHeaders {
  const span = headersSpan(props);
  if (span === null) return NO_ROUTING_HEADERS;
  let r: RoutingHeaders | null = null;
  let p = span[0];
  const end = span[1];
  while (p < end) {
    const kl = props[p]!;
    const ks = p + 1;
    const vs = ks + kl;
    const ve = skipValue(props, vs, end);
    const isCC = kl === 2 && props[ks] === 0x43 && props[ks + 1] === 0x43;
    const isBCC = kl === 3 && props[ks] === 0x42 && props[ks + 1] === 0x43 && props[ks + 2] === 0x43;
    if (isCC || isBCC) {
      r ??= { cc: null, bcc: null, bad: null };
      const key = isCC ? 'CC' : 'BCC';
      if (props[vs] !== 0x41) r.bad ??= [key, FIELD_TYPE_NAMES[String.fromCharCode(props[vs]!)] ?? '?'];
      else if (isCC) r.cc = longstrItems(props, vs + 5, ve);
      else r.bcc = longstrItems(props, vs + 5, ve);
    }
    p = ve;
  }
  return r ?? NO_ROUTING_HEADERS;
}

/** The properties without the BCC header (RabbitMQ strips it before anyone sees the message). */
export function withoutBcc(props: Buffer): Buffer {
  const span = headersSpan(props);
  if (span === null) return props;
  const rest = tableEntries(props, span[0], span[1]).filter((e) => e.key !== 'BCC');
  return rewriteProps(props, rawTable(rest, false), false);
}
