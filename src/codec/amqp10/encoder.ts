// AMQP 1.0 encoding into a Writer, choosing the smallest encoding the spec allows (part 1, §1.6): true/false,
// uint0/smalluint, ulong0/smallulong, smallint/smalllong, str8/sym8/vbin8 under 256 bytes, list0, list8/map8
// when size and count fit a byte. Compound sizes are back-patched: the body is written after a 4-byte-size
// header and moved down when the 1-byte form fits (a small copy of what was just written, no staging buffer).
// Array elements share one constructor, so they use the full-width form of their type.
import type { Writer } from '../buffer/writer.js';
import { FC } from './format-codes.js';
import { Amqp10Error, type Amqp10Array, type Amqp10Value } from './types.js';

export function encodeValue(w: Writer, v: Amqp10Value): void {
  switch (v.type) {
    case 'null':
      w.u8(FC.NULL);
      return;
    case 'boolean':
      w.u8(v.value ? FC.TRUE : FC.FALSE);
      return;
    case 'uint':
      if (v.value === 0) w.u8(FC.UINT0);
      else if (v.value < 256) fixed1(w, FC.SMALLUINT, v.value);
      else {
        w.u8(FC.UINT);
        w.u32(v.value);
      }
      return;
    case 'ulong':
      if (typeof v.value === 'number' && v.value === 0) w.u8(FC.ULONG0);
      else if (typeof v.value === 'number' && v.value < 256) fixed1(w, FC.SMALLULONG, v.value);
      else {
        w.u8(FC.ULONG);
        u64(w, v.value);
      }
      return;
    case 'int':
      if (v.value >= -128 && v.value <= 127) fixed1(w, FC.SMALLINT, v.value & 0xff);
      else {
        w.u8(FC.INT);
        w.i32(v.value);
      }
      return;
    case 'long':
      if (typeof v.value === 'number' && v.value >= -128 && v.value <= 127) fixed1(w, FC.SMALLLONG, v.value & 0xff);
      else {
        w.u8(FC.LONG);
        i64(w, v.value);
      }
      return;
    case 'string':
    case 'symbol': {
      const enc = v.type === 'string' ? 'utf8' : 'latin1';
      const n = Buffer.byteLength(v.value, enc);
      const small = n < 256;
      const code = v.type === 'string' ? (small ? FC.STR8 : FC.STR32) : small ? FC.SYM8 : FC.SYM32;
      w.ensure(5 + n);
      w.u8(code);
      if (small) w.u8(n);
      else w.u32(n);
      w.pos += w.buf.write(v.value, w.pos, n, enc);
      return;
    }
    case 'binary': {
      const n = v.value.length;
      if (n < 256) fixed1(w, FC.VBIN8, n);
      else {
        w.u8(FC.VBIN32);
        w.u32(n);
      }
      w.bytes(v.value);
      return;
    }
    case 'list':
      if (v.value.length === 0) {
        w.u8(FC.LIST0);
        return;
      }
      compound(w, FC.LIST8, FC.LIST32, v.value.length, () => {
        for (const x of v.value) encodeValue(w, x);
      });
      return;
    case 'map':
      compound(w, FC.MAP8, FC.MAP32, v.value.length * 2, () => {
        for (const [k, x] of v.value) {
          encodeValue(w, k);
          encodeValue(w, x);
        }
      });
      return;
    case 'array':
      encodeArray(w, v);
      return;
    case 'described':
      w.u8(FC.DESCRIBED);
      encodeValue(w, v.descriptor);
      encodeValue(w, v.value);
      return;
    default:
      w.u8(fullCode(v.type));
      fixedBody(w, v);
  }
}

function fixed1(w: Writer, code: number, b: number): void {
  w.u8(code);
  w.u8(b);
}

/** The body of a fixed-width value, as its full-width constructor defines it. */
function fixedBody(w: Writer, v: Amqp10Value): void {
  switch (v.type) {
    case 'null':
      return;
    case 'boolean':
      w.u8(v.value ? 1 : 0);
      return;
    case 'ubyte':
      w.u8(v.value);
      return;
    case 'byte':
      w.i8(v.value);
      return;
    case 'ushort':
      w.u16(v.value);
      return;
    case 'short':
      w.i16(v.value);
      return;
    case 'uint':
    case 'char':
      w.u32(v.value);
      return;
    case 'int':
      w.i32(v.value);
      return;
    case 'float':
      w.f32(v.value);
      return;
    case 'double':
      w.f64(v.value);
      return;
    case 'ulong':
      u64(w, v.value);
      return;
    case 'long':
      i64(w, v.value);
      return;
    case 'timestamp':
      i64(w, v.value);
      return;
    case 'decimal32':
    case 'decimal64':
    case 'decimal128':
    case 'uuid': {
      const want = v.type === 'decimal32' ? 4 : v.type === 'decimal64' ? 8 : 16;
      if (v.value.length !== want) throw new Amqp10Error(`${v.type} needs ${want} bytes, got ${v.value.length}`);
      w.bytes(v.value);
      return;
    }
    default:
      throw new Amqp10Error(`${v.type} is not a fixed-width type`);
  }
}

const FULL: Partial<Record<Amqp10Value['type'], number>> = {
  null: FC.NULL,
  boolean: FC.BOOLEAN,
  ubyte: FC.UBYTE,
  byte: FC.BYTE,
  ushort: FC.USHORT,
  short: FC.SHORT,
  uint: FC.UINT,
  int: FC.INT,
  float: FC.FLOAT,
  char: FC.CHAR,
  decimal32: FC.DECIMAL32,
  ulong: FC.ULONG,
  long: FC.LONG,
  double: FC.DOUBLE,
  timestamp: FC.TIMESTAMP,
  decimal64: FC.DECIMAL64,
  decimal128: FC.DECIMAL128,
  uuid: FC.UUID,
};

function fullCode(type: Amqp10Value['type']): number {
  const c = FULL[type];
  if (c === undefined) throw new Amqp10Error(`no fixed-width encoding for ${type}`);
  return c;
}

/**
 * Writes code32 + size + count + body, then rewrites it as code8 + size8 + count8 when both fit (§1.6.22: the
 * size counts the count field and the body). Offsets are kept relative to w.start: the Writer may grow (and move
 * its pending bytes) while the body is written.
 */
function compound(w: Writer, code8: number, code32: number, count: number, body: () => void): void {
  w.ensure(9);
  const rel = w.pos - w.start;
  if (code32 < 0) {
    // an array element: no constructor of its own, always the 32-bit form
    w.u32(0);
    w.u32(count);
    body();
    const at0 = w.start + rel;
    w.buf.writeUInt32BE(w.pos - at0 - 4, at0);
    return;
  }
  w.u8(code32);
  w.u32(0);
  w.u32(count);
  body();
  const at = w.start + rel;
  const bodyLen = w.pos - (at + 9);
  if (bodyLen + 1 <= 255 && count <= 255) {
    const b = w.buf;
    b[at] = code8;
    b[at + 1] = bodyLen + 1;
    b[at + 2] = count;
    b.copyWithin(at + 3, at + 9, w.pos);
    w.pos -= 6;
  } else {
    w.buf.writeUInt32BE(bodyLen + 4, at + 1);
  }
}

function encodeArray(w: Writer, a: Amqp10Array): void {
  const items = a.value;
  let code: number;
  let type = a.elementType;
  if (type === 'described') {
    if (items.length === 0) throw new Amqp10Error('an array of described values needs an element to type it');
    type = items[0]!.type as Amqp10Array['elementType'];
  }
  if (type === 'string' || type === 'symbol' || type === 'binary') {
    let max = 0;
    for (const x of items)
      max = Math.max(
        max,
        typeof x.value === 'string'
          ? Buffer.byteLength(x.value, type === 'string' ? 'utf8' : 'latin1')
          : (x.value as Buffer).length,
      );
    const small = max < 256;
    code =
      type === 'string'
        ? small
          ? FC.STR8
          : FC.STR32
        : type === 'symbol'
          ? small
            ? FC.SYM8
            : FC.SYM32
          : small
            ? FC.VBIN8
            : FC.VBIN32;
  } else if (type === 'list') code = FC.LIST32;
  else if (type === 'map') code = FC.MAP32;
  else if (type === 'array') code = FC.ARRAY32;
  else if (type === 'described') throw new Amqp10Error('arrays of arrays of described values are not supported');
  else code = fullCode(type);
  compound(w, FC.ARRAY8, FC.ARRAY32, items.length, () => {
    if (a.descriptor !== undefined) {
      w.u8(FC.DESCRIBED);
      encodeValue(w, a.descriptor);
    }
    w.u8(code);
    for (const x of items) {
      if (x.type !== type) throw new Amqp10Error(`array of ${type} holds a ${x.type}`);
      elementBody(w, code, x);
    }
  });
}

/** An element's body under the array's shared constructor `code` (compound elements keep 32-bit sizes). */
function elementBody(w: Writer, code: number, x: Amqp10Value): void {
  const sub = code >>> 4;
  if (sub === 0xa || sub === 0xb) {
    const bytes =
      typeof x.value === 'string' ? Buffer.from(x.value, x.type === 'string' ? 'utf8' : 'latin1') : (x.value as Buffer);
    if (sub === 0xa) w.u8(bytes.length);
    else w.u32(bytes.length);
    w.bytes(bytes);
  } else if (x.type === 'list') {
    compound(w, -1, -1, x.value.length, () => {
      for (const y of x.value) encodeValue(w, y);
    });
  } else if (x.type === 'map') {
    compound(w, -1, -1, x.value.length * 2, () => {
      for (const [k, y] of x.value) {
        encodeValue(w, k);
        encodeValue(w, y);
      }
    });
  } else if (x.type === 'array') {
    throw new Amqp10Error('arrays of arrays are not supported');
  } else fixedBody(w, x);
}

function u64(w: Writer, v: number | bigint): void {
  if (typeof v === 'bigint') {
    w.ensure(8);
    w.buf.writeBigUInt64BE(v, w.pos);
    w.pos += 8;
  } else w.u64(v);
}

function i64(w: Writer, v: number | bigint): void {
  if (typeof v === 'bigint') {
    w.ensure(8);
    w.buf.writeBigInt64BE(v, w.pos);
    w.pos += 8;
  } else w.i64(v);
}
