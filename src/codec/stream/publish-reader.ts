// Reads a Publish frame (v1: PublishingId Message; v2: PublishingId FilterValue Message — PROTOCOL.adoc
// "Publish", 3.13) one message at a time with no per-message allocation: after next() returns true the fields
// describe the current message as offsets into the frame. The broker copies message bytes straight into its
// chunk (ChunkBuilder.addMessage) from these offsets.
import { Command } from './constants.js';
import { StreamCodecError } from './wire.js';

const TWO_32 = 4294967296;

export class PublishReader {
  readonly publisherId: number;
  readonly count: number;
  readonly version: number;
  publishingId = 0;
  /** v2: the filter value's bytes [filterStart, filterEnd); filterStart = -1 when there is none (null). */
  filterStart = -1;
  filterEnd = -1;
  messageStart = 0;
  messageEnd = 0;
  /**
   * The current entry is a sub-batch (rabbit_stream_core parse_publish_messages: 1:1 CompressionType:3
   * Unused:4 MessageCount:16 UncompressedLength:32 Length:32 Batch): [messageStart, messageEnd) is the batch.
   */
  subBatch = false;
  compression = 0;
  records = 1;
  uncompressedLength = 0;
  private p: number;
  private read = 0;

  /** `buf[start, end)` is the frame after its size prefix (as StreamFrameDecoder hands it out). */
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    if (end - start < 9) throw new StreamCodecError('truncated Publish');
    if (buf.readUInt16BE(start) !== Command.Publish) throw new StreamCodecError('not a Publish frame');
    this.version = buf.readUInt16BE(start + 2);
    if (this.version !== 1 && this.version !== 2) throw new StreamCodecError(`Publish version ${this.version}`);
    this.publisherId = buf[start + 4]!;
    this.count = buf.readUInt32BE(start + 5);
    this.p = start + 9;
  }

  /** The current filter value as a view (undefined when none). */
  get filterValue(): Buffer | undefined {
    return this.filterStart < 0 ? undefined : this.buf.subarray(this.filterStart, this.filterEnd);
  }

  next(): boolean {
    if (this.read === this.count) {
      if (this.p !== this.end) throw new StreamCodecError('bytes after the last published message');
      return false;
    }
    const b = this.buf;
    let p = this.p;
    if (p + 8 > this.end) throw new StreamCodecError('truncated Publish');
    const hi = b.readUInt32BE(p);
    if (hi >= 0x200000) throw new StreamCodecError('publishing id above 2^53');
    this.publishingId = hi * TWO_32 + b.readUInt32BE(p + 4);
    p += 8;
    if (this.version === 2) {
      if (p + 2 > this.end) throw new StreamCodecError('truncated Publish');
      const fl = b.readInt16BE(p);
      p += 2;
      if (fl < 0) this.filterStart = this.filterEnd = -1;
      else {
        this.filterStart = p;
        this.filterEnd = p + fl;
        p += fl;
      }
    }
    if (p + 4 > this.end) throw new StreamCodecError('truncated Publish');
    if ((b[p]! & 0x80) !== 0) {
      if (p + 11 > this.end) throw new StreamCodecError('truncated Publish');
      this.subBatch = true;
      this.compression = (b[p]! >>> 4) & 7;
      this.records = b.readUInt16BE(p + 1);
      this.uncompressedLength = b.readUInt32BE(p + 3);
      const len = b.readUInt32BE(p + 7);
      p += 11;
      if (p + len > this.end) throw new StreamCodecError('truncated Publish');
      this.messageStart = p;
      this.messageEnd = p + len;
      this.p = p + len;
      this.read++;
      return true;
    }
    this.subBatch = false;
    this.records = 1;
    const n = b.readUInt32BE(p);
    p += 4;
    if (p + n > this.end) throw new StreamCodecError('truncated Publish');
    this.messageStart = p;
    this.messageEnd = p + n;
    this.p = p + n;
    this.read++;
    return true;
  }
}
