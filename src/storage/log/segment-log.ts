// The append-only segment log with group commit. Records are encoded into one buffer during an event-loop turn,
// written with one writeSync at the end of the turn (to the page cache: readable for paging at once), and made
// durable by one fdatasync on the libuv thread pool that covers everything written before it started. While an
// fsync runs, new records gather for the next one: a confirm costs one fsync per batch, not per message.
// Segments (NNNNNNNN.seg, SEGMENT_SIZE bytes, MAGIC first): a full one is sealed (fsynced, closed) and the next
// created (the directory fsynced so its name survives a crash). One log for three uses (ARCHITECTURE.md): the
// message store (`buf`), streams (`appendWith`, cursor.ts, `segmentsInfo`, `deleteBefore`) and replication.
import { crc32 } from 'node:zlib';
import { close, closeSync, fdatasync, fdatasyncSync, fsync, open as openCb, openSync, writeSync } from '../io.js';
import { join } from 'node:path';
import { segmentFiles, segmentName, type SegmentFileInfo } from './segment-files.js';
import { removeSegmentFile } from './segment-removal.js';
import { RecordBuffer, frameAt } from './record.js';
import type { LogEvents } from './log-events.js';
export type { LogEvents } from './log-events.js';
import { fileEvents, fileRemoved, fileWritten } from '../../util/file-events.js';
import type { LogPosition } from './log-position.js';
export { positionBefore, type LogPosition } from './log-position.js';

export const MAGIC = Buffer.from('WRNSEG1\n', 'latin1');
export const SEGMENT_SIZE = 64 * 1024 * 1024;

/** Write at once when a turn has buffered this much (bounds memory while publishers stream). */
const WRITE_AT = 4 * 1024 * 1024;
/** A failed write or fsync is tried again after this long (and then again, until the disk works). */
const RETRY_MS = 250;

export { segmentName } from './segment-files.js';

export class SegmentLog {
  readonly buf = new RecordBuffer();
  segNo: number;
  /** Bytes of the current segment already written to its file. */
  fileSize = 0;
  /** Ticket of the last record in `buf` / written / durable. */
  bufTicket = 0;
  writtenTicket = 0;
  syncedTicket = 0;
  /** The last write (or segment creation) failed / the last fsync failed: the disk alarm is up until both work. */
  failed: Error | null = null;
  private syncError: Error | null = null;
  private retry: NodeJS.Timeout | null = null;

  /** Everything before this position is fsynced (what a follower acknowledges to its leader). */
  syncedPosition: LogPosition;
  /** After each write to the file: readers following the tail (log/cursor.ts) read up to here. */
  private readonly written = new Set<(seg: number, size: number) => void>();
  /** After each fsync, with the new synced position. */
  private readonly syncedListeners = new Set<(p: LogPosition) => void>();
  /** Position at the end of what `writtenTicket` covers (becomes syncedPosition after the fsync). */
  private writtenPosition: LogPosition;

  private fd: number;
  private sealing: { fd: number; seg: number }[] = [];
  private dirDirty = false;
  private syncing = false;
  /** false: nothing is fsynced (a memory-storage broker's streams: nothing of them outlives the process). */
  fsyncs = true;
  /** Called once when the fsync in flight ends, synced or failed (a stream's group commit: stream-log.ts). */
  private syncEnd: (() => void) | null = null;
  private scheduled = false;
  private closed = false;

  /** The oldest segment `deleteBefore` has not removed (segments before the log opened are the owner's). */
  private firstSeg: number;

  constructor(
    readonly dir: string,
    firstSeg: number,
    private readonly events: LogEvents,
    /**
     * Target size of a segment file (tests make it small to exercise rollover and reclaiming); a stream's
     * changes with its policy (x-stream-max-segment-size-bytes), from the next rollover on.
     */
    public segmentSize: number,
    /** The oldest segment of the log already on disk that `deleteBefore`/`segmentsInfo` cover (a stream's). */
    oldestSeg = firstSeg,
  ) {
    this.segNo = firstSeg;
    this.firstSeg = oldestSeg;
    this.fd = this.create(firstSeg);
    this.syncedPosition = { seg: firstSeg, off: this.fileSize };
    this.writtenPosition = this.syncedPosition;
  }

  // ---- the reuse interface (streams, replication) -----------------------------------------------

  /** Append one record (framed: length, CRC32, payload); returns its position. Durable after the next fsync. */
  readonly append = (p: Buffer): LogPosition => this.appendWith(p.length, (b, at) => (p.copy(b, at), crc32(p)));

  /** Append a record of `n` bytes that `write` builds at buf[at, at + n), returning their CRC32 (append's twin). */
  appendWith(n: number, write: (buf: Buffer, at: number) => number): LogPosition {
    this.roll();
    const at = { seg: this.segNo, off: this.nextOff };
    this.buf.frameWith(n, write);
    this.bufTicket++;
    this.schedule();
    return at;
  }

  /**
   * Append frames as they are (a follower taking the leader's bytes), each checked whole and by CRC first: a batch
   * with a torn or damaged frame is refused (throws) and nothing of it is appended.
   */
  appendFrames(frames: Buffer): LogPosition {
    for (let at = 0; at < frames.length;) {
      const n = frameAt(frames, at, frames.length, true, 0);
      if (n < 0) throw new Error(`damaged frame at ${at} of ${frames.length} bytes`);
      at += n;
    }
    this.roll();
    const at = { seg: this.segNo, off: this.nextOff };
    this.buf.raw(frames, 0, frames.length);
    this.bufTicket++;
    this.schedule();
    return at;
  }

  /** Called after every write of buffered records to the current segment file (tail-following readers). */
  onWritten(fn: (seg: number, size: number) => void): () => void {
    this.written.add(fn);
    return () => this.written.delete(fn);
  }

  /** Called after every fsync with the position everything before which is durable. */
  onSyncedPosition(fn: (p: LogPosition) => void): () => void {
    this.syncedListeners.add(fn);
    return () => this.syncedListeners.delete(fn);
  }

  /** An fdatasync is in flight: what is appended now waits for the next one. `fn` is called when it ends. */
  whenSyncEnds(fn: () => void): boolean {
    if (this.syncing) this.syncEnd = fn;
    return this.syncing;
  }

  /** The segment files with their sizes and modification times (retention by size and age). */
  segmentsInfo(): SegmentFileInfo[] {
    return segmentFiles(this.dir, this.firstSeg, this.segNo);
  }

  /** Delete every whole segment before `seg` (never the current one; in steps: segment-removal.ts); how many go. */
  deleteBefore(seg: number): number {
    let n = 0;
    const end = Math.min(seg, this.segNo);
    for (; this.firstSeg < end; this.firstSeg++) {
      removeSegmentFile(this.dir, segmentName(this.firstSeg), () => undefined); // an error: gone already
      if (fileEvents.active) fileRemoved(join(this.dir, segmentName(this.firstSeg)));
      n++;
    }
    return n;
  }

  /** Offset the next record will have in the current segment. */
  get nextOff(): number {
    return this.fileSize + this.buf.pos;
  }

  private create(n: number): number {
    const fd = openSync(join(this.dir, segmentName(n)), 'w+');
    writeSync(fd, MAGIC);
    if (fileEvents.active) fileWritten(join(this.dir, segmentName(n)), 0, MAGIC, 0, MAGIC.length);
    this.fileSize = MAGIC.length;
    this.dirDirty = true;
    return fd;
  }

  /** Called before each record: start a new segment when this one is full (and its bytes are written). */
  roll(): void {
    if (this.nextOff < this.segmentSize || !this.writeOut()) return;
    try {
      const next = this.create(this.segNo + 1);
      this.sealing.push({ fd: this.fd, seg: this.segNo });
      this.fd = next;
      this.segNo++;
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** After appending: write and sync at the end of this turn (or now, when much is buffered). */
  schedule(): void {
    if (this.buf.pos >= WRITE_AT) this.writeOut();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.atTurnEnd);
  }

  // made once: a closure in a method costs a context on every call, branch taken or not (BENCHMARKS.md, 8th sitting)
  private readonly atTurnEnd = (): void => {
    this.scheduled = false;
    this.syncNow();
  };
  private readonly afterCallback = (): void => {
    this.syncSoon = false;
    if (!this.syncing && !this.closed) this.syncNow();
  };

  /**
   * schedule() for a record a confirm waits for: its fsync starts once the current callback returns, not after
   * the rest of a busy turn (a drain's: issue 12), unless one runs (it goes again when it ends: group commit).
   */
  scheduleSync(): void {
    this.schedule();
    if (this.syncSoon || this.syncing) return;
    this.syncSoon = true;
    process.nextTick(this.afterCallback);
  }
  private syncSoon = false;

  private syncNow(): void {
    this.writeOut();
    this.sync();
  }

  /** Write the buffer to the file; false (and the bytes kept) when the write fails. */
  writeOut(): boolean {
    const b = this.buf;
    if (b.pos === 0) {
      // nothing buffered: every ticket taken so far is written (a ticket without bytes of its own, a stream append
      // that another log holds, still gets its fsync: FileMessageStore.touch)
      this.writtenTicket = this.bufTicket;
      return true;
    }
    let done = 0;
    try {
      while (done < b.pos) done += writeSync(this.fd, b.buf, done, b.pos - done);
    } catch (e) {
      // keep what was not written; what was written stays part of the file
      if (done > 0) {
        if (fileEvents.active) fileWritten(join(this.dir, segmentName(this.segNo)), this.fileSize, b.buf, 0, done);
        b.buf.copy(b.buf, 0, done, b.pos);
        b.pos -= done;
        this.fileSize += done;
      }
      this.fail(e as Error);
      return false;
    }
    if (fileEvents.active) fileWritten(join(this.dir, segmentName(this.segNo)), this.fileSize, b.buf, 0, done);
    this.fileSize += done;
    b.written();
    this.writtenTicket = this.bufTicket;
    this.writtenPosition = { seg: this.segNo, off: this.fileSize };
    // a snapshot: a listener that unwatches and watches again is called next write, not again now (a Set visits
    // what is added while it is walked: 1M stream fuzz cases spun here)
    for (const fn of Array.from(this.written)) fn(this.segNo, this.fileSize);
    if (this.failed !== null) {
      this.failed = null;
      if (this.syncError === null) this.events.failure(null);
    }
    return true;
  }

  /**
   * A write failed (disk full, I/O error, read-only): the alarm goes up (publishers are blocked) and the write is retried
   * every RETRY_MS, so the log recovers by itself once the disk does; nothing after the records kept is confirmed.
   */
  private fail(e: Error): void {
    this.failing(e, true);
  }

  /** A write (`failed`) or an fsync (`syncError`) failed: the alarm on the first, the waiting confirms refused. */
  private failing(e: Error, write: boolean): void {
    const first = this.failed === null && this.syncError === null;
    if (write) this.failed = e;
    else this.syncError = e;
    if (first) this.events.failure(e);
    this.events.writeFailed?.();
    this.retryLater();
  }

  private retryLater(): void {
    if (this.retry !== null || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.closed) return;
      if (this.failed !== null) this.writeOut();
      this.sync();
      if (this.failed !== null || this.syncError !== null) this.retryLater();
    }, RETRY_MS);
    this.retry.unref();
  }

  /** Group commit: one fdatasync for everything written so far; again afterwards if more came. */
  sync(): void {
    if (this.syncing || this.closed) return;
    if (this.syncedTicket === this.writtenTicket && this.sealing.length === 0 && !this.dirDirty) return;
    this.syncing = true;
    const ticket = this.writtenTicket;
    const position = this.writtenPosition;
    const before = this.events.beforeSync();
    if (before === null) this.syncFiles(ticket, position);
    else
      before.then(
        () => this.syncFiles(ticket, position),
        (e: unknown) => this.syncFailed(e as Error),
      );
  }

  private syncFiles(ticket: number, position: LogPosition): void {
    // closed while beforeSync was pending: closeSync wrote and fsynced everything itself
    if (this.closed) return void (this.syncing = false);
    this.events.onSyncStart?.();
    const sealed = this.sealing;
    this.sealing = [];
    // an unchanged file is not fsynced again: the message store's group commit often only waits for the
    // streams' fsyncs (beforeSync), and a needless fdatasync is a thread-pool round trip on every confirm
    const was = this.syncedPosition;
    const same = sealed.length === 0 && position.seg === was.seg && position.off === was.off;
    const fds = same || !this.fsyncs ? [] : [this.fd, ...sealed.map((s) => s.fd)];
    const dirSync = this.dirDirty && this.fsyncs;
    this.dirDirty = false;
    let pending = fds.length + (dirSync ? 1 : 0);
    let error: Error | null = null;
    const done = (e: NodeJS.ErrnoException | null): void => {
      if (e) error = e;
      if (--pending !== 0) return;
      for (const s of sealed) close(s.fd, () => {});
      // closed (stream deleted, shutdown) during this fsync: its EBADF is no disk failure; closeSync fsynced it all
      if (this.closed) return void (this.syncing = false);
      if (error !== null) {
        this.dirDirty ||= dirSync;
        return this.syncFailed(error);
      }
      this.syncing = false;
      if (this.syncError !== null) {
        this.syncError = null;
        if (this.failed === null) this.events.failure(null);
      }
      if (ticket > this.syncedTicket) this.syncedTicket = ticket;
      this.syncedPosition = position;
      this.events.onSynced(this.syncedTicket);
      for (const fn of Array.from(this.syncedListeners)) fn(position);
      for (const s of sealed) this.events.sealed(s.seg);
      this.endSync();
      // records a confirm waits for came meanwhile: the next fsync now, not at the end of the turn
      if (this.bufTicket > this.syncedTicket) this.syncNow();
      else if (this.buf.pos !== 0) this.schedule();
    };
    if (pending === 0) {
      pending = 1;
      return done(null);
    }
    for (const fd of fds) fdatasync(fd, done);
    if (dirSync) {
      openCb(this.dir, 'r', (e, dfd) => {
        if (e) return done(e);
        fsync(dfd, (e2) => close(dfd, () => done(e2)));
      });
    }
  }

  private endSync(): void {
    const fn = this.syncEnd;
    this.syncEnd = null;
    fn?.();
  }

  private syncFailed(e: Error): void {
    this.syncing = false;
    this.endSync();
    // retried later. The confirms waiting now are refused (writeFailed: basic.nack), not held for the retry:
    // after a real EIO from fsync, Linux may already have dropped the dirty pages and reports the error once,
    // so a retry can succeed without those bytes on disk (PostgreSQL's "fsyncgate"). Only what is written
    // after this failure is confirmed by a retry that works.
    this.failing(e, false);
  }

  /** Write and fsync everything, synchronously (clean shutdown); `discard`: the log is being deleted, neither. */
  closeSync(discard = false): void {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    if (discard) this.buf.pos = 0; // dropped: the end-of-turn writeOut must not write to the closed, maybe reused, fd
    this.writeOut();
    this.buf.release();
    for (const s of this.sealing) {
      try {
        closeSync(s.fd);
      } catch {
        /* already reported */
      }
    }
    this.sealing = [];
    try {
      if (!discard && this.fsyncs) fdatasyncSync(this.fd); // a blocking fsync per deleted stream was the stream fuzzer's 15%
      closeSync(this.fd);
    } catch {
      /* best effort: everything confirmed was fsynced already */
    }
  }

  /** Wait for the fsync in flight and the next one (clean shutdown). */
  async drain(): Promise<void> {
    this.writeOut();
    for (let i = 0; i < 200 && (this.syncing || this.syncedTicket < this.writtenTicket); i++) {
      if (!this.syncing) this.sync();
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}
