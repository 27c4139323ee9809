// AMQP 1.0 decoding (part 1, §1.2-§1.7) from a Buffer slice, table-driven by format-codes.ts. Strings and symbols
// become JS strings; binary, uuid and decimals are views of the input (no copy: keep the input alive or copy).
// skipValue steps over one encoded value from its size fields alone, without decoding it: the message scanner
// (message.ts) uses it to find section boundaries cheaply. Nesting deeper than MAX_DEPTH is refused.
import { CODE_TYPE, FC, FIXED_WIDTH } from './format-codes.js';
import { Amqp10Error, FALSE, NULL, TRUE, type Amqp10Array, type Amqp10Value } from './types.js';

export const MAX_DEPTH = 100;
const TWO_32 = 4294967296;

function truncated(): Amqp10Error {
  return new Amqp10Error('truncated AMQP 1.0 value');
}

/** A cursor over buf[pos, end). */
export class Amqp10Decoder {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {
    if (pos < 0 || end > buf.length || pos > end) throw truncated();
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw truncated();
  }

  /** The next value, constructor included. */
  read(depth = 0): Amqp10Value {
    this.need(1);
    const code = this.buf[this.pos++]!;
    if (code === FC.DESCRIBED) {
      if (depth > MAX_DEPTH) throw new Amqp10Error('AMQP 1.0 value nested too deeply');
      const descriptor = this.read(depth + 1);
      return { type: 'described', descriptor, value: this.read(depth + 1) };
    }
    return this.body(code, depth);
  }

  /** A value's body for a constructor already read (array elements share one). */
  body(code: number, depth: number): Amqp10Value {
    const b = this.buf;
    const p = this.pos;
    const width = FIXED_WIDTH[code >>> 4]!;
    if (width >= 0) this.need(width);
    switch (code) {
      case FC.NULL:
        return NULL;
      case FC.TRUE:
        return TRUE;
      case FC.FALSE:
        return FALSE;
      case FC.BOOLEAN:
        this.pos = p + 1;
        if (b[p]! > 1) throw new Amqp10Error(`invalid boolean ${b[p]!}`);
        return b[p] === 1 ? TRUE : FALSE;
      case FC.UINT0:
        return { type: 'uint', value: 0 };
      case FC.ULONG0:
        return { type: 'ulong', value: 0 };
      case FC.LIST0:
        return { type: 'list', value: [] };
      case FC.UBYTE:
        this.pos = p + 1;
        return { type: 'ubyte', value: b[p]! };
      case FC.BYTE:
        this.pos = p + 1;
        return { type: 'byte', value: b.readInt8(p) };
      case FC.SMALLUINT:
        this.pos = p + 1;
        return { type: 'uint', value: b[p]! };
      case FC.SMALLULONG:
        this.pos = p + 1;
        return { type: 'ulong', value: b[p]! };
      case FC.SMALLINT:
        this.pos = p + 1;
        return { type: 'int', value: b.readInt8(p) };
      case FC.SMALLLONG:
        this.pos = p + 1;
        return { type: 'long', value: b.readInt8(p) };
      case FC.USHORT:
        this.pos = p + 2;
        return { type: 'ushort', value: b.readUInt16BE(p) };
      case FC.SHORT:
        this.pos = p + 2;
        return { type: 'short', value: b.readInt16BE(p) };
      case FC.UINT:
        this.pos = p + 4;
        return { type: 'uint', value: b.readUInt32BE(p) };
      case FC.INT:
        this.pos = p + 4;
        return { type: 'int', value: b.readInt32BE(p) };
      case FC.FLOAT:
        this.pos = p + 4;
        return { type: 'float', value: b.readFloatBE(p) };
      case FC.CHAR:
        this.pos = p + 4;
        return { type: 'char', value: b.readUInt32BE(p) };
      case FC.ULONG:
        this.pos = p + 8;
        return { type: 'ulong', value: u64(b, p) };
      case FC.LONG:
        this.pos = p + 8;
        return { type: 'long', value: i64(b, p) };
      case FC.DOUBLE:
        this.pos = p + 8;
        return { type: 'double', value: b.readDoubleBE(p) };
      case FC.TIMESTAMP:
        this.pos = p + 8;
        return { type: 'timestamp', value: Number(i64(b, p)) };
      case FC.DECIMAL32:
        this.pos = p + 4;
        return { type: 'decimal32', value: b.subarray(p, p + 4) };
      case FC.DECIMAL64:
        this.pos = p + 8;
        return { type: 'decimal64', value: b.subarray(p, p + 8) };
      case FC.DECIMAL128:
        this.pos = p + 16;
        return { type: 'decimal128', value: b.subarray(p, p + 16) };
      case FC.UUID:
        this.pos = p + 16;
        return { type: 'uuid', value: b.subarray(p, p + 16) };
      case FC.VBIN8:
      case FC.VBIN32:
        return { type: 'binary', value: this.variable(code === FC.VBIN8) };
      case FC.STR8:
      case FC.STR32: {
        const s = this.variable(code === FC.STR8);
        return { type: 'string', value: s.toString('utf8') };
      }
      case FC.SYM8:
      case FC.SYM32: {
        const s = this.variable(code === FC.SYM8);
        return { type: 'symbol', value: s.toString('latin1') };
      }
      case FC.LIST8:
      case FC.LIST32:
      case FC.MAP8:
      case FC.MAP32:
        return this.compound(code, depth);
      case FC.ARRAY8:
      case FC.ARRAY32:
        return this.array(code === FC.ARRAY8, depth);
      default:
        throw new Amqp10Error(`unknown AMQP 1.0 format code 0x${code.toString(16)}`);
    }
  }

  private variable(small: boolean): Buffer {
    const n = this.size(small);
    this.need(n);
    const p = this.pos;
    this.pos = p + n;
    return this.buf.subarray(p, p + n);
  }

  private size(small: boolean): number {
    this.need(small ? 1 : 4);
    const p = this.pos;
    this.pos = p + (small ? 1 : 4);
    return small ? this.buf[p]! : this.buf.readUInt32BE(p);
  }

  private compound(code: number, depth: number): Amqp10Value {
    if (depth > MAX_DEPTH) throw new Amqp10Error('AMQP 1.0 value nested too deeply');
    const small = code === FC.LIST8 || code === FC.MAP8;
    const size = this.size(small);
    this.need(size);
    const end = this.pos + size;
    const count = this.size(small);
    const items: Amqp10Value[] = [];
    for (let i = 0; i < count; i++) {
      if (this.pos >= end) throw truncated();
      items.push(this.read(depth + 1));
    }
    if (this.pos !== end) throw new Amqp10Error('AMQP 1.0 compound size does not match its elements');
    if (code === FC.LIST8 || code === FC.LIST32) return { type: 'list', value: items };
    if (count % 2 !== 0) throw new Amqp10Error('AMQP 1.0 map with an odd number of elements');
    const pairs: Array<[Amqp10Value, Amqp10Value]> = [];
    for (let i = 0; i < count; i += 2) pairs.push([items[i]!, items[i + 1]!]);
    return { type: 'map', value: pairs };
  }

  private array(small: boolean, depth: number): Amqp10Value {
    if (depth > MAX_DEPTH) throw new Amqp10Error('AMQP 1.0 value nested too deeply');
    const size = this.size(small);
    this.need(size);
    const end = this.pos + size;
    const count = this.size(small);
    this.need(1);
    let code = this.buf[this.pos++]!;
    let descriptor: Amqp10Value | undefined;
    if (code === FC.DESCRIBED) {
      descriptor = this.read(depth + 1);
      this.need(1);
      code = this.buf[this.pos++]!;
    }
    const elementType = CODE_TYPE[code];
    if (elementType === undefined || elementType === 'described')
      throw new Amqp10Error(`unknown AMQP 1.0 array element format code 0x${code.toString(16)}`);
    const items: Amqp10Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.body(code, depth + 1));
    if (this.pos !== end) throw new Amqp10Error('AMQP 1.0 array size does not match its elements');
    const arr: Amqp10Array =
      descriptor === undefined
        ? { type: 'array', elementType, value: items }
        : { type: 'array', elementType: 'described', descriptor, value: items };
    return arr;
  }
}

/** Decodes the one value in buf[start, end) (all of it). */
export function decodeValue(buf: Buffer, start = 0, end = buf.length): Amqp10Value {
  const d = new Amqp10Decoder(buf, start, end);
  const v = d.read();
  if (d.pos !== end) throw new Amqp10Error('trailing bytes after an AMQP 1.0 value');
  return v;
}

/** The offset just past the value (constructor included) starting at buf[p], without decoding it. */
export function skipValue(buf: Buffer, p: number, end: number): number {
  if (p >= end) throw truncated();
  const code = buf[p]!;
  if (code === FC.DESCRIBED) return skipValue(buf, skipValue(buf, p + 1, end), end);
  const q = skipBody(buf, code, p + 1, end);
  if (q > end) throw truncated();
  return q;
}

function skipBody(buf: Buffer, code: number, p: number, end: number): number {
  if (CODE_TYPE[code] === undefined) throw new Amqp10Error(`unknown AMQP 1.0 format code 0x${code.toString(16)}`);
  const sub = code >>> 4;
  const width = FIXED_WIDTH[sub]!;
  if (width >= 0) return p + width;
  const small = sub === 0xa || sub === 0xc || sub === 0xe;
  if (p + (small ? 1 : 4) > end) throw truncated();
  return small ? p + 1 + buf[p]! : p + 4 + buf.readUInt32BE(p);
}

function u64(b: Buffer, p: number): number | bigint {
  const hi = b.readUInt32BE(p);
  const lo = b.readUInt32BE(p + 4);
  if (hi < 0x200000) return hi * TWO_32 + lo;
  return b.readBigUInt64BE(p);
}

function i64(b: Buffer, p: number): number | bigint {
  const hi = b.readInt32BE(p);
  const lo = b.readUInt32BE(p + 4);
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_32 + lo;
  return b.readBigInt64BE(p);
}
