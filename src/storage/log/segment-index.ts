// A sealed segment's index (NNNNNNNN.idx): every record's type, queue, seq, offset, length, flags and
// referenced segment, without the bodies, so recovery reads ~30 bytes a message instead of the message (or, for
// a segment of acks, what compaction needs of it alone: PIDX_MAGIC).
// Written when the segment is sealed; it is only an accelerator: a missing or damaged index (count or CRC
// wrong) makes recovery scan the segment itself.
import {
  close,
  closeSync,
  fdatasync,
  fdatasyncSync,
  open,
  openSync,
  rename,
  unlink,
  writev,
  writevSync,
} from '../io.js';
import { crc32 } from 'node:zlib';

export const IDX_MAGIC = Buffer.from('WRNIDX1\n', 'latin1');
/**
 * A partial index (segment-indexer.ts): the PUBLISH and REF entries, and the REMOVE/DELIVERED entries naming a
 * segment still on disk when it was written, for a segment whose full index is not worth writing (a segment of
 * acks). Recovery cannot use it (it needs every mark: it scans); compaction can, and then reads the live records
 * alone instead of the whole segment (a drain's 64 MiB of acks, 2.7M records, took ~0.4 s of the event loop).
 */
export const PIDX_MAGIC = Buffer.from('WRNIDXP\n', 'latin1');
export const ENTRY = 1 + 4 + 8 + 4 + 4 + 1 + 4;
/** Where each field of an entry lies (the type is its first byte): readers use these, as `add` writes them. */
export const E_QUEUE = 1;
export const E_SEQ = 5;
export const E_OFF = 13;
export const E_LEN = 17;
export const E_FLAGS = 21;
export const E_REF = 22;
export const IDX_HEADER = IDX_MAGIC.length + 4 + 4;
const HEADER = IDX_HEADER;

/** Entries per chunk: ~100 KiB, so no add ever copies what came before (a segment can hold millions). */
const CHUNK = 4096;

/** Write one entry at b[p, p + ENTRY). */
export function putEntry(
  b: Buffer,
  p: number,
  type: number,
  queue: number,
  seq: number,
  off: number,
  len: number,
  flags: number,
  ref: number,
): void {
  b[p] = type;
  b.writeUInt32LE(queue, p + E_QUEUE);
  b.writeDoubleLE(seq, p + E_SEQ);
  b.writeUInt32LE(off, p + E_OFF);
  b.writeUInt32LE(len, p + E_LEN);
  b[p + E_FLAGS] = flags;
  b.writeUInt32LE(ref, p + E_REF);
}

export class IndexBuffer {
  private chunks: Buffer[] = [];
  private buf: Buffer;
  /** Entries the current chunk holds: from `first`, doubled up to CHUNK (a partial index's many small ones). */
  private room: number;
  private at = 0;
  count = 0;

  constructor(
    private readonly magic = IDX_MAGIC,
    private readonly first = CHUNK,
  ) {
    this.room = first;
    this.buf = Buffer.allocUnsafe(first * ENTRY);
  }

  add(type: number, queue: number, seq: number, off: number, len: number, flags: number, ref: number): void {
    if (this.at === this.room) {
      this.chunks.push(this.buf);
      this.room = Math.min(CHUNK, this.room * 2);
      this.buf = Buffer.allocUnsafe(this.room * ENTRY);
      this.at = 0;
    }
    putEntry(this.buf, this.at * ENTRY, type, queue, seq, off, len, flags, ref);
    this.at++;
    this.count++;
  }

  /** Bytes the index file would have now. */
  get bytes(): number {
    return HEADER + this.count * ENTRY;
  }

  /** Start over without an index (a segment not worth one: `worthIndexing`). */
  clear(): void {
    this.chunks = [];
    if (this.room !== this.first) this.buf = Buffer.allocUnsafe((this.room = this.first) * ENTRY);
    this.at = 0;
    this.count = 0;
  }

  /** The entries as they were added (a partial index gathers them from several buffers). */
  entries(): Buffer[] {
    return [...this.chunks, this.buf.subarray(0, this.at * ENTRY)];
  }

  /**
   * The file's bytes as parts (header first, then the entries as they were added: nothing is concatenated,
   * so sealing a segment of millions of records does not stall the event loop); the buffer starts over.
   */
  take(): IndexFile {
    const file = indexFile(this.magic, this.entries(), this.count);
    this.chunks = [];
    this.buf = Buffer.allocUnsafe((this.room = this.first) * ENTRY);
    this.at = 0;
    this.count = 0;
    return file;
  }
}

/** An index file's bytes as parts (header first), and its length. */
export interface IndexFile {
  parts: Buffer[];
  bytes: number;
}

/** The file of `count` entries held in `body` (full index or partial: `magic`). */
export function indexFile(magic: Buffer, body: Buffer[], count: number): IndexFile {
  let crc = 0;
  for (const c of body) crc = crc32(c, crc);
  const head = Buffer.allocUnsafe(HEADER);
  magic.copy(head, 0);
  head.writeUInt32LE(count, IDX_MAGIC.length);
  head.writeUInt32LE(crc, IDX_MAGIC.length + 4);
  return { parts: [head, ...body], bytes: HEADER + count * ENTRY };
}

/**
 * Whether a sealed segment of `segmentBytes` is worth an index of `indexBytes`: only while the index is under half
 * the segment. A segment of acks (25-byte REMOVE/DELIVERED records, 26 bytes of index each) has an index bigger
 * than itself: reading it saves recovery and compaction nothing over a scan, and writing it doubled what a drain
 * wrote to disk (BENCHMARKS.md, eighth sitting).
 */
export function worthIndexing(indexBytes: number, segmentBytes: number): boolean {
  return indexBytes < segmentBytes / 2;
}

/** Write an index file now (recovery, before anything is served). */
export function writeIndexSync(path: string, parts: Buffer[]): void {
  const fd = openSync(path, 'w');
  try {
    writevSync(fd, parts);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write an index file on the thread pool: to a temporary name, renamed when whole, so a reader (recovery,
 * compaction) sees the old state (no index: it scans) or the whole file, never a part. `done` gets the error.
 * It is fsynced before the rename: left to the kernel, a drain's indexes (tens of MB) were written back in bursts
 * every 5 s that held up every other fsync, a persistent publisher's confirm with them (BENCHMARKS.md).
 */
export function writeIndex(path: string, parts: Buffer[], done: (err: Error | null) => void): void {
  const tmp = `${path}.tmp`;
  open(tmp, 'w', (err, fd) => {
    if (err) return done(err);
    writev(fd, parts, (werr) => {
      if (werr) return close(fd, () => unlink(tmp, () => done(werr)));
      fdatasync(fd, (serr) =>
        close(fd, (cerr) => {
          const e = serr ?? cerr;
          if (e) return unlink(tmp, () => done(e));
          rename(tmp, path, done);
        }),
      );
    });
  });
}

/** The entries of a valid full index file, or null (then the segment is scanned). */
export function readIndex(b: Buffer): { buf: Buffer; count: number } | null {
  const idx = indexEntries(b);
  return idx !== null && !idx.partial && crc32(idx.buf) === idx.crc ? idx : null;
}

/** A partial index (PIDX_MAGIC): no use to recovery, and no sign of damage either. */
export function isPartialIndex(b: Buffer): boolean {
  return b.length >= HEADER && b.subarray(0, PIDX_MAGIC.length).equals(PIDX_MAGIC);
}

/**
 * The entries of an index file and the CRC they must have, not yet checked (compaction checks a large one in
 * slices, between turns); null when it is no index or its size does not match its count.
 */
export function indexEntries(b: Buffer): { buf: Buffer; count: number; crc: number; partial: boolean } | null {
  const partial = isPartialIndex(b);
  if (b.length < HEADER || (!partial && !b.subarray(0, IDX_MAGIC.length).equals(IDX_MAGIC))) return null;
  const count = b.readUInt32LE(IDX_MAGIC.length);
  if (b.length !== HEADER + count * ENTRY) return null;
  return { buf: b.subarray(HEADER), count, crc: b.readUInt32LE(IDX_MAGIC.length + 4), partial };
}
