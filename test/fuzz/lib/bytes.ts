// A small growable byte builder for the generators (independent of src/codec/buffer/writer.ts). Numbers are
// written into one buffer that doubles when full (a Buffer per u8/u16/u32, as before, made the allocator and
// the GC a fifth of a case's generation time); raw parts are copied in.
export class Bytes {
  private buf = Buffer.allocUnsafe(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(b, 0, 0, this.length);
    this.buf = b;
  }

  raw(b: Buffer): this {
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
    return this;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }

  u64(hi: number, lo: number): this {
    return this.u32(hi).u32(lo);
  }

  /** A short string: u8 length then bytes (the length is cut to 255; `lenOverride` lies about it). */
  sstr(s: Buffer | string, lenOverride?: number): this {
    const b = typeof s === 'string' ? Buffer.from(s) : s;
    const t = b.subarray(0, 255);
    return this.u8(lenOverride ?? t.length).raw(t);
  }

  lstr(s: Buffer | string, lenOverride?: number): this {
    const b = typeof s === 'string' ? Buffer.from(s) : s;
    return this.u32(lenOverride ?? b.length).raw(b);
  }

  /** The bytes so far (a copy: the builder may go on). */
  build(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}
