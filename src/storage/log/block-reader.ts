// A reader of the segment log ahead of its consumer, in fixed blocks read in parallel (the Stream protocol's
// Deliver reader: storage/streams/raw-chunk-reader.ts). LogCursor reads one batch of whole records at a time,
// and each next read can only start once the last one came back to the event loop (its end is where its last
// whole record ended): on a busy machine the thread pool then idles while the event loop is waiting for a CPU,
// which made the reads the limit of a 1 KiB consumer (~1.5 GB/s). Here reads are of fixed byte ranges of the
// file, up to `ahead` of them queued on the thread pool at once (the next starts there as soon as a thread is
// free, without a turn of the event loop), and a record that spans two blocks is handed out as views of both:
// nothing is copied but the 8-byte frame header when it is split. Blocks are pooled buffers, given back once
// the socket has written what was delivered from them (`whenWritten`), and the read-ahead is bounded per
// reader (`ahead` blocks) and for all readers together (AHEAD_TOTAL blocks out of the pool beyond each
// reader's first). Tail-following as LogCursor: at the end of what is written it waits for the log's next
// write; a sealed segment's size is taken once; a segment retention deletes while it is open is read to its
// end, and one deleted before it was opened fails the fill (the caller starts again from the oldest kept).
import { join } from 'node:path';
import { close, fstatSync, open, read } from '../io.js';
import { FRAME_HEADER } from './record.js';
import { MAGIC, segmentName, type LogPosition, type SegmentLog } from './segment-log.js';

/** Bytes of one read: a chunk holds up to ~1 MiB of messages, so that most chunks lie in one block. */
export const BLOCK_BYTES = 2 * 1024 * 1024;
/** Blocks a reader keeps read or being read ahead of its consumer (6 MiB). */
export const BLOCKS_AHEAD = 3;
/** Blocks all readers together hold past which a reader reads only one block at a time (64 MiB). */
export const AHEAD_TOTAL = 32;
/** Free blocks kept for reuse: a fresh 2 MiB buffer is page-faulted in (and zeroed) on every use. */
const POOL_MAX = 16;

const pool: Buffer[] = [];
/**
 * Blocks readers hold (being read, or read and not yet passed by the parser). A block the parser passed may
 * still be in a socket's output (views of it queued): that is bounded by the connection's output high-water
 * mark, and the block comes back to the pool once written (or is left to the GC if the socket closes first).
 */
let blocksHeld = 0;

function takeBlock(size: number): Buffer {
  blocksHeld++;
  return (size === BLOCK_BYTES ? pool.pop() : undefined) ?? Buffer.allocUnsafeSlow(size);
}

function recycle(b: Buffer): void {
  if (b.length === BLOCK_BYTES && pool.length < POOL_MAX) pool.push(b);
}

/** Bytes of free blocks kept for reuse (a cache bounded at POOL_MAX blocks; tests tell it from a leak). */
export function pooledBlockBytes(): number {
  return pool.length * BLOCK_BYTES;
}

/** Blocks readers hold now (tests: the read-ahead stays bounded and every block is let go). */
export function blocksInUse(): number {
  return blocksHeld;
}

interface Block {
  /** Where in the segment the block starts, and its bytes (buf[0, len) once read). */
  off: number;
  len: number;
  buf: Buffer;
  ready: boolean;
}

export class LogBlockReader {
  private closed = false;
  private error: Error | null = null;
  /** The segment being read, its file (-1: not open), and its size once sealed (-1: not known). */
  private seg: number;
  private fd = -1;
  private opening = false;
  private sealedSize = -1;
  /** Where the next block read starts in `seg`. */
  private readOff: number;
  /** Blocks in file order: the parser is at `at` in blocks[0]; reads may complete out of order. */
  private readonly blocks: Block[] = [];
  private at = 0;
  private inFlight = 0;
  /** The record at the parser is longer than the read-ahead: read on until it is whole. */
  private needMore = false;
  /** Blocks the parser moved past: given back once what was delivered from them is written (next call). */
  private passed: Block[] = [];
  private waiter: { resolve: (more: boolean) => void; reject: (e: Error) => void } | null = null;
  private unwatch: (() => void) | null = null;
  /** Split frame headers are copied here. */
  private readonly head = Buffer.allocUnsafe(FRAME_HEADER);
  /**
   * Called with a function that gives back a block the parser moved past, to be called once everything
   * queued for the socket so far is written (null: given back at once, nothing holds views of it).
   */
  whenWritten: ((release: () => void) => void) | null = null;

  constructor(
    private readonly log: SegmentLog,
    pos: LogPosition,
    private readonly blockBytes = BLOCK_BYTES,
    private readonly ahead = BLOCKS_AHEAD,
  ) {
    this.seg = pos.seg;
    this.readOff = pos.off;
  }

  /**
   * The next record's payload as views of the blocks (in `parts`, cleared first; valid until the next call
   * after their bytes were written), and its length; -1 when it is not all read yet (fill, then again).
   */
  next(parts: Buffer[]): number {
    this.releasePassed();
    parts.length = 0;
    if (this.error !== null) return -1;
    const h = this.bytesAt(FRAME_HEADER);
    if (h === null) return this.short();
    const len = h.readUInt32LE(0);
    const total = FRAME_HEADER + len;
    if (this.readyBytes() < total) {
      if (this.sealedSize >= 0 && this.blocks[0]!.off + this.at + total > this.sealedSize) {
        this.fail(new Error(`damaged record at segment ${this.seg} offset ${this.blocks[0]!.off + this.at}`));
      }
      return this.short();
    }
    let skip = FRAME_HEADER;
    let need = len;
    for (let i = 0; need > 0; i++) {
      const b = this.blocks[i]!;
      const from = (i === 0 ? this.at : 0) + skip;
      skip = 0;
      const n = Math.min(need, b.len - from);
      if (n <= 0) {
        skip = from - b.len;
        continue;
      }
      parts.push(b.buf.subarray(from, from + n));
      need -= n;
    }
    this.advance(total);
    return len;
  }

  /** The record at the parser is not all read: when the read-ahead is full of it, it may take more blocks. */
  private short(): number {
    this.needMore = this.blocks.length >= this.ahead && this.blocks.every((b) => b.ready);
    return -1;
  }

  /** Read more (waits at the tail); false once closed; rejects when a read or an open failed. */
  fill(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      if (this.error !== null) this.settle();
      else this.pump(true);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.unwatch = null;
    this.releasePassed();
    // blocks being read are recycled when their read ends (no one holds views of them); read ones may be in
    // a socket's output still (the one the parser is in): left to the GC
    for (const b of this.blocks) if (b.ready) blocksHeld--;
    this.blocks.length = 0;
    this.settle();
    this.closeFile();
  }

  // ---- parsing -------------------------------------------------------------------------------------

  /** Bytes read from the parser's position on, in blocks read without a gap. */
  private readyBytes(): number {
    let n = -this.at;
    for (const b of this.blocks) {
      if (!b.ready) break;
      n += b.len;
    }
    return n;
  }

  /** The `n` bytes at the parser's position (a copy when split between blocks), or null: not read yet. */
  private bytesAt(n: number): Buffer | null {
    if (this.readyBytes() < n) return null;
    const b0 = this.blocks[0]!;
    if (b0.len - this.at >= n) return b0.buf.subarray(this.at, this.at + n);
    let got = 0;
    let from = this.at;
    for (let i = 0; got < n; i++) {
      const b = this.blocks[i]!;
      const k = Math.min(n - got, b.len - from);
      b.buf.copy(this.head, got, from, from + k);
      got += k;
      from = 0;
    }
    return this.head.subarray(0, n);
  }

  /** Move the parser `n` bytes on; the blocks it leaves are recycled once what was queued from them is written. */
  private advance(n: number): void {
    this.at += n;
    this.needMore = false;
    let left = false;
    while (this.blocks.length !== 0 && this.at >= this.blocks[0]!.len && this.blocks[0]!.ready) {
      const b = this.blocks.shift()!;
      this.at -= b.len;
      this.passed.push(b);
      left = true;
    }
    // room in the read-ahead: the thread pool reads on while the consumer takes what is read
    if (left) this.pump();
  }

  private releasePassed(): void {
    if (this.passed.length === 0) return;
    const passed = this.passed;
    this.passed = [];
    blocksHeld -= passed.length;
    const ww = this.whenWritten;
    if (ww === null) for (const b of passed) recycle(b.buf);
    else ww(() => passed.forEach((b) => recycle(b.buf)));
  }

  // ---- reading -------------------------------------------------------------------------------------

  /**
   * Start reads up to the read-ahead; open the next segment or wait at the tail when there is none. `needed`:
   * the consumer took everything whole (fill): one read starts even past the total bound, if none is running.
   */
  private pump(needed = false): void {
    if (this.closed || this.error !== null) return;
    const log = this.log;
    if (this.fd < 0) {
      // at the end of the segment being written: nothing to read yet, so no open (and close) of a file for a
      // subscription that may end before anything arrives (thousands a minute under the Stream fuzzer)
      if (this.seg === log.segNo && this.readOff >= log.fileSize) this.waitForWrite();
      else this.openSegment();
      return;
    }
    if (this.seg < log.segNo && this.sealedSize < 0) {
      try {
        this.sealedSize = fstatSync(this.fd).size;
      } catch (e) {
        this.fail(e as Error);
        return;
      }
    }
    const end = this.sealedSize >= 0 ? this.sealedSize : log.fileSize;
    while (this.readOff < end && (this.blocks.length < this.ahead || this.needMore)) {
      // read ahead while all readers hold fewer than AHEAD_TOTAL blocks; past that, a reader reads only what
      // its consumer waits for (nothing whole left, no read running), or what a long record needs to be whole
      const waited = needed && this.inFlight === 0;
      if (this.blocks.length !== 0 && blocksHeld >= AHEAD_TOTAL && !this.needMore && !waited) break;
      this.needMore = false;
      needed = false;
      this.startRead(Math.min(this.blockBytes, end - this.readOff));
    }
    if (this.readOff < end || this.blocks.length !== 0) return;
    if (this.sealedSize >= 0) {
      // the parser is past the whole segment: the next one
      this.closeFile();
      this.seg++;
      this.readOff = MAGIC.length;
      this.at = 0;
      this.pump(needed);
      return;
    }
    this.waitForWrite();
  }

  /** At the end of what is written: wait for the next write (a roll to a new segment writes too). */
  private waitForWrite(): void {
    if (this.unwatch !== null) return;
    this.unwatch = this.log.onWritten(() => {
      this.unwatch?.();
      this.unwatch = null;
      this.pump();
    });
  }

  private startRead(len: number): void {
    const blk: Block = { off: this.readOff, len, buf: takeBlock(this.blockBytes), ready: false };
    this.blocks.push(blk);
    this.readOff += len;
    this.inFlight++;
    const fd = this.fd;
    read(fd, blk.buf, 0, len, blk.off, (e, n) => {
      this.inFlight--;
      if (this.closed) {
        blocksHeld--;
        recycle(blk.buf);
        if (this.inFlight === 0) this.closeFile();
        return;
      }
      if (e === null && n < len) e = new Error(`short read at segment ${this.seg} offset ${blk.off}`);
      if (e !== null) {
        // the reader reads nothing more (the caller starts a new one): this block is nobody's
        this.blocks.splice(this.blocks.indexOf(blk), 1);
        blocksHeld--;
        recycle(blk.buf);
        this.fail(e);
        return;
      }
      blk.ready = true;
      // more to parse only when every block before this one is read too
      for (const b of this.blocks) {
        if (b === blk) break;
        if (!b.ready) return;
      }
      this.settle();
    });
  }

  private openSegment(): void {
    if (this.opening) return;
    this.opening = true;
    const seg = this.seg;
    open(join(this.log.dir, segmentName(seg)), 'r', (e, fd) => {
      this.opening = false;
      if (e !== null || this.closed) {
        if (e === null) close(fd, () => {});
        if (e !== null) this.fail(e);
        return;
      }
      this.fd = fd;
      this.sealedSize = -1;
      this.pump();
    });
  }

  private closeFile(): void {
    if (this.fd < 0 || this.inFlight !== 0) return;
    close(this.fd, () => {});
    this.fd = -1;
    this.sealedSize = -1;
  }

  /** A read or an open failed: the waiting fill rejects; the reader reads nothing more. */
  private fail(e: Error): void {
    if (this.error === null) this.error = e;
    this.settle();
  }

  /** Wake the waiting fill: more was read, or it failed, or the reader closed. */
  private settle(): void {
    const w = this.waiter;
    if (w === null) return;
    this.waiter = null;
    if (this.closed) w.resolve(false);
    else if (this.error !== null) w.reject(this.error);
    else {
      w.resolve(true);
      // keep the thread pool busy while the consumer takes what was read
      this.pump();
    }
  }
}
