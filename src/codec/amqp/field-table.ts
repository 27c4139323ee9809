// AMQP field tables and arrays (amqp0-9-1 §4.2.1 with RabbitMQ's errata types, as rabbit_binary_parser reads
// them): t b B s u I i l L f d D S A T F V x. Decoding copies everything out of the input (strings, Buffers), so
// a decoded table outlives the frame. Truncated input is CodecError 501 FRAME_ERROR and an unknown type octet
// 502 SYNTAX_ERROR (RabbitMQ has no reply for these: parse_table/1 crashes with function_clause). Encoding
// infers types from JS values; `Typed` forces one. Nesting deeper than MAX_DEPTH is refused both ways.
import type { Writer } from '../buffer/writer.js';
import { CodecError } from './errors.js';

export class Timestamp {
  constructor(public seconds: number) {}
}

/** value / 10^scale. RabbitMQ reads the value as an unsigned 32-bit integer. */
export class Decimal {
  constructor(
    public scale: number,
    public value: number,
  ) {}
}

/** Forces a field type on encode, e.g. new Typed('l', 3) or new Typed('s', -2). */
export class Typed {
  constructor(
    public type: string,
    public value: unknown,
  ) {}
}

export type FieldValue =
  | boolean
  | number
  | string
  | Buffer
  | null
  | undefined
  | Timestamp
  | Decimal
  | Date
  | Typed
  | FieldValue[]
  | FieldTable;
export type FieldTable = { [k: string]: FieldValue };

/** Deeper nesting of tables/arrays is refused (a few bytes per level would otherwise overflow the stack). */
export const MAX_DEPTH = 128;
const TWO_32 = 4294967296;
const I32_MIN = -2147483648;
const I32_MAX = 2147483647;
/** 2^63: integers at or beyond it do not fit an int64 and are encoded as doubles. */
const I64_LIMIT = 9223372036854775808;
/** The largest double below 2^63. */
const I64_MAX_DOUBLE = 9223372036854774784;

// ---- decoding ------------------------------------------------------------------------------------------

function truncated(what: string): CodecError {
  return new CodecError(501, `cannot decode ${what}: truncated`);
}

function setKey(t: FieldTable, k: string, v: FieldValue): void {
  // '__proto__' as a plain assignment would replace the prototype; define it as an own property instead
  if (k === '__proto__')
    Object.defineProperty(t, k, { value: v, enumerable: true, writable: true, configurable: true });
  else t[k] = v;
}

/** The table in buf[offset, offset+length): length is the table's byte length after its u32 prefix. */
export function decodeTable(buf: Buffer, offset: number, length: number): FieldTable {
  const end = offset + length;
  if (offset < 0 || length < 0 || end > buf.length) throw truncated('field table');
  return readTable(buf, offset, end, 0);
}

function readTable(b: Buffer, p: number, end: number, depth: number): FieldTable {
  if (depth > MAX_DEPTH) throw new CodecError(502, `field table nested deeper than ${MAX_DEPTH}`);
  const t: FieldTable = {};
  while (p < end) {
    const klen = b[p]!;
    const ks = p + 1;
    p = ks + klen;
    if (p >= end) throw truncated('field table');
    const key = b.toString('utf8', ks, p);
    p = readValue(b, p, end, depth);
    setKey(t, key, value);
  }
  return t;
}

function readArray(b: Buffer, p: number, end: number, depth: number): FieldValue[] {
  if (depth > MAX_DEPTH) throw new CodecError(502, `field array nested deeper than ${MAX_DEPTH}`);
  const a: FieldValue[] = [];
  while (p < end) {
    p = readValue(b, p, end, depth);
    a.push(value);
  }
  return a;
}

// readValue returns the next offset and leaves the value here (no tuple allocation per value)
let value: FieldValue = null;

function readValue(b: Buffer, p: number, end: number, depth: number): number {
  const type = b[p++]!;
  let n: number;
  switch (type) {
    case 0x53: // S longstr
      if (p + 4 > end) throw truncated('field table');
      n = b.readUInt32BE(p);
      p += 4;
      if (p + n > end) throw truncated('field table');
      value = b.toString('utf8', p, p + n);
      return p + n;
    case 0x49: // I int32
      if (p + 4 > end) throw truncated('field table');
      value = b.readInt32BE(p);
      return p + 4;
    case 0x74: // t boolean
      if (p + 1 > end) throw truncated('field table');
      value = b[p] !== 0;
      return p + 1;
    case 0x46: // F table
    case 0x41: // A array
      if (p + 4 > end) throw truncated('field table');
      n = b.readUInt32BE(p);
      p += 4;
      if (p + n > end) throw truncated('field table');
      value = type === 0x46 ? readTable(b, p, p + n, depth + 1) : readArray(b, p, p + n, depth + 1);
      return p + n;
    case 0x6c: // l int64
    case 0x4c: // L: RabbitMQ reads it as a signed int64 too (rabbitmq-server#1093)
      if (p + 8 > end) throw truncated('field table');
      value = b.readInt32BE(p) * TWO_32 + b.readUInt32BE(p + 4);
      return p + 8;
    case 0x54: // T timestamp (u64 seconds)
      if (p + 8 > end) throw truncated('field table');
      value = new Timestamp(b.readUInt32BE(p) * TWO_32 + b.readUInt32BE(p + 4));
      return p + 8;
    case 0x62: // b int8
      if (p + 1 > end) throw truncated('field table');
      value = b.readInt8(p);
      return p + 1;
    case 0x42: // B uint8
      if (p + 1 > end) throw truncated('field table');
      value = b[p]!;
      return p + 1;
    case 0x73: // s int16
      if (p + 2 > end) throw truncated('field table');
      value = b.readInt16BE(p);
      return p + 2;
    case 0x75: // u uint16
      if (p + 2 > end) throw truncated('field table');
      value = b.readUInt16BE(p);
      return p + 2;
    case 0x69: // i uint32
      if (p + 4 > end) throw truncated('field table');
      value = b.readUInt32BE(p);
      return p + 4;
    case 0x66: // f float
      if (p + 4 > end) throw truncated('field table');
      value = b.readFloatBE(p);
      return p + 4;
    case 0x64: // d double
      if (p + 8 > end) throw truncated('field table');
      value = b.readDoubleBE(p);
      return p + 8;
    case 0x44: // D decimal: scale octet, u32 value
      if (p + 5 > end) throw truncated('field table');
      value = new Decimal(b[p]!, b.readUInt32BE(p + 1));
      return p + 5;
    case 0x78: // x byte array
      if (p + 4 > end) throw truncated('field table');
      n = b.readUInt32BE(p);
      p += 4;
      if (p + n > end) throw truncated('field table');
      value = Buffer.from(b.subarray(p, p + n));
      return p + n;
    case 0x56: // V void
      value = null;
      return p;
    default:
      throw new CodecError(502, `unknown field value type ${JSON.stringify(String.fromCharCode(type))} (${type})`);
  }
}

// ---- encoding ------------------------------------------------------------------------------------------

function cannotEncode(what: string): CodecError {
  return new CodecError(541, `cannot encode ${what}`);
}

/** u32 byte length, then the entries. */
export function encodeTable(w: Writer, t: FieldTable): void {
  writeTable(w, t, 0);
}

/** u32 byte length, then the values, each with its type octet. */
export function encodeArray(w: Writer, a: readonly FieldValue[]): void {
  writeArray(w, a, 0);
}

function writeTable(w: Writer, t: FieldTable, depth: number): void {
  if (depth > MAX_DEPTH) throw cannotEncode(`field table nested deeper than ${MAX_DEPTH}`);
  w.ensure(4);
  const at = w.pos - w.start; // relative to start: stays valid if the writer grows
  w.pos += 4;
  for (const k in t) {
    if (!Object.prototype.hasOwnProperty.call(t, k)) continue;
    w.shortstr(k);
    writeValue(w, t[k], depth);
  }
  patchLength(w, at);
}

function writeArray(w: Writer, a: readonly FieldValue[], depth: number): void {
  if (depth > MAX_DEPTH) throw cannotEncode(`field array nested deeper than ${MAX_DEPTH}`);
  w.ensure(4);
  const at = w.pos - w.start;
  w.pos += 4;
  for (let i = 0; i < a.length; i++) writeValue(w, a[i], depth);
  patchLength(w, at);
}

function patchLength(w: Writer, at: number): void {
  const abs = w.start + at;
  w.buf.writeUInt32BE(w.pos - abs - 4, abs);
}

function writeValue(w: Writer, v: FieldValue, depth: number): void {
  switch (typeof v) {
    case 'string':
      w.u8(0x53);
      w.longstr(v);
      return;
    case 'boolean':
      w.u8(0x74);
      w.u8(v ? 1 : 0);
      return;
    case 'number':
      if (Number.isInteger(v) && v >= I32_MIN && v <= I32_MAX) {
        w.u8(0x49);
        w.i32(v);
      } else if (Number.isInteger(v) && v > -I64_LIMIT && v < I64_LIMIT) {
        w.u8(0x6c);
        w.i64(v);
      } else {
        w.u8(0x64);
        w.f64(v);
      }
      return;
    case 'undefined':
      w.u8(0x56);
      return;
    case 'object':
      break;
    default:
      throw cannotEncode(`a ${typeof v} as a field value`);
  }
  if (v === null) w.u8(0x56);
  else if (Buffer.isBuffer(v)) {
    w.u8(0x78);
    w.longstr(v);
  } else if (Array.isArray(v)) {
    w.u8(0x41);
    writeArray(w, v, depth + 1);
  } else if (v instanceof Timestamp) {
    w.u8(0x54);
    w.u64(v.seconds);
  } else if (v instanceof Date) {
    w.u8(0x54);
    w.u64(Math.floor(v.getTime() / 1000));
  } else if (v instanceof Decimal) {
    w.u8(0x44);
    w.u8(v.scale);
    w.u32(v.value);
  } else if (v instanceof Typed) writeTyped(w, v, depth);
  else {
    w.u8(0x46);
    writeTable(w, v, depth + 1);
  }
}

function int(t: Typed, min: number, max: number): number {
  const v = t.value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw cannotEncode(`${String(v)} as field type '${t.type}'`);
  }
  return v;
}

function writeTyped(w: Writer, t: Typed, depth: number): void {
  const v = t.value;
  const type = t.type;
  switch (type) {
    case 'b':
      w.u8(0x62);
      return w.i8(int(t, -128, 127));
    case 'B':
      w.u8(0x42);
      return w.u8(int(t, 0, 255));
    case 's':
      w.u8(0x73);
      return w.i16(int(t, -32768, 32767));
    case 'u':
      w.u8(0x75);
      return w.u16(int(t, 0, 65535));
    case 'I':
      w.u8(0x49);
      return w.i32(int(t, I32_MIN, I32_MAX));
    case 'i':
      w.u8(0x69);
      return w.u32(int(t, 0, 4294967295));
    case 'l':
    case 'L':
      w.u8(type.charCodeAt(0));
      return w.i64(int(t, -I64_LIMIT, I64_MAX_DOUBLE));
    case 'T':
      w.u8(0x54);
      if (v instanceof Timestamp) return w.u64(v.seconds);
      if (v instanceof Date) return w.u64(Math.floor(v.getTime() / 1000));
      return w.u64(int(t, 0, Number.MAX_SAFE_INTEGER));
    case 'f':
    case 'd':
      if (typeof v !== 'number') break;
      w.u8(type.charCodeAt(0));
      return type === 'f' ? w.f32(v) : w.f64(v);
    case 't':
      if (typeof v !== 'boolean') break;
      w.u8(0x74);
      return w.u8(v ? 1 : 0);
    case 'S':
    case 'x':
      if (typeof v !== 'string' && !Buffer.isBuffer(v)) break;
      w.u8(type.charCodeAt(0));
      return w.longstr(v);
    case 'D':
      if (!(v instanceof Decimal)) break;
      w.u8(0x44);
      w.u8(v.scale);
      return w.u32(v.value);
    case 'A':
      if (!Array.isArray(v)) break;
      w.u8(0x41);
      return writeArray(w, v as FieldValue[], depth + 1);
    case 'F':
      if (v === null || typeof v !== 'object') break;
      w.u8(0x46);
      return writeTable(w, v as FieldTable, depth + 1);
    case 'V':
      return w.u8(0x56);
  }
  throw cannotEncode(`${String(v)} as field type '${type}'`);
}

/** RabbitMQ's names of the field types (rabbit_binary_parser), as its error texts print them. */
export const FIELD_TYPE_NAMES: Readonly<Record<string, string>> = {
  S: 'longstr',
  I: 'signedint',
  i: 'unsignedint',
  l: 'long',
  L: 'long',
  b: 'byte',
  B: 'unsignedbyte',
  s: 'short',
  u: 'unsignedshort',
  f: 'float',
  d: 'double',
  D: 'decimal',
  t: 'bool',
  T: 'timestamp',
  F: 'table',
  A: 'array',
  V: 'void',
  x: 'binary',
};

/**
 * The wire type name of each top-level entry of the table in buf[offset, offset+length) (as decodeTable's
 * length). Used where RabbitMQ's replies name the type a client sent (argument validation, equivalence).
 */
export function tableTypes(buf: Buffer, offset: number, length: number): Record<string, string> {
  const end = offset + length;
  const types: Record<string, string> = {};
  let p = offset;
  while (p < end) {
    const klen = buf[p]!;
    const key = buf.toString('utf8', p + 1, p + 1 + klen);
    p += 1 + klen;
    const t = String.fromCharCode(buf[p]!);
    if (key !== '__proto__') types[key] = FIELD_TYPE_NAMES[t] ?? t;
    p = readValue(buf, p, end, 0);
  }
  return types;
}
