// Writer: the growable big-endian output buffer every AMQP encoder writes into. Bytes [start, pos) are pending;
// take() hands them out as a view and never writes over a view it handed out (it moves on, or allocates a fresh
// buffer when little room is left). Growing copies only the pending bytes. u64/i64 take JS numbers and are
// written as two u32s (exact up to 2^53; no BigInt). Strings are UTF-8; a shortstr over 255 bytes is a
// CodecError (amqp0-9-1 §4.2.5.3: short strings are at most 255 octets). Field tables are written by
// field-table.ts's encodeTable(w, t) onto a Writer: the writer knows bytes, not AMQP's typed values.
import { CodecError } from '../amqp/errors.js';

/** take() starts a fresh buffer when less than this is left. */
const MIN_ROOM = 4096;
/**
 * Buffers at least this long are queued by reference (ref()) instead of copied: a 64 KiB message body is
 * written to the socket from the message itself (one writev with the frame bytes around it), not memcpy'd
 * into the output buffer first. Smaller ones are cheaper to copy than to queue.
 */
export const REF_MIN = 8192;
const TWO_32 = 4294967296;
/** frameBoundary() moves pending bytes to the parts past this many, or when less than MIN_ROOM is left. */
const CUT_AT = 32 * 1024;

export class Writer {
  buf: Buffer;
  pos: number;
  start: number;
  private readonly size: number;

  /**
   * `size`: the buffers it moves on to; `initial`: its first one, smaller for a writer that may never need
   * more (a connection's output: most short-lived connections write a few hundred bytes, and a 64 KiB
   * buffer for each is external memory V8 collects only with a full GC).
   */
  constructor(size = 65536, initial = size) {
    this.size = size > 0 ? size : 65536;
    this.buf = Buffer.allocUnsafe(initial > 0 ? Math.min(initial, this.size) : this.size);
    this.pos = 0;
    this.start = 0;
  }

  /**
   * Buffer recycling, for a writer whose output only ever goes to one socket (frontend/amqp/output.ts): when
   * set, every buffer the writer moves off is pushed here, and fresh ones are taken from `spare` first. The
   * owner moves retired buffers to `spare` once everything taken from them has been written.
   */
  retired: Buffer[] | null = null;
  readonly spare: Buffer[] = [];

  /** A fresh buffer of the writer's size; the current one is retired. */
  private fresh(): Buffer {
    if (this.retired !== null) this.retired.push(this.buf);
    return this.spare.pop() ?? Buffer.allocUnsafe(this.size);
  }

  /** Output queued before the bytes in buf (views taken from buf, and ref()'d buffers), in order. */
  private parts: Buffer[] | null = null;
  private partsBytes = 0;

  get pending(): number {
    return this.pos - this.start + this.partsBytes;
  }

  /**
   * Queue `b` by reference after what is pending. The caller promises never to modify `b` (message bodies
   * are immutable once built).
   */
  ref(b: Buffer): void {
    const parts = (this.parts ??= []);
    const head = this.takeBuf();
    if (head !== null) parts.push(head);
    parts.push(b);
    this.partsBytes += (head?.length ?? 0) + b.length;
  }

  /**
   * At a frame boundary (nothing is to be back-patched): once CUT_AT bytes are pending, or little room is
   * left, the pending bytes join the parts as they are and writing goes on after them or in a fresh buffer.
   * A turn that writes hundreds of deliveries then never grows the buffer by doubling and copying it.
   */
  frameBoundary(): void {
    const pending = this.pos - this.start;
    if (pending === 0 || (pending < CUT_AT && this.buf.length - this.pos >= MIN_ROOM)) return;
    // the same move as ref() makes before a queued buffer: the pending view joins the parts
    (this.parts ??= []).push(this.takeBuf()!);
    this.partsBytes += pending;
  }

  /** Everything pending, in order, as one or more buffers (null when none). Never overwritten afterwards. */
  takeParts(): Buffer | Buffer[] | null {
    const parts = this.parts;
    if (parts === null) return this.takeBuf();
    const tail = this.takeBuf();
    if (tail !== null) parts.push(tail);
    this.parts = null;
    this.partsBytes = 0;
    return parts;
  }

  /** Room for n more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const pending = this.pos - this.start;
    let cap = this.size;
    while (cap < pending + n) cap *= 2;
    const nb = cap === this.size && this.spare.length !== 0 ? this.spare.pop()! : Buffer.allocUnsafe(cap);
    if (this.retired !== null) this.retired.push(this.buf);
    this.buf.copy(nb, 0, this.start, this.pos);
    this.buf = nb;
    this.start = 0;
    this.pos = pending;
  }

  /** Everything pending as one buffer (null when none); never overwritten afterwards. */
  take(): Buffer | null {
    const p = this.takeParts();
    return p === null || Buffer.isBuffer(p) ? p : Buffer.concat(p);
  }

  private takeBuf(): Buffer | null {
    const s = this.start;
    const p = this.pos;
    if (p === s) return null;
    const out = this.buf.subarray(s, p);
    if (this.buf.length - p < MIN_ROOM) {
      this.buf = this.fresh();
      this.pos = 0;
      this.start = 0;
    } else {
      this.start = p;
    }
    return out;
  }

  u8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    if (this.pos + 2 > this.buf.length) this.grow(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  u32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  i8(v: number): void {
    this.u8(v & 0xff);
  }

  i16(v: number): void {
    this.u16(v & 0xffff);
  }

  i32(v: number): void {
    this.u32(v >>> 0);
  }

  /** Unsigned 64-bit from a non-negative integer number (exact up to 2^53). */
  u64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.u32(hi >>> 0);
    this.u32((v - hi * TWO_32) >>> 0);
  }

  /** Signed 64-bit, two's complement, from an integer number (exact within ±2^53). */
  i64(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.u32(hi >>> 0);
    this.u32((v - hi * TWO_32) >>> 0);
  }

  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatBE(v, this.pos);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  /** Length octet + UTF-8 bytes. */
  shortstr(s: string): void {
    const n = s.length;
    if (n > 85) {
      // more than 85 UTF-16 units may exceed 255 bytes: measure first
      const len = Buffer.byteLength(s, 'utf8');
      if (len > 255) throw shortstrTooLong(len);
      this.ensure(1 + len);
      this.buf[this.pos] = len;
      this.pos += 1 + this.buf.write(s, this.pos + 1, len, 'utf8');
      return;
    }
    // at most 3 bytes per UTF-16 unit: 85 units fit in 255 bytes
    this.ensure(1 + 3 * n);
    const b = this.buf;
    const p = this.pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      b[p + i] = c;
    }
    const len = i === n ? n : b.write(s, p, 'utf8');
    b[p - 1] = len;
    this.pos = p + len;
  }

  /** u32 length + bytes (UTF-8 for a string). */
  longstr(s: string | Buffer): void {
    if (typeof s === 'string') {
      const len = Buffer.byteLength(s, 'utf8');
      this.ensure(4 + len);
      this.u32(len);
      this.pos += this.buf.write(s, this.pos, len, 'utf8');
    } else {
      this.u32(s.length);
      this.bytes(s);
    }
  }

  /** Raw copy. */
  bytes(b: Buffer): void {
    const n = b.length;
    this.ensure(n);
    b.copy(this.buf, this.pos, 0, n);
    this.pos += n;
  }
}

function shortstrTooLong(len: number): CodecError {
  return new CodecError(541, `shortstr of ${len} bytes exceeds 255`);
}
