// A small growable byte builder for the generators (independent of src/codec/buffer/writer.ts).
export class Bytes {
  private parts: Buffer[] = [];
  length = 0;

  raw(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }

  u8(v: number): this {
    return this.raw(Buffer.from([v & 0xff]));
  }

  u16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeUInt16BE(v & 0xffff);
    return this.raw(b);
  }

  u32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32BE(v >>> 0);
    return this.raw(b);
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

  build(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
  }
}
