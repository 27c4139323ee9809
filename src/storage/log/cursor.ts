// A reader of the segment log at its own position (a stream consumer at its offset, a leader shipping its
// log to a follower): reads the records from a position on the thread pool, steps from a sealed segment to
// the next, and at the end of what is written waits for the log's next write (tail-following).
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

  constructor(
    private readonly log: SegmentLog,
    /** The next record to read. */
    public pos: LogPosition,
  ) {}

  /**
   * The records from `pos` on, about `maxBytes` of them (at least one whole record); waits at the tail
   * until something is written. `pos` moves past what is returned. Rejects if the segment was deleted
   * (retention passed the reader): the caller moves the cursor on.
   */
  async next(maxBytes = 1024 * 1024): Promise<LogRecord[]> {
    for (;;) {
      if (this.closed) return [];
      const log = this.log;
      const { seg, off } = this.pos;
      const end = seg === log.segNo ? log.fileSize : await this.sizeOf(seg);
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
      return this.readAt(seg, off, Math.min(end, off + maxBytes), end);
    }
  }

  private wake: (() => void) | null = null;

  /** Stop waiting (next() resolves to []). */
  close(): void {
    this.closed = true;
    this.wake?.();
  }

  private async sizeOf(seg: number): Promise<number> {
    const fh = await open(join(this.log.dir, segmentName(seg)), 'r');
    try {
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  }

  private async readAt(seg: number, off: number, upTo: number, end: number): Promise<LogRecord[]> {
    const fh = await open(join(this.log.dir, segmentName(seg)), 'r');
    try {
      let b = Buffer.allocUnsafe(upTo - off);
      await fh.read(b, 0, b.length, off);
      // a record longer than maxBytes: read it whole
      if (b.length >= FRAME_HEADER && frameAt(b, 0, b.length, false, 0) < 0) {
        const whole = FRAME_HEADER + b.readUInt32LE(0);
        if (off + whole <= end && whole > b.length) {
          b = Buffer.allocUnsafe(whole);
          await fh.read(b, 0, whole, off);
        }
      }
      const out: LogRecord[] = [];
      let at = 0;
      for (;;) {
        const n = frameAt(b, at, b.length, true, 0);
        if (n < 0) break;
        const frame = b.subarray(at, at + n);
        out.push({ pos: { seg, off: off + at }, frame, payload: frame.subarray(FRAME_HEADER) });
        at += n;
      }
      if (out.length === 0) throw new Error(`damaged record at segment ${seg} offset ${off}`);
      this.pos = { seg, off: off + at };
      return out;
    } finally {
      await fh.close();
    }
  }
}
