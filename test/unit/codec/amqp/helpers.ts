// Shared by the codec tests (not a test file itself): a frame-collecting handler that copies payloads, a
// deterministic PRNG for the fuzz tests, and sample values for every method field type: non-default numbers at
// the edges of their widths, non-ASCII strings, Buffers for binary longstrs, and a table with every field type.
import {
  Decimal,
  Timestamp,
  Typed,
  type AmqpFieldType,
  type FieldTable,
  type FrameHandler,
} from '../../../../src/codec/amqp/index.js';

export class Frame {
  constructor(
    readonly type: number,
    readonly channel: number,
    readonly payload: Buffer,
  ) {}
}

/** Collects frames, copying payloads (the decoder's views are only valid during onFrame). */
export class Collector implements FrameHandler {
  frames: Frame[] = [];
  onFrame(type: number, channel: number, payload: Buffer): void {
    this.frames.push(new Frame(type, channel, Buffer.from(payload)));
  }
}

/** mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A table with every field value type, nested, as encoded from JS. */
export function everyTypeTable(): FieldTable {
  return {
    str: 'héllo wörld',
    empty: '',
    yes: true,
    no: false,
    int: -123456,
    bigInt: 2 ** 40 + 7,
    negBig: -(2 ** 45),
    dbl: 3.25,
    void: null,
    bytes: Buffer.from([0, 1, 2, 255]),
    ts: new Timestamp(1700000000),
    dec: new Decimal(2, 31415),
    arr: [1, 'two', [3, [4]], { five: 5 }, null, true, Buffer.from('x'), new Timestamp(9)],
    nested: { a: { b: { c: 'deep' } }, list: [] },
    b8: new Typed('b', -5),
    ub8: new Typed('B', 250),
    s16: new Typed('s', -30000),
    u16: new Typed('u', 60000),
    i32: new Typed('I', -7),
    u32: new Typed('i', 4000000000),
    l64: new Typed('l', 3),
    f32: new Typed('f', 1.5),
    d64: new Typed('d', 2),
  };
}

/** What everyTypeTable() decodes to. */
export function everyTypeDecoded(): FieldTable {
  const t = everyTypeTable();
  return { ...t, b8: -5, ub8: 250, s16: -30000, u16: 60000, i32: -7, u32: 4000000000, l64: 3, f32: 1.5, d64: 2 };
}

/** A non-default value for a method field of the given type. */
export function sampleValue(type: AmqpFieldType, name: string, binary: boolean, bit: boolean): unknown {
  switch (type) {
    case 'octet':
      return 201;
    case 'short':
      return 65001;
    case 'long':
      return 4000000001;
    case 'longlong':
    case 'timestamp':
      return 2 ** 53 - 3;
    case 'bit':
      return bit;
    case 'shortstr':
      return `${name}-ü€`;
    case 'longstr':
      return binary ? Buffer.from([0, 1, 2, 0xff, 0]) : `${name} long ☃`;
    case 'table':
      return everyTypeTable();
  }
}
