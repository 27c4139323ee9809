// The osiris chunk (osiris_log.erl "Chunk format"), the unit a stream stores and Deliver carries:
//   0 Mag(4 bits)=5 Ver(4 bits)=1 | 1 chunk type | 2 num entries u16 | 4 num records u32 | 8 timestamp i64 (ms)
//   16 epoch u64 | 24 chunk id = first offset u64 | 32 CRC32 of the data | 36 data length u32
//   40 trailer length u32 | 44 bloom size u8, 3 reserved bytes | 48 bloom filter | data | trailer
// Data entries: simple (bit 31 clear: u32 length, body) or sub-batch (1 | compression:3 | reserved:4, u16 records,
// u32 uncompressed length, u32 length, body). A stored chunk holds the bloom filter and trailer; Deliver sends
// the 48-byte header unchanged and then the data only (osiris_log:send_file/3 with select_amount_to_send/5 skips
// the filter and, for user chunks, the trailer), which is what deliveryParts returns, as two views.
// ChunkBuilder copies entries into one reused buffer (no allocation per entry) and allocates once per chunk.
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../../util/crc32-combine.js';
import { idle, sweepForget, sweepLater, type Sweepable } from '../../util/buffer-sweep.js';
import { BloomBuilder, DEFAULT_FILTER_SIZE } from './bloom.js';
import { ChunkType } from './constants.js';
import { StreamCodecError } from './wire.js';

export const CHUNK_HEADER_SIZE = 48;
/** Magic 5, version 1 (osiris_log.erl ?MAGIC, ?VERSION): what ChunkBuilder writes. */
export const CHUNK_MAGIC_VERSION = 0x51;
/** Version 0 (osiris before filtering, RabbitMQ 3.9-3.12): same layout, byte 44 reserved (zero), no filter. */
export const CHUNK_MAGIC_VERSION_0 = 0x50;
const TWO_32 = 4294967296;
/** Messages up to this long are copied byte by byte (addMessage). */
const SHORT_COPY = 64;

/** Compression types of sub-batch entries (as the stream clients number them). */
export const Compression = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;

export interface ChunkHeader {
  chunkType: number;
  numEntries: number;
  numRecords: number;
  timestamp: number;
  epoch: number;
  /** The offset of the chunk's first record. */
  chunkId: number;
  crc: number;
  dataLength: number;
  trailerLength: number;
  bloomSize: number;
}

export interface ChunkMeta {
  chunkId: number;
  epoch: number;
  timestamp: number;
  chunkType?: number;
  /** Tracking trailer bytes (stored, never delivered to consumers). */
  trailer?: Buffer;
}

const NO_DATA = Buffer.alloc(0);

/**
 * Entries of the chunk being built. Its buffer is taken on the first entry (every stream has a builder, and
 * 64 KiB each up front was 64 KiB per stream declared), and let go once idle (util/buffer-sweep.ts).
 */
export class ChunkBuilder implements Sweepable {
  private data: Buffer = NO_DATA;
  private len = 0;
  private entries = 0;
  private records = 0;
  /** The longest chunk data since the last sweep. */
  private peak = 0;
  private readonly bloom: BloomBuilder;

  constructor(
    filterSize = DEFAULT_FILTER_SIZE,
    private readonly initial = 65536,
  ) {
    this.bloom = new BloomBuilder(filterSize);
  }

  sweep(): boolean {
    const gone = this.len === 0 && idle(this.peak, this.data.length);
    if (gone) this.data = NO_DATA;
    this.peak = 0;
    return gone;
  }

  /** Its stream is closed: what is being built is dropped, and its buffer with it. */
  release(): void {
    this.len = 0;
    this.entries = 0;
    this.records = 0;
    this.bloom.reset();
    this.data = NO_DATA;
    sweepForget(this);
  }

  get numEntries(): number {
    return this.entries;
  }

  get numRecords(): number {
    return this.records;
  }

  /** Bytes of data so far (what the chunk's data length will be). */
  /** Adding an entry with (`filtered`) or without a filter value would mix the two in a chunk holding one kind. */
  wouldMix(filtered: boolean): boolean {
    return this.bloom.wouldMix(filtered);
  }

  get dataLength(): number {
    return this.len;
  }

  private room(n: number): void {
    if (this.len + n <= this.data.length) return;
    let cap = Math.max(this.data.length * 2, this.initial, 64);
    while (cap < this.len + n) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.data.copy(nb, 0, 0, this.len);
    this.data = nb;
    sweepLater(this);
  }

  /** A simple entry: the message bytes src[start, end), with its filter value (Publish v2) if any. */
  addMessage(src: Buffer, start = 0, end = src.length, filterValue?: Buffer | null): void {
    const n = end - start;
    if (n > 0x7fffffff) throw new StreamCodecError('entry too large');
    if (this.entries === 0xffff) throw new StreamCodecError('a chunk holds at most 65535 entries');
    this.room(4 + n);
    const d = this.data;
    let p = this.len;
    d[p] = n >>> 24;
    d[p + 1] = (n >>> 16) & 0xff;
    d[p + 2] = (n >>> 8) & 0xff;
    d[p + 3] = n & 0xff;
    p += 4;
    // a short message is copied in JS: cheaper than a call into Buffer.copy for the 16-byte messages a
    // stream's small-message load is made of
    if (n <= SHORT_COPY) for (let i = start; i < end; i++) d[p++] = src[i]!;
    else src.copy(d, p, start, end);
    this.len += 4 + n;
    this.entries++;
    this.records++;
    this.bloom.add(filterValue);
  }

  /** A sub-batch entry as a publisher sent it (already compressed `body` holding `numRecords` records). */
  addSubBatch(compression: number, numRecords: number, uncompressedLength: number, body: Buffer): void {
    if (this.entries === 0xffff) throw new StreamCodecError('a chunk holds at most 65535 entries');
    this.room(11 + body.length);
    const d = this.data;
    let p = this.len;
    d[p++] = 0x80 | ((compression & 7) << 4);
    d.writeUInt16BE(numRecords, p);
    d.writeUInt32BE(uncompressedLength, p + 2);
    d.writeUInt32BE(body.length, p + 6);
    body.copy(d, p + 10);
    this.len = p + 10 + body.length;
    this.entries++;
    this.records += numRecords;
    this.bloom.add(null);
  }

  /** The stored chunk (header, filter, data, trailer) in one new Buffer; the builder is reset for the next. */
  finish(meta: ChunkMeta): Buffer {
    const out = Buffer.allocUnsafe(this.finishedLength(meta));
    this.finishInto(out, 0, meta);
    return out;
  }

  /** The stored chunk's length if finished now with `meta`. */
  finishedLength(meta: ChunkMeta): number {
    return CHUNK_HEADER_SIZE + this.bloom.bytes.length + this.len + (meta.trailer?.length ?? 0);
  }

  /**
   * Write the stored chunk at out[at, at + finishedLength(meta)) (the log's write buffer: no chunk-sized
   * allocation per chunk); the builder is reset for the next. Returns the CRC32 of the whole stored chunk,
   * combined from the data's (util/crc32-combine.ts: the data is read once for both CRCs).
   */
  finishInto(out: Buffer, at: number, meta: ChunkMeta): number {
    const bloom = this.bloom.bytes;
    const trailer = meta.trailer;
    const tlen = trailer?.length ?? 0;
    const data = this.data.subarray(0, this.len);
    const dataCrc = crc32(data);
    writeChunkHeader(
      out,
      {
        chunkType: meta.chunkType ?? ChunkType.User,
        numEntries: this.entries,
        numRecords: this.records,
        timestamp: meta.timestamp,
        epoch: meta.epoch,
        chunkId: meta.chunkId,
        crc: dataCrc,
        dataLength: this.len,
        trailerLength: tlen,
        bloomSize: bloom.length,
      },
      at,
    );
    bloom.copy(out, at + CHUNK_HEADER_SIZE);
    data.copy(out, at + CHUNK_HEADER_SIZE + bloom.length);
    if (trailer !== undefined) trailer.copy(out, at + CHUNK_HEADER_SIZE + bloom.length + this.len);
    const headLen = CHUNK_HEADER_SIZE + bloom.length;
    let crc = crc32Combine(crc32(out.subarray(at, at + headLen)), dataCrc, this.len);
    if (trailer !== undefined) crc = crc32(trailer, crc);
    if (this.len > this.peak) this.peak = this.len;
    this.len = 0;
    this.entries = 0;
    this.records = 0;
    this.bloom.reset();
    return crc;
  }
}

function putU64(b: Buffer, p: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  b.writeUInt32BE(hi >>> 0, p);
  b.writeUInt32BE((v - hi * TWO_32) >>> 0, p + 4);
}

export function writeChunkHeader(b: Buffer, h: ChunkHeader, p = 0): void {
  b[p] = CHUNK_MAGIC_VERSION;
  b[p + 1] = h.chunkType;
  b.writeUInt16BE(h.numEntries, p + 2);
  b.writeUInt32BE(h.numRecords, p + 4);
  putU64(b, p + 8, h.timestamp);
  putU64(b, p + 16, h.epoch);
  putU64(b, p + 24, h.chunkId);
  b.writeUInt32BE(h.crc >>> 0, p + 32);
  b.writeUInt32BE(h.dataLength, p + 36);
  b.writeUInt32BE(h.trailerLength, p + 40);
  b[p + 44] = h.bloomSize;
  b[p + 45] = 0;
  b[p + 46] = 0;
  b[p + 47] = 0;
}

export function readChunkHeader(b: Buffer, p = 0): ChunkHeader {
  if (b.length - p < CHUNK_HEADER_SIZE) throw new StreamCodecError('truncated chunk header');
  if (b[p] !== CHUNK_MAGIC_VERSION && b[p] !== CHUNK_MAGIC_VERSION_0)
    throw new StreamCodecError(`bad chunk magic/version 0x${b[p]!.toString(16)}`);
  return {
    chunkType: b[p + 1]!,
    numEntries: b.readUInt16BE(p + 2),
    numRecords: b.readUInt32BE(p + 4),
    timestamp: Number(b.readBigInt64BE(p + 8)),
    epoch: Number(b.readBigUInt64BE(p + 16)),
    chunkId: Number(b.readBigUInt64BE(p + 24)),
    crc: b.readUInt32BE(p + 32),
    dataLength: b.readUInt32BE(p + 36),
    trailerLength: b.readUInt32BE(p + 40),
    bloomSize: b[p + 44]!,
  };
}

/** A stored chunk's parts as views: its bloom filter, data and trailer. */
export function chunkParts(stored: Buffer): { header: ChunkHeader; bloom: Buffer; data: Buffer; trailer: Buffer } {
  const header = readChunkHeader(stored);
  const d = CHUNK_HEADER_SIZE + header.bloomSize;
  const t = d + header.dataLength;
  if (t + header.trailerLength > stored.length) throw new StreamCodecError('truncated chunk');
  return {
    header,
    bloom: stored.subarray(CHUNK_HEADER_SIZE, d),
    data: stored.subarray(d, t),
    trailer: stored.subarray(t, t + header.trailerLength),
  };
}

/** What Deliver carries for a stored user chunk: [48-byte header, data] as views (osiris send_file/3). */
export function deliveryParts(stored: Buffer): [Buffer, Buffer] {
  const { data } = chunkParts(stored);
  return [stored.subarray(0, CHUNK_HEADER_SIZE), data];
}

/** True when the data's CRC32 matches the header's (osiris_log validate_crc). */
export function crcMatches(header: ChunkHeader, data: Buffer): boolean {
  return crc32(data) === header.crc;
}

/**
 * Walks a chunk's data entries without allocating per entry: after next() returns true, the fields describe
 * the entry: body [start, end), whether it is a sub-batch, its compression, records and uncompressed length.
 */
export class ChunkEntryReader {
  start = 0;
  end = 0;
  subBatch = false;
  compression = 0;
  records = 0;
  uncompressedLength = 0;
  private p: number;

  constructor(
    readonly buf: Buffer,
    dataStart: number,
    readonly dataEnd: number,
  ) {
    this.p = dataStart;
  }

  next(): boolean {
    const b = this.buf;
    const p = this.p;
    if (p >= this.dataEnd) return false;
    if ((b[p]! & 0x80) === 0) {
      if (p + 4 > this.dataEnd) throw new StreamCodecError('truncated chunk entry');
      const n = b.readUInt32BE(p);
      this.subBatch = false;
      this.compression = 0;
      this.records = 1;
      this.start = p + 4;
      this.end = p + 4 + n;
      this.uncompressedLength = n;
    } else {
      if (p + 11 > this.dataEnd) throw new StreamCodecError('truncated chunk sub-batch');
      this.subBatch = true;
      this.compression = (b[p]! >>> 4) & 7;
      this.records = b.readUInt16BE(p + 1);
      this.uncompressedLength = b.readUInt32BE(p + 3);
      this.start = p + 11;
      this.end = p + 11 + b.readUInt32BE(p + 7);
    }
    if (this.end > this.dataEnd) throw new StreamCodecError('chunk entry overruns the data');
    this.p = this.end;
    return true;
  }
}
