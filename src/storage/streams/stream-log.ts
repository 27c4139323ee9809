// One stream queue's storage: its own SegmentLog (log/segment-log.ts, the log the message store uses too)
// in the stream's directory, one record per osiris chunk (codec/stream/chunk.ts, the bytes a Deliver sends),
// and an in-memory chunk index (first offset, segment, position, timestamp) rebuilt at open by scanning the
// segments' record headers. Messages appended during an event-loop turn become one chunk at the end of the
// turn, unless the log's fdatasync is in flight and the chunk is small (DEFER_MAX_DATA): then it grows until
// that fsync ends (group commit, as osiris's writer batches what arrived while its last write ran), cut at
// CHUNK_MAX_DATA / MAX_ENTRIES (cut chunks are written at once, overlapping the fsync). Fewer, bigger chunks:
// fewer Deliver frames, credits, index entries and CRCs. An idle stream's chunk still goes at the end of the
// turn (no fsync in flight). Retention deletes whole segments, oldest first, never the one being written.
import { readdirSync } from '../io.js';
import { dropRemoving } from '../log/segment-removal.js';
import { join } from 'node:path';
import { ChunkBuilder } from '../../codec/stream/chunk.js';
import { DEFAULT_FILTER_SIZE } from '../../codec/stream/bloom.js';
import type { StreamBacking, StreamChunkReader, StreamFilter, StreamReader } from '../../core/queue/stream/backing.js';
import type { Message } from '../../core/message.js';
import { filterValueOf, toStreamMessage } from './convert.js';
import { ChunkReader, chunkFilter } from './chunk-reader.js';
import { ChunkIndex } from './chunk-index.js';
import { RawChunkReader } from './raw-chunk-reader.js';
import { scanSpan } from './span-scan.js';
import { StreamTrackingState } from './tracking.js';
import { LogCursor } from '../log/cursor.js';
import { ChunkSyncs } from './chunk-syncs.js';
import { scanSegment } from './segment-scan.js';
import { SegmentLog, positionBefore as before, type LogEvents, type LogPosition } from '../log/segment-log.js';
import { now } from '../../util/clock.js';

/** A chunk is cut before the end of the turn once its data reaches this. */
const CHUNK_MAX_DATA = 1024 * 1024;
const MAX_ENTRIES = 65535;
/** A chunk holding this many entries of one kind (filtered or not) is ended before one of the other kind. */
const SPLIT_MIN_ENTRIES = 16;
/**
 * A chunk waits for the fsync in flight only while its data is under this: a publisher of big messages has its
 * bytes written to the page cache at once (an fdatasync also writes back pages dirtied while it runs; held
 * back, they made the 1 KiB publish 10-25% slower), while small messages still gather into big chunks.
 */
const DEFER_MAX_DATA = 256 * 1024;

export interface StreamLogHooks {
  /** Something was appended: the broker's confirms wait for the next fsync (storage/streams/stream-store.ts). */
  appended(): void;
  failure(err: Error | null): void;
  /** Each failed write or fsync, retries included (the waiting confirms are refused: message-store.ts). */
  writeFailed?(): void;
  /** The stream was deleted (its files are the store's to remove). */
  deleted(): void;
}

export class FileStreamLog implements StreamBacking, LogEvents {
  private readonly log: SegmentLog;
  /** The sparse chunk index (chunk-index.ts), oldest first. */
  readonly index = new ChunkIndex();
  /** First offset of the last chunk written, -1 when none. */
  private lastId = -1;
  firstOffset = 0;
  nextOffset = 0;
  private readonly builder: ChunkBuilder;
  /** First offset of the chunk being built, -1 when none. */
  private pendingFirst = -1;
  private maxBytes = -1;
  private maxAge = -1;
  private lastSeg: number;
  private readonly ageTimer: NodeJS.Timeout;
  private gone = false;
  /** Confirm waits, by position; `at` null: the end of the chunk being built (set when it is flushed). */
  private readonly syncs = new ChunkSyncs();
  /** The chunk being built waits for the fsync in flight to end (group commit). */
  private deferred = false;
  private readonly flushDeferred = (): void => {
    this.deferred = false;
    this.flush();
  };
  readonly tracking: StreamTrackingState;

  constructor(
    readonly dir: string,
    segmentSize: number,
    private readonly hooks: StreamLogHooks,
    /** x-stream-filter-size-bytes: the bloom filter's size in each chunk (16..255). */
    filterSize = DEFAULT_FILTER_SIZE,
    /** false: never fsync (memory storage: the stream does not outlive the process, nothing waits for it). */
    fsync = true,
    /** The directory was just made: nothing in it to scan (no readdir, no offsets file to read). */
    fresh = false,
  ) {
    this.builder = new ChunkBuilder(filterSize);
    this.tracking = new StreamTrackingState(dir, fresh);
    const names = (fresh ? [] : dropRemoving(dir, readdirSync(dir))).filter((n) => /^\d{8}\.seg$/.test(n)).sort();
    let oldest = -1;
    let last = -1;
    for (const n of names) {
      const seg = Number(n.slice(0, 8));
      if (oldest < 0) oldest = seg;
      last = seg;
      scanSegment(join(dir, n), (h, off) => {
        // writer tracking (deduplication): the publishers' sequences this chunk recorded (tracking.ts)
        if (h.trailer !== null) this.tracking.readTrailer(h.trailer);
        this.indexChunk(h.chunkId, seg, off, h.timestamp);
        this.nextOffset = h.chunkId + h.numRecords;
      });
    }
    this.log = new SegmentLog(dir, last + 1, this, segmentSize, oldest < 0 ? last + 1 : oldest);
    this.log.fsyncs = fsync;
    this.lastSeg = this.log.segNo;
    this.firstOffset = this.index.length === 0 ? this.nextOffset : this.index.id(0);
    this.log.onSyncedPosition((p) => this.syncs.synced(p));
    // x-max-age is checked once a minute too (a quiet stream still ages)
    this.ageTimer = setInterval(() => this.retain(), 60_000);
    this.ageTimer.unref();
  }

  private indexChunk(chunkId: number, seg: number, off: number, ts: number): void {
    this.index.add(chunkId, seg, off, ts);
    this.lastId = chunkId;
  }

  get lastChunkId(): number {
    if (this.pendingFirst >= 0) return this.pendingFirst;
    return this.lastId < 0 || this.lastId < this.firstOffset ? this.nextOffset : this.lastId;
  }

  get segments(): number {
    return this.log.segmentsInfo().length;
  }

  get bytes(): number {
    let n = 0;
    for (const s of this.log.segmentsInfo()) n += s.size;
    return n;
  }

  appendMessage(m: Message): number {
    // the filter value first: toStreamMessage's result is a view into a shared writer
    const filterValue = filterValueOf(m);
    const bytes = toStreamMessage(m);
    return this.append(bytes, 0, bytes.length, filterValue);
  }

  /** A Stream protocol publish: the AMQP 1.0 message as the client encoded it. */
  appendRaw(src: Buffer, start: number, end: number, filterValue: Buffer | null): number {
    return this.append(src, start, end, filterValue);
  }

  /** Add one AMQP 1.0 encoded message (bytes [start, end)); returns its offset. */
  append(src: Buffer, start: number, end: number, filterValue: Buffer | null): number {
    this.splitUnmixed(filterValue !== null && filterValue.length > 0);
    this.startChunk();
    this.builder.addMessage(src, start, end, filterValue);
    const offset = this.nextOffset++;
    this.endAppend();
    return offset;
  }

  /**
   * Add a sub-batch as a Stream protocol publisher sent it (`body` holds `numRecords` records, compressed
   * with `compression`); returns the offset of its first record.
   */
  appendSubBatch(compression: number, numRecords: number, uncompressedLength: number, body: Buffer): number {
    this.splitUnmixed(false);
    this.startChunk();
    this.builder.addSubBatch(compression, numRecords, uncompressedLength, body);
    const offset = this.nextOffset;
    this.nextOffset += numRecords;
    this.endAppend();
    return offset;
  }

  /**
   * Filtering works by chunk (a consumer with `x-stream-filter` / a filter and match-unfiltered off gets every
   * chunk whose Bloom filter may hold one of its values, unfiltered entries included): a chunk of
   * SPLIT_MIN_ENTRIES or more entries of one kind (all with a filter value, or all without) is ended before an
   * entry of the other kind, so that a publisher switching between the two (rabbitmq-stream-js-client's
   * filtering test: 1,000 filtered messages, then 1,000 without) does not leave a large mixed chunk at the switch.
   * Under SPLIT_MIN_ENTRIES the chunk takes both (finely interleaved traffic would otherwise be a chunk a message).
   */
  private splitUnmixed(filtered: boolean): void {
    const b = this.builder;
    if (this.pendingFirst >= 0 && b.numEntries >= SPLIT_MIN_ENTRIES && b.wouldMix(filtered)) this.flush();
  }

  private startChunk(): void {
    if (this.pendingFirst < 0) {
      this.pendingFirst = this.nextOffset;
      setImmediate(this.atTurnEnd);
    }
  }

  // made once: startChunk runs for every append, and a closure written in it cost a context allocated on each
  // call (segment-log.ts schedule)
  private readonly atTurnEnd = (): void => this.endOfTurn();

  /** The end of the turn the chunk was started in: it goes now, or grows until the fsync in flight ends. */
  private endOfTurn(): void {
    if (!this.deferToSync()) this.flush();
  }

  /** With an fsync in flight, flush the chunk being built when it ends (true); else false. */
  private deferToSync(): boolean {
    if (this.pendingFirst < 0 || this.gone || this.builder.dataLength >= DEFER_MAX_DATA) return false;
    if (this.deferred) return true;
    return (this.deferred = this.log.whenSyncEnds(this.flushDeferred));
  }

  private endAppend(): void {
    if (this.builder.dataLength >= CHUNK_MAX_DATA || this.builder.numEntries === MAX_ENTRIES) this.flush();
    this.hooks.appended();
  }

  get committedChunkId(): number {
    return this.lastId;
  }

  /** The chunk being built goes to the log (written at the end of the turn, fsynced by group commit). */
  flush(): void {
    if (this.pendingFirst < 0 || this.gone) return;
    const ts = now();
    const chunkId = this.pendingFirst;
    const trailer = this.tracking.takeTrailer(chunkId);
    const meta = { chunkId, epoch: 1, timestamp: ts, ...(trailer ? { trailer } : {}) };
    this.pendingFirst = -1; // the chunk is built in the log's write buffer: no chunk-sized allocation, no copy
    const at = this.log.appendWith(this.builder.finishedLength(meta), (buf, p) =>
      this.builder.finishInto(buf, p, meta),
    );
    this.indexChunk(chunkId, at.seg, at.off, ts);
    this.syncs.written({ seg: this.log.segNo, off: this.log.nextOff }, this.nextOffset);
    if (this.log.segNo !== this.lastSeg) {
      this.lastSeg = this.log.segNo;
      // the next chunk is the new segment's first after this one: it carries every sequence
      this.tracking.snapshotNext();
      this.retain();
    }
  }

  /** Everything appended so far is on disk (flushes the chunk being built): for publisher confirms. */
  durable(): Promise<void> | null {
    if (this.gone) return null;
    // group commit: the chunk being built goes when the fsync in flight ends, and is fsynced next
    if (this.deferToSync()) return this.syncs.wait(null);
    this.flush();
    const log = this.log;
    if (log.bufTicket === log.syncedTicket) return null;
    log.writeOut();
    // the end of what was appended, written or not: after a failed write the bytes wait in the buffer, and
    // the file's size alone made them look durable (test/frontend/stream/disk-faults.test.ts)
    const at = { seg: log.segNo, off: log.nextOff };
    if (!before(log.syncedPosition, at)) return null;
    const p = this.syncs.wait(at);
    log.sync();
    return p;
  }

  /** The offsets whose chunks are fsynced end before this: what the message count counts (chunk-syncs.ts). */
  get durableEnd(): number {
    return this.syncs.durableEnd(this.writtenEnd);
  }

  /** The offsets written to the log (the chunk being built excluded) end before this. */
  private get writtenEnd(): number {
    return this.pendingFirst >= 0 ? this.pendingFirst : this.nextOffset;
  }

  chunkStartFor(offset: number): number {
    if (offset >= this.writtenEnd) return this.lastChunkId;
    const i = this.index.find(offset);
    if (i < 0) return this.firstOffset;
    let start = this.index.id(i);
    scanSpan(this.index, this.log, this.dir, i, (id, n) => {
      if (id > offset) return true;
      start = id;
      return id + n > offset;
    });
    return start;
  }

  offsetForTimestamp(ms: number): number {
    const ix = this.index;
    const j = ix.findTs(ms);
    // the first chunk at or after ms is in the span before entry j, or is entry j itself
    let found = -1;
    if (j > 0) scanSpan(ix, this.log, this.dir, j - 1, (id, _n, ts) => (ts >= ms ? ((found = id), true) : false));
    if (found >= 0) return found;
    if (j < ix.length) return ix.id(j);
    return this.writtenEnd;
  }

  reader(offset: number, queueName: string, filter: StreamFilter | null = null): StreamReader {
    const pos = this.positionFor(offset);
    return new ChunkReader(() => this.oldestPosition(), new LogCursor(this.log, pos), offset, queueName, filter);
  }

  chunkReader(offset: number): StreamChunkReader {
    return new RawChunkReader(this.log, () => this.oldestPosition(), this.positionFor(offset));
  }

  /** Where a reader from `offset` starts: the index entry at or before it; past the written chunks, the end. */
  private positionFor(offset: number): LogPosition {
    const i = this.index.find(offset);
    return offset >= this.writtenEnd || this.index.length === 0
      ? { seg: this.log.segNo, off: this.log.nextOff }
      : i < 0
        ? this.oldestPosition()
        : { seg: this.index.seg(i), off: this.index.off(i) };
  }

  chunkFilter(filter: StreamFilter): (storedChunk: Buffer) => boolean {
    return chunkFilter(filter);
  }

  /** The position of the oldest kept chunk (a reader whose segment was deleted moves there). */
  oldestPosition(): LogPosition {
    return this.index.length === 0
      ? { seg: this.log.segNo, off: this.log.nextOff }
      : { seg: this.index.seg(0), off: this.index.off(0) };
  }

  configure(maxBytes: number, maxAgeMs: number, maxSegmentSize: number): void {
    // a new segment size applies from the current segment's rollover on (a smaller one rolls at the next append)
    if (maxSegmentSize > 0) this.log.segmentSize = maxSegmentSize;
    this.maxBytes = maxBytes;
    this.maxAge = maxAgeMs;
    this.retain();
  }

  /** Retention: delete the oldest whole segments while over x-max-length-bytes or older than x-max-age. */
  retain(): void {
    if (this.gone || (this.maxBytes < 0 && this.maxAge < 0)) return;
    const info = this.log.segmentsInfo();
    let total = 0;
    for (const s of info) total += s.size;
    const wallNow = Date.now(); // compared with file mtimes: wall time, not the virtual clock
    let upTo = -1;
    for (let i = 0; i < info.length - 1; i++) {
      const s = info[i]!;
      const overSize = this.maxBytes >= 0 && total > this.maxBytes;
      const tooOld = this.maxAge >= 0 && s.mtimeMs < wallNow - this.maxAge;
      if (!overSize && !tooOld) break;
      total -= s.size;
      upTo = s.seg + 1;
    }
    if (upTo < 0) return;
    this.log.deleteBefore(upTo);
    this.index.dropBefore(upTo);
    this.firstOffset = this.index.length === 0 ? this.writtenEnd : this.index.id(0);
  }

  deleted(): void {
    this.tracking.drop();
    this.close(true);
    this.hooks.deleted();
  }

  close(discard = false): void {
    if (this.gone) return;
    if (!discard) this.flush(); // discard: the stream is deleted, what is buffered is neither written nor fsynced
    this.gone = true;
    this.tracking.close();
    clearInterval(this.ageTimer);
    this.log.closeSync(discard);
    this.builder.release(); // (a chunk still being built when deleted would keep it in the buffer sweep)
    this.syncs.releaseAll();
  }

  // ---- LogEvents -----------------------------------------------------------------------------------
  onSynced(): void {}
  sealed(): void {}
  failure(err: Error | null): void {
    this.hooks.failure(err);
  }
  writeFailed(): void {
    this.hooks.writeFailed?.();
  }
  beforeSync(): null {
    return null;
  }
}
