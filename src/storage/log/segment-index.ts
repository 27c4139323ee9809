// A sealed segment's index (NNNNNNNN.idx): every record's type, queue, seq, offset, length, flags and
// referenced segment, without the bodies, so recovery reads ~30 bytes a message instead of the message.
// Written when the segment is sealed; it is only an accelerator: a missing or damaged index (count or CRC
// wrong) makes recovery scan the segment itself.
import { crc32 } from 'node:zlib';

export const IDX_MAGIC = Buffer.from('WRNIDX1\n', 'latin1');
export const ENTRY = 1 + 4 + 8 + 4 + 4 + 1 + 4;
const HEADER = IDX_MAGIC.length + 4 + 4;

export class IndexBuffer {
  buf = Buffer.allocUnsafe(64 * 1024);
  count = 0;

  add(type: number, queue: number, seq: number, off: number, len: number, flags: number, ref: number): void {
    const p = this.count * ENTRY;
    if (p + ENTRY > this.buf.length) {
      const nb = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(nb, 0, 0, p);
      this.buf = nb;
    }
    const b = this.buf;
    b[p] = type;
    b.writeUInt32LE(queue, p + 1);
    b.writeDoubleLE(seq, p + 5);
    b.writeUInt32LE(off, p + 13);
    b.writeUInt32LE(len, p + 17);
    b[p + 21] = flags;
    b.writeUInt32LE(ref, p + 22);
    this.count++;
  }

  /** The file's bytes; the buffer starts over. */
  take(): Buffer {
    const body = this.buf.subarray(0, this.count * ENTRY);
    const head = Buffer.allocUnsafe(HEADER);
    IDX_MAGIC.copy(head, 0);
    head.writeUInt32LE(this.count, IDX_MAGIC.length);
    head.writeUInt32LE(crc32(body), IDX_MAGIC.length + 4);
    const out = Buffer.concat([head, body]);
    this.count = 0;
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(64 * 1024);
    return out;
  }
}

/** The entries of a valid index file, or null (then the segment is scanned). */
export function readIndex(b: Buffer): { buf: Buffer; count: number } | null {
  if (b.length < HEADER || !b.subarray(0, IDX_MAGIC.length).equals(IDX_MAGIC)) return null;
  const count = b.readUInt32LE(IDX_MAGIC.length);
  if (b.length !== HEADER + count * ENTRY) return null;
  const body = b.subarray(HEADER);
  if (crc32(body) !== b.readUInt32LE(IDX_MAGIC.length + 4)) return null;
  return { buf: body, count };
}
