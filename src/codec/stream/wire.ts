// The Stream protocol's primitive types (PROTOCOL.adoc "Types"): big-endian integers; string = int16 length +
// UTF-8 (-1 = null); bytes = int32 length + bytes (-1 = null); arrays = int32 count + items. StreamReader is a
// bounds-checked cursor over one frame; writeFrame back-patches the frame's size prefix. 64-bit integers are
// JS numbers: exact up to 2^53, and a larger value on the wire is refused (no offset, publishing id or
// timestamp gets near it).
import type { Writer } from '../buffer/writer.js';
import { ResponseCode } from './constants.js';
import { StacklessError } from '../../util/stackless-error.js';

/** A malformed or oversized frame. `code` is the response code RabbitMQ closes with (e.g. FrameTooLarge). */
export class StreamCodecError extends StacklessError {
  constructor(
    message: string,
    readonly code: number = ResponseCode.UnknownFrame,
  ) {
    super(message);
    this.name = 'StreamCodecError';
  }
}

const TWO_32 = 4294967296;

export class StreamReader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new StreamCodecError('truncated stream frame');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): number {
    this.need(8);
    const hi = this.buf.readUInt32BE(this.pos);
    if (hi >= 0x200000) throw new StreamCodecError('uint64 above 2^53');
    const v = hi * TWO_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  i64(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.pos);
    if (hi >= 0x200000 || hi < -0x200000) throw new StreamCodecError('int64 beyond ±2^53');
    const v = hi * TWO_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  /** int16 length + UTF-8; null for length -1. */
  string(): string | null {
    const n = this.i16();
    if (n === -1) return null;
    if (n < 0) throw new StreamCodecError(`bad string length ${n}`);
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /**
   * A string that must be present: its length read unsigned, as rabbit_stream_core's ?STRING (Size:16), so
   * -1 is not null but 65,535 bytes the frame does not hold (UnknownFrame, as RabbitMQ answers it).
   */
  str(): string {
    const n = this.u16();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** int32 length + bytes, as a view of the frame; null for -1. */
  bytes(): Buffer | null {
    const n = this.i32();
    if (n === -1) return null;
    if (n < 0) throw new StreamCodecError(`bad bytes length ${n}`);
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** int32 count; refuses a count the remaining bytes cannot hold (each item at least `minItem` bytes). */
  count(minItem: number): number {
    const n = this.i32();
    if (n < 0 || n * minItem > this.remaining) throw new StreamCodecError(`bad array length ${n}`);
    return n;
  }

  rest(): Buffer {
    const b = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return b;
  }
}

/** Writes a string (int16 length, -1 for null). */
export function writeString(w: Writer, s: string | null): void {
  if (s === null) {
    w.i16(-1);
    return;
  }
  const n = Buffer.byteLength(s, 'utf8');
  if (n > 32767) throw new StreamCodecError(`string of ${n} bytes is too long`);
  w.ensure(2 + n);
  w.u16(n);
  w.pos += w.buf.write(s, w.pos, n, 'utf8');
}

export function writeBytes(w: Writer, b: Buffer | null): void {
  if (b === null) w.i32(-1);
  else {
    w.u32(b.length);
    w.bytes(b);
  }
}

/** u64 / i64 from a JS number (exact up to 2^53). */
export function writeU64(w: Writer, v: number): void {
  w.u64(v);
}

/**
 * One frame: Size (uint32, excluding itself), Key, Version, then `body` writes the rest. Offsets are kept relative
 * to w.start because the Writer may move its pending bytes when it grows.
 */
export function writeFrame(w: Writer, key: number, version: number, body: (w: Writer) => void): void {
  w.ensure(8);
  const rel = w.pos - w.start;
  w.u32(0);
  w.u16(key);
  w.u16(version);
  body(w);
  const at = w.start + rel;
  w.buf.writeUInt32BE(w.pos - at - 4, at);
}
