// AMQP 1.0 values (OASIS AMQP 1.0 part 1, §1.6 "Primitive Type Definitions"): every value keeps the type it was
// encoded with, so a decoded message re-encodes to the same types (a ushort stays a ushort, a symbol is not a
// string). Numbers are JS numbers; long/ulong are numbers when exactly representable, else bigints. binary,
// uuid and the decimals are Buffers: views of the decoded input (no copy), or caller-owned on encode.
// `amqp` builds values; `plain()` turns one into a JS value for display and tests.

export type Amqp10Type =
  | 'null'
  | 'boolean'
  | 'ubyte'
  | 'ushort'
  | 'uint'
  | 'ulong'
  | 'byte'
  | 'short'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'decimal32'
  | 'decimal64'
  | 'decimal128'
  | 'char'
  | 'timestamp'
  | 'uuid'
  | 'binary'
  | 'string'
  | 'symbol'
  | 'list'
  | 'map'
  | 'array'
  | 'described';

/** The primitive types an array's elements may share (arrays of arrays and of described values included). */
export type NumberType =
  'ubyte' | 'ushort' | 'uint' | 'byte' | 'short' | 'int' | 'float' | 'double' | 'char' | 'timestamp';
export type BytesType = 'decimal32' | 'decimal64' | 'decimal128' | 'uuid' | 'binary';

export type Amqp10Value =
  | { readonly type: 'null'; readonly value: null }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: NumberType; readonly value: number }
  | { readonly type: 'ulong' | 'long'; readonly value: number | bigint }
  | { readonly type: BytesType; readonly value: Buffer }
  | { readonly type: 'string' | 'symbol'; readonly value: string }
  | { readonly type: 'list'; readonly value: Amqp10Value[] }
  | { readonly type: 'map'; readonly value: Array<[Amqp10Value, Amqp10Value]> }
  | Amqp10Array
  | { readonly type: 'described'; readonly descriptor: Amqp10Value; readonly value: Amqp10Value };

/**
 * An array (§1.6.24): elements share one constructor. `elementType` is that constructor's type; for an array of
 * described values it is 'described', `descriptor` is the shared descriptor and the elements are the inner values.
 */
export interface Amqp10Array {
  readonly type: 'array';
  readonly elementType: Exclude<Amqp10Type, 'described'> | 'described';
  readonly descriptor?: Amqp10Value;
  readonly value: Amqp10Value[];
}

export const NULL: Amqp10Value = { type: 'null', value: null };
export const TRUE: Amqp10Value = { type: 'boolean', value: true };
export const FALSE: Amqp10Value = { type: 'boolean', value: false };

/** Value builders: amqp.ulong(5), amqp.symbol('x-opt'), amqp.map([[k, v]]), … */
export const amqp = {
  null: (): Amqp10Value => NULL,
  boolean: (v: boolean): Amqp10Value => (v ? TRUE : FALSE),
  ubyte: (v: number): Amqp10Value => ({ type: 'ubyte', value: v }),
  ushort: (v: number): Amqp10Value => ({ type: 'ushort', value: v }),
  uint: (v: number): Amqp10Value => ({ type: 'uint', value: v }),
  ulong: (v: number | bigint): Amqp10Value => ({ type: 'ulong', value: v }),
  byte: (v: number): Amqp10Value => ({ type: 'byte', value: v }),
  short: (v: number): Amqp10Value => ({ type: 'short', value: v }),
  int: (v: number): Amqp10Value => ({ type: 'int', value: v }),
  long: (v: number | bigint): Amqp10Value => ({ type: 'long', value: v }),
  float: (v: number): Amqp10Value => ({ type: 'float', value: v }),
  double: (v: number): Amqp10Value => ({ type: 'double', value: v }),
  decimal32: (raw: Buffer): Amqp10Value => ({ type: 'decimal32', value: raw }),
  decimal64: (raw: Buffer): Amqp10Value => ({ type: 'decimal64', value: raw }),
  decimal128: (raw: Buffer): Amqp10Value => ({ type: 'decimal128', value: raw }),
  /** A Unicode code point (UTF-32BE on the wire). */
  char: (codePoint: number): Amqp10Value => ({ type: 'char', value: codePoint }),
  /** Milliseconds since the Unix epoch (§1.6.21). */
  timestamp: (ms: number): Amqp10Value => ({ type: 'timestamp', value: ms }),
  uuid: (bytes: Buffer): Amqp10Value => ({ type: 'uuid', value: bytes }),
  binary: (v: Buffer): Amqp10Value => ({ type: 'binary', value: v }),
  string: (v: string): Amqp10Value => ({ type: 'string', value: v }),
  symbol: (v: string): Amqp10Value => ({ type: 'symbol', value: v }),
  list: (v: Amqp10Value[]): Amqp10Value => ({ type: 'list', value: v }),
  map: (v: Array<[Amqp10Value, Amqp10Value]>): Amqp10Value => ({ type: 'map', value: v }),
  array: (elementType: Amqp10Array['elementType'], v: Amqp10Value[], descriptor?: Amqp10Value): Amqp10Value =>
    descriptor === undefined
      ? { type: 'array', elementType, value: v }
      : { type: 'array', elementType, descriptor, value: v },
  described: (descriptor: Amqp10Value, v: Amqp10Value): Amqp10Value => ({ type: 'described', descriptor, value: v }),
};

/** A plain JS rendering: maps become arrays of [key, value] pairs, described values {descriptor, value}. */
export function plain(v: Amqp10Value): unknown {
  switch (v.type) {
    case 'list':
    case 'array':
      return v.value.map(plain);
    case 'map':
      return v.value.map(([k, x]) => [plain(k), plain(x)]);
    case 'described':
      return { descriptor: plain(v.descriptor), value: plain(v.value) };
    default:
      return v.value;
  }
}

/** The map's entry for a symbol or string key (first match), or undefined. */
export function mapGet(m: Array<[Amqp10Value, Amqp10Value]>, key: string): Amqp10Value | undefined {
  for (const [k, v] of m) if ((k.type === 'symbol' || k.type === 'string') && k.value === key) return v;
  return undefined;
}

/** Thrown for malformed AMQP 1.0 input and for values that cannot be encoded. */
export class Amqp10Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Amqp10Error';
  }
}
