// Reading a queue's paged-out messages back from the segment files. The positions at the head of the tail
// are taken as a batch and planned as few reads as possible (records of one segment close together share
// one pread), then read either on the libuv thread pool (fs.read: the event loop keeps serving other
// connections while the disk works, which matters once the backlog is out of the page cache) or, when a
// caller cannot wait (basic.get on an empty window), synchronously. Decoding stays on the loop: it is a
// CRC and a copy per record, bounded by the batch size.
import { close, openSync, read, readSync } from '../io.js';
import { join } from 'node:path';
import { formatByName } from '../../core/formats.js';
import { POOL_MAX, takeBody } from '../../util/body-pool.js';
import { Message, QueuedMessage, type ContentFormat } from '../../core/message.js';
import { PublishFields, REC_PUBLISH, decodePublish, frameAt, recType } from '../log/record.js';
import { segmentName, type SegmentLog } from '../log/segment-log.js';
import { T_COUNT_SHIFT, T_REDELIVERED, type PagedTail } from '../log/tail.js';
import type { SegState } from './seg-state.js';

/** A run of tail records read with one pread: at most this span, and gaps of at most READ_GAP. */
const READ_SPAN = 1024 * 1024;
const READ_GAP = 64 * 1024;
/**
 * Span buffers kept for reuse. Decoding copies every record out of its span, so a span's buffer is free once
 * its batch is decoded; a fresh 1 MiB buffer per read would be new V8 external memory at the drain's rate
 * (~80 MB/s for 1 KiB messages), and V8 runs a full GC per ~64 MiB of that (util/body-pool.ts): dozens of
 * pauses of 10-50 ms a minute, each one felt by every connection.
 */
const SPARE_SPANS = 4;

interface Span {
  state: SegState;
  seg: number;
  off: number;
  len: number;
  buf: Buffer;
  /** first entry of the batch in this span, and how many */
  first: number;
  count: number;
}

/** Records a batch has room for before it grows (a consumer's page-in is typically a few hundred). */
const FIRST_CAPACITY = 256;

/** Messages taken from a tail, being read. */
export class PageBatch {
  constructor(
    /** The queue reading. */
    readonly queue: number,
  ) {}

  // the planned records' positions, in typed arrays grown by doubling (arrays grown by push were ~170 bytes of
  // heap a message in a drain, as much as anything else it allocated: BENCHMARKS.md)
  seq = new Float64Array(FIRST_CAPACITY);
  seg = new Uint32Array(FIRST_CAPACITY);
  off = new Uint32Array(FIRST_CAPACITY);
  len = new Uint32Array(FIRST_CAPACITY);
  flags = new Uint8Array(FIRST_CAPACITY);
  /** How many records are planned. */
  count = 0;
  spans: Span[] = [];
  bytes = 0;
  /** Set when the batch is read synchronously or dropped: an async completion then does nothing. */
  superseded = false;
  /** Reads on the thread pool not finished yet: the span buffers are being written. */
  inFlight = false;
  /** Released its read references on the segments. */
  private done = false;

  /** Plan one more record. */
  add(seq: number, seg: number, off: number, len: number, flags: number): void {
    const i = this.count;
    if (i === this.seq.length) this.grow();
    this.seq[i] = seq;
    this.seg[i] = seg;
    this.off[i] = off;
    this.len[i] = len;
    this.flags[i] = flags;
    this.count = i + 1;
  }

  private grow(): void {
    const n = this.seq.length * 2;
    const seq = new Float64Array(n);
    const seg = new Uint32Array(n);
    const off = new Uint32Array(n);
    const len = new Uint32Array(n);
    const flags = new Uint8Array(n);
    seq.set(this.seq);
    seg.set(this.seg);
    off.set(this.off);
    len.set(this.len);
    flags.set(this.flags);
    this.seq = seq;
    this.seg = seg;
    this.off = off;
    this.len = len;
    this.flags = flags;
  }

  release(): void {
    if (this.done) return;
    this.done = true;
    for (const s of this.spans) endRead(s.state);
  }
}

function endRead(s: SegState): void {
  if (--s.reads === 0 && s.gone && s.readFd >= 0) {
    const fd = s.readFd;
    s.readFd = -1;
    // the file is unlinked; closing the last descriptor frees its blocks
    close(fd, () => {});
  }
}

export interface ReaderHost {
  readonly dir: string;
  readonly log: SegmentLog;
  state(seg: number): SegState | undefined;
  readonly formats: Map<string, ContentFormat>;
  diskReads: number;
  damaged(seg: number, off: number, len: number, queue: number): void;
}

export class PageReader {
  private readonly fields = new PublishFields();
  /** Entries (with their messages) released after their ack, for reuse (Message.recycleTo). */
  private readonly recycled: QueuedMessage[] = [];
  private readonly spare: Buffer[] = [];

  constructor(private readonly host: ReaderHost) {}

  /** Take up to `max` entries (and at most ~bytes) from the head of `tail` and plan their reads. */
  plan(tail: PagedTail, max: number, queue: number): PageBatch {
    const b = new PageBatch(queue);
    const h = this.host;
    while (b.count < max && tail.length !== 0) {
      const seg = tail.peekSeg();
      const off0 = tail.peekOff();
      let end: number;
      const first = b.count;
      const state = h.state(seg);
      for (;;) {
        const o = tail.peekOff();
        const l = tail.peekLen();
        b.add(tail.peekSeq(), seg, o, l, tail.peekFlags());
        b.bytes += l;
        end = o + l;
        tail.shift();
        if (b.count >= max || tail.length === 0 || tail.peekSeg() !== seg) break;
        const no = tail.peekOff();
        if (no < end || no - end > READ_GAP || no + tail.peekLen() - off0 > READ_SPAN) break;
      }
      if (state === undefined) {
        // the segment is gone (a bug, or a file removed by hand): these records cannot be read
        for (let i = first; i < b.count; i++) h.damaged(seg, b.off[i]!, b.len[i]!, b.queue);
        b.count = first;
        continue;
      }
      state.reads++;
      b.spans.push({
        state,
        seg,
        off: off0,
        len: end - off0,
        buf: this.spanBuffer(end - off0),
        first,
        count: b.count - first,
      });
    }
    return b;
  }

  /** A buffer for a span of `len` bytes: a view of a spare READ_SPAN buffer when one is free. */
  private spanBuffer(len: number): Buffer {
    if (len > READ_SPAN) return Buffer.allocUnsafeSlow(len);
    const b = this.spare.pop() ?? Buffer.allocUnsafeSlow(READ_SPAN);
    return b.subarray(0, len);
  }

  /** The batch is decoded (or dropped) and no read of it is in flight: its span buffers may be reused. */
  private recycle(b: PageBatch): void {
    for (const s of b.spans) {
      const ab = s.buf.buffer;
      if (s.buf.byteOffset === 0 && ab.byteLength === READ_SPAN && this.spare.length < SPARE_SPANS)
        this.spare.push(Buffer.from(ab, 0, READ_SPAN));
    }
    b.spans.length = 0;
  }

  private fd(s: Span): number {
    if (s.state.readFd < 0) s.state.readFd = openSync(join(this.host.dir, segmentName(s.seg)), 'r');
    return s.state.readFd;
  }

  /** Read a planned batch now; decoded messages are appended to `out`. */
  readSync(b: PageBatch, out: QueuedMessage[]): void {
    b.superseded = true;
    // reads still in flight on the thread pool write into the spans' buffers: read into fresh ones (the
    // async completion hands the old ones back)
    if (b.inFlight) for (const s of b.spans) s.buf = Buffer.allocUnsafeSlow(s.len);
    try {
      // every span read before any is decoded: a failed read leaves the whole batch to be put back
      for (const s of b.spans) readLog(this.host.log, s.seg, this.fd(s), s.off, s.len, s.buf);
      for (const s of b.spans) this.decode(b, s, out);
    } finally {
      b.release();
      if (!b.inFlight) this.recycle(b);
    }
  }

  /** Read a planned batch on the thread pool; `done` gets the messages unless the batch was superseded. */
  readAsync(b: PageBatch, done: (err: Error | null, out: QueuedMessage[]) => void): void {
    let pending = b.spans.length;
    let error: Error | null = null;
    // called once every read of the batch has finished: its buffers are the reader's again afterwards
    const finish = (): void => {
      b.inFlight = false;
      if (b.superseded) {
        b.release();
        return this.recycle(b);
      }
      b.superseded = true;
      const out: QueuedMessage[] = [];
      try {
        if (error === null) for (const s of b.spans) this.decode(b, s, out);
      } finally {
        b.release();
        this.recycle(b);
      }
      done(error, out);
    };
    if (pending === 0) return setImmediate(finish) as unknown as void;
    b.inFlight = true;
    const log = this.host.log;
    for (const s of b.spans) {
      let fd: number;
      try {
        // the current segment's buffered records go to the file first (they are then in the page cache)
        if (s.seg === log.segNo && s.off + s.len > log.fileSize) log.writeOut();
        fd = this.fd(s);
      } catch (e) {
        error = e as Error;
        if (--pending === 0) setImmediate(finish);
        continue;
      }
      readFully(fd, s.buf, s.off, (e) => {
        if (e !== null) error = e;
        if (--pending === 0) finish();
      });
    }
  }

  private decode(b: PageBatch, s: Span, out: QueuedMessage[]): void {
    const h = this.host;
    const buf = s.buf;
    for (let i = s.first; i < s.first + s.count; i++) {
      const at = b.off[i]! - s.off;
      const len = b.len[i]!;
      if (frameAt(buf, at, at + len, true) !== len || recType(buf, at) !== REC_PUBLISH) {
        h.damaged(s.seg, b.off[i]!, len, b.queue);
        continue;
      }
      const f = decodePublish(buf, at, this.fields, false);
      h.diskReads++;
      // every front end registers its format (core/formats.ts); the map from server.ts is the fallback
      const fmt = formatByName(f.format) ?? h.formats.get(f.format) ?? h.formats.values().next().value!;
      const body = f.bodyLen === 0 ? f.body : bodyCopy(buf, f.bodyAt, f.bodyLen);
      // an entry whose message was acked and written (Message.releaseBody) is reused, else a new one
      let e = this.recycled.pop();
      if (e !== undefined) {
        e.msg.reinit(fmt, f.exchange, f.routingKey, f.props, body, f.persistent, f.priority, f.expiration, f.timestamp);
        e.reinit(b.seq[i]!);
      } else {
        const m = new Message(
          fmt,
          f.exchange,
          f.routingKey,
          f.props,
          body,
          f.persistent,
          f.priority,
          f.expiration,
          f.timestamp,
          0,
        );
        e = new QueuedMessage(m, b.seq[i]!);
        m.entry = e;
        m.recycleTo = this.recycled;
      }
      const msg = e.msg;
      // The body is a util/body-pool.ts buffer and this message is the only one holding it (each queue
      // reading a shared record decodes its own): once acked, or delivered with no-ack, and written to the
      // socket, it goes back to the pool (frontend/amqp/deliveries.ts gone()) and the next page-in reuses it
      // instead of allocating new external memory per message; so do the message and its entry.
      if (f.bodyLen !== 0 && f.bodyLen <= POOL_MAX) {
        msg.pooledBody = true;
        msg.soleCopy = true;
      }
      e.seg = s.seg;
      e.off = b.off[i]!;
      e.len = len;
      const fl = b.flags[i]!;
      if ((fl & T_REDELIVERED) !== 0) e.redelivered = true;
      e.deliveryCount = fl >> T_COUNT_SHIFT;
      out.push(e);
    }
  }
}

function bodyCopy(from: Buffer, at: number, len: number): Buffer {
  const b = takeBody(len);
  from.copy(b, 0, at, at + len);
  return b;
}

/** pread all of `buf` from `pos` on the thread pool (short reads continue; EOF is an error). */
function readFully(fd: number, buf: Buffer, pos: number, cb: (e: Error | null) => void): void {
  let got = 0;
  const step = (): void =>
    read(fd, buf, got, buf.length - got, pos + got, (e, n) => {
      if (e) return cb(e);
      if (n === 0) return cb(new Error(`short read at ${pos + got}`));
      got += n;
      if (got < buf.length) step();
      else cb(null);
    });
  step();
}

/** Read [off, off+len) of segment `seg` of `log` through `fd`: the part still buffered comes from memory. */
function readLog(log: SegmentLog, seg: number, fd: number, off: number, len: number, into: Buffer): void {
  let n = len;
  if (seg === log.segNo && off + len > log.fileSize) {
    log.writeOut();
    if (off + len > log.fileSize) {
      const inFile = Math.max(0, log.fileSize - off);
      const fromBuf = off + inFile - log.fileSize;
      log.buf.buf.copy(into, inFile, fromBuf, fromBuf + (len - inFile));
      n = inFile;
    }
  }
  let got = 0;
  while (got < n) {
    const r = readSync(fd, into, got, n - got, off + got);
    if (r === 0) throw new Error(`segment ${seg}: short read at ${off + got}`);
    got += r;
  }
}
