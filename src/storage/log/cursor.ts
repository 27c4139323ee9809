// A reader of the segment log at its own position (a stream consumer at its offset): reads the records from a
// position on the thread pool, steps from a sealed segment to the next, and at the end of what is written
// waits for the log's next write (tail-following). The segment being read stays open (one read per call, not
// an open, a stat and a close as well: each is a thread-pool round trip), and a sealed segment's size is taken
// once. A segment retention deletes while it is open is read to its end (Linux keeps an unlinked file's data
// while it is open, as osiris readers do); opening one already deleted rejects, and the caller moves on.
import type { FileHandle } from 'node:fs/promises';
import { openFile as open } from '../io.js';
import { join } from 'node:path';
import { FRAME_HEADER, frameAt } from './record.js';
import { MAGIC, segmentName, type LogPosition, type SegmentLog } from './segment-log.js';

export interface LogRecord {
  /** Where the record starts (its offset, for a stream). */
  pos: LogPosition;
  /** The whole frame (length, CRC, payload), as a follower appends it. */
  frame: Buffer;
  payload: Buffer;
}

export class LogCursor {
  private closed = false;
  /** The segment file being read (null: none open), its number, and its size once sealed (-1: not known). */
  private fh: FileHandle | null = null;
  private fhSeg = -1;
  private sealedSize = -1;
  /** A read is in flight: close() leaves the file to it. */
  private busy = false;
  /**
   * Check each record's CRC32 (false for the Stream protocol's Deliver reader: it sends chunks as they are,
   * as osiris's sendfile does, and the client checks the chunk's own CRC; a torn tail is cut at open).
   */
  checkCrc = true;

  constructor(
    private readonly log: SegmentLog,
    /** The next record to read. */
    public pos: LogPosition,
  ) {}

  /**
   * The records from `pos` on, about `maxBytes` of them (at least one whole record); waits at the tail
   * until something is written. `pos` moves past what is returned. Rejects if the segment was deleted
   * before it was opened (retention passed the reader): the caller moves the cursor on. With `into` (at
   * least `maxBytes` long) the records are read into it, unless one is longer: a reused buffer is not
   * page-faulted in afresh on every read, which on a busy machine costs more than the read itself.
   */
  async next(maxBytes = 1024 * 1024, into: Buffer | null = null): Promise<LogRecord[]> {
    this.busy = true;
    try {
      for (;;) {
        if (this.closed) return [];
        const log = this.log;
        const { seg, off } = this.pos;
        const end = seg === log.segNo ? log.fileSize : await this.sealedEnd(seg);
        if (off >= end) {
          if (seg < log.segNo) {
            this.pos = { seg: seg + 1, off: MAGIC.length };
            continue;
          }
          await new Promise<void>((resolve) => {
            const off2 = log.onWritten(() => {
              off2();
              resolve();
            });
            this.wake = () => {
              off2();
              resolve();
            };
          });
          continue;
        }
        return await this.readAt(seg, off, Math.min(end, off + maxBytes), end, into);
      }
    } finally {
      this.busy = false;
      if (this.closed) await this.release();
    }
  }

  private wake: (() => void) | null = null;

  /** Stop waiting (next() resolves to []) and close the file. */
  close(): void {
    this.closed = true;
    this.wake?.();
    if (!this.busy) void this.release();
  }

  private async release(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    this.fhSeg = -1;
    await fh?.close().catch(() => {});
  }

  /** The open file of segment `seg` (the previous one closed). */
  private async file(seg: number): Promise<FileHandle> {
    if (this.fh !== null && this.fhSeg === seg) return this.fh;
    await this.release();
    this.fh = await open(join(this.log.dir, segmentName(seg)), 'r');
    this.fhSeg = seg;
    this.sealedSize = -1;
    return this.fh;
  }

  /** The size of sealed segment `seg` (taken once: a sealed segment never changes). */
  private async sealedEnd(seg: number): Promise<number> {
    const fh = await this.file(seg);
    if (this.sealedSize < 0) this.sealedSize = (await fh.stat()).size;
    return this.sealedSize;
  }

  private async readAt(seg: number, off: number, upTo: number, end: number, into: Buffer | null): Promise<LogRecord[]> {
    const fh = await this.file(seg);
    let b = into !== null && into.length >= upTo - off ? into.subarray(0, upTo - off) : Buffer.allocUnsafe(upTo - off);
    b = b.subarray(0, (await fh.read(b, 0, b.length, off)).bytesRead);
    // a record longer than maxBytes: read the rest of it (the part read is kept)
    if (b.length >= FRAME_HEADER && frameAt(b, 0, b.length, false, 0) < 0) {
      const whole = FRAME_HEADER + b.readUInt32LE(0);
      if (off + whole <= end && whole > b.length) {
        const w = Buffer.allocUnsafe(whole);
        b.copy(w, 0);
        const got = (await fh.read(w, b.length, whole - b.length, off + b.length)).bytesRead;
        b = w.subarray(0, b.length + got);
      }
    }
    const out: LogRecord[] = [];
    let at = 0;
    for (;;) {
      const n = frameAt(b, at, b.length, this.checkCrc, 0);
      if (n < 0) break;
      const frame = b.subarray(at, at + n);
      out.push({ pos: { seg, off: off + at }, frame, payload: frame.subarray(FRAME_HEADER) });
      at += n;
    }
    if (out.length === 0) throw new Error(`damaged record at segment ${seg} offset ${off}`);
    this.pos = { seg, off: off + at };
    return out;
  }
}
