// AMQP 1.0 format codes (part 1, §1.6 and the encodings table of §1.7): one table, code → type and width.
// The high nibble of a code is its "subcategory" (§1.2 "Encodings"): 0x4 fixed 0 bytes, 0x5 fixed 1, 0x6 fixed 2,
// 0x7 fixed 4, 0x8 fixed 8, 0x9 fixed 16, 0xa variable with a 1-byte size, 0xb variable with a 4-byte size,
// 0xc compound with 1-byte size and count, 0xd with 4-byte ones, 0xe array with 1-byte size and count, 0xf with
// 4-byte ones. That rule lets any value be skipped without decoding it (skipValue in decoder.ts).
import type { Amqp10Type } from './types.js';

export const FC = {
  DESCRIBED: 0x00,
  NULL: 0x40,
  TRUE: 0x41,
  FALSE: 0x42,
  UINT0: 0x43,
  ULONG0: 0x44,
  LIST0: 0x45,
  UBYTE: 0x50,
  BYTE: 0x51,
  SMALLUINT: 0x52,
  SMALLULONG: 0x53,
  SMALLINT: 0x54,
  SMALLLONG: 0x55,
  BOOLEAN: 0x56,
  USHORT: 0x60,
  SHORT: 0x61,
  UINT: 0x70,
  INT: 0x71,
  FLOAT: 0x72,
  CHAR: 0x73,
  DECIMAL32: 0x74,
  ULONG: 0x80,
  LONG: 0x81,
  DOUBLE: 0x82,
  TIMESTAMP: 0x83,
  DECIMAL64: 0x84,
  DECIMAL128: 0x94,
  UUID: 0x98,
  VBIN8: 0xa0,
  STR8: 0xa1,
  SYM8: 0xa3,
  VBIN32: 0xb0,
  STR32: 0xb1,
  SYM32: 0xb3,
  LIST8: 0xc0,
  MAP8: 0xc1,
  LIST32: 0xd0,
  MAP32: 0xd1,
  ARRAY8: 0xe0,
  ARRAY32: 0xf0,
} as const;

/** code → type; undefined for a reserved code. */
export const CODE_TYPE: ReadonlyArray<Amqp10Type | undefined> = (() => {
  const t: Array<Amqp10Type | undefined> = new Array<Amqp10Type | undefined>(256).fill(undefined);
  const set = (type: Amqp10Type, ...codes: number[]): void => {
    for (const c of codes) t[c] = type;
  };
  set('null', FC.NULL);
  set('boolean', FC.TRUE, FC.FALSE, FC.BOOLEAN);
  set('ubyte', FC.UBYTE);
  set('ushort', FC.USHORT);
  set('uint', FC.UINT, FC.SMALLUINT, FC.UINT0);
  set('ulong', FC.ULONG, FC.SMALLULONG, FC.ULONG0);
  set('byte', FC.BYTE);
  set('short', FC.SHORT);
  set('int', FC.INT, FC.SMALLINT);
  set('long', FC.LONG, FC.SMALLLONG);
  set('float', FC.FLOAT);
  set('double', FC.DOUBLE);
  set('decimal32', FC.DECIMAL32);
  set('decimal64', FC.DECIMAL64);
  set('decimal128', FC.DECIMAL128);
  set('char', FC.CHAR);
  set('timestamp', FC.TIMESTAMP);
  set('uuid', FC.UUID);
  set('binary', FC.VBIN8, FC.VBIN32);
  set('string', FC.STR8, FC.STR32);
  set('symbol', FC.SYM8, FC.SYM32);
  set('list', FC.LIST0, FC.LIST8, FC.LIST32);
  set('map', FC.MAP8, FC.MAP32);
  set('array', FC.ARRAY8, FC.ARRAY32);
  set('described', FC.DESCRIBED);
  return t;
})();

/** Fixed widths by subcategory nibble 0x4..0x9; -1 for the variable/compound/array ones. */
export const FIXED_WIDTH = [-1, -1, -1, -1, 0, 1, 2, 4, 8, 16, -1, -1, -1, -1, -1, -1] as const;
