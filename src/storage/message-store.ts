// Message durability for the file store: one append-only segment log for all durable queues (segment-log.ts),
// a queue id per durable queue (queue-ids.ts: queues.json and its journal), and per queue a QueueBacking that logs persistent messages,
// their first delivery and their removal, and holds the queue's tail on disk as compact positions (tail.ts).
//
// Why a shared segment log with per-queue positions (RabbitMQ's message store + queue index, LavinMQ's
// segments): appends are sequential whatever the number of queues, one fsync covers every queue (group
// commit), and a queue's backlog costs ~21 bytes of memory a message. Disk is reclaimed by deleting a
// segment once none of its messages is live and no older live segment needs its REMOVE records.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, fsyncSync, unlinkSync } from 'node:fs';
import { writeFileSync, ftruncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import { formatByName } from '../core/formats.js';
import { Message, QueuedMessage, type ContentFormat } from '../core/message.js';
import type { MessageStore, QueueBacking, SyncWaiter } from '../core/queue/backing.js';
import type { Queue } from '../core/queue/queue.js';
import type { Logger } from '../util/logger.js';
import {
  PublishFields,
  REC_DELIVERED,
  REC_PUBLISH,
  REC_REMOVE,
  decodePublish,
  frameAt,
  recPersistent,
  recQueue,
  recSeg,
  recSeq,
  recType,
} from './log/record.js';
import { MAGIC, SegmentLog, segmentName, type LogEvents } from './log/segment-log.js';
import { PagedTail, T_PERSISTENT, T_REDELIVERED } from './log/tail.js';
import { ENTRY, IndexBuffer, readIndex } from './log/segment-index.js';
import { QueueIds } from './queue-ids.js';

/** A run of tail records read with one pread: at most this span, and gaps of at most READ_GAP. */
const READ_SPAN = 1024 * 1024;
const READ_GAP = 64 * 1024;

class SegState {
  /** Records of this segment still needed (ready, unacked, or paged). */
  live = 0;
  /** Older segments whose REMOVE/DELIVERED records live here: this one stays until they are gone. */
  refs: Set<number> | null = null;
  readFd = -1;
}

export interface StoreHooks {
  /** Flush pending definitions before an fsync (a confirmed message's queue must survive too). */
  beforeSync(): Promise<void> | null;
  /** Disk alarm from write errors: true to block publishers, false to release. */
  ioFailure(err: Error | null): void;
}

export interface RecoveryStats {
  segments: number;
  messages: number;
  queues: number;
  tornBytes: number;
  ms: number;
}

export class FileMessageStore implements MessageStore, LogEvents {
  appended = 0;
  diskWrites = 0;
  diskReads = 0;
  private readonly waiters = new Set<SyncWaiter>();
  private readonly segs = new Map<number, SegState>();
  private readonly ids: QueueIds;
  private readonly log: SegmentLog;
  private readonly fields = new PublishFields();
  /** Index entries of the current segment, written as its .idx when it is sealed. */
  private readonly index = new IndexBuffer();
  private closed = false;
  recovery: RecoveryStats = { segments: 0, messages: 0, queues: 0, tornBytes: 0, ms: 0 };

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly formats: Map<string, ContentFormat>,
    private readonly hooks: StoreHooks,
    segmentSize: number,
    private readonly broker: Broker,
  ) {
    const t0 = Date.now();
    mkdirSync(dir, { recursive: true });
    this.ids = new QueueIds(dir);
    this.ids.load();
    const lastSeg = this.recover();
    this.log = new SegmentLog(dir, lastSeg + 1, this, segmentSize);
    this.segs.set(this.log.segNo, new SegState());
    // durable queues restored from definitions that never had an id (never held a message) get one now
    for (const v of broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        if (q.durable && q.exclusiveOwner === null && !this.ids.has(v.name, q.name)) this.attach(q);
      }
    }
    // segments with nothing live go now
    for (const n of [...this.segs.keys()]) this.tryDelete(n);
    this.recovery.ms = Date.now() - t0;
  }

  /** Open the message directory, recover every durable queue of `broker` from it. */
  static open(
    dir: string,
    broker: Broker,
    logger: Logger,
    formats: Map<string, ContentFormat>,
    hooks: StoreHooks,
    segmentSize: number,
  ): FileMessageStore {
    return new FileMessageStore(dir, logger, formats, hooks, segmentSize, broker);
  }

  get synced(): number {
    return this.log.syncedTicket;
  }

  addSyncWaiter(w: SyncWaiter): void {
    this.waiters.add(w);
  }

  // ---- queue ids -------------------------------------------------------------------------------

  /** Pending queue ids on disk (queue-ids.ts), synchronously: at close. */
  writeIds(): void {
    this.ids.flushSync();
  }

  /** A durable queue was declared: give it a fresh id and a backing. */
  attach(q: Queue): void {
    const id = this.ids.assign(q.vhost, q.name);
    const b = new FileQueueBacking(this, id, new PagedTail(), q.vhost, q.name);
    q.attachBacking(b, 0);
    this.log.schedule();
  }

  forget(b: FileQueueBacking, vhost: string, name: string): void {
    if (this.ids.get(vhost, name) !== b.id) return;
    this.ids.remove(vhost, name, b.id);
    this.log.schedule();
  }

  // ---- appending -------------------------------------------------------------------------------

  /** Roll the log when the segment is full; the sealed segment's index is written. */
  private roll(): void {
    const log = this.log;
    const before = log.segNo;
    log.roll();
    if (log.segNo !== before) {
      const idx = this.index.take();
      try {
        writeFileSync(join(this.dir, indexName(before)), idx);
      } catch (e) {
        this.logger.warn({ err: e }, 'could not write segment index (recovery will scan the segment)');
      }
    }
  }

  appendPublish(b: FileQueueBacking, e: QueuedMessage, persistent: boolean): void {
    const log = this.log;
    this.roll();
    const seg = log.segNo;
    const off = log.nextOff;
    const m = e.msg;
    e.len = log.buf.publish(
      b.id,
      e.seq,
      persistent,
      m.priority,
      m.timestamp,
      m.format.name,
      m.exchange,
      m.routingKey,
      m.expiration,
      m.props,
      m.body,
    );
    e.seg = seg;
    e.off = off;
    this.index.add(REC_PUBLISH, b.id, e.seq, off, e.len, persistent ? 1 : 0, 0);
    this.diskWrites++;
    this.seg(seg).live++;
    if (persistent) log.bufTicket = ++this.appended;
    log.schedule();
  }

  mark(type: number, b: FileQueueBacking, seq: number, seg: number): void {
    const log = this.log;
    this.roll();
    log.buf.mark(type, b.id, seq, seg);
    this.index.add(type, b.id, seq, 0, 0, 0, seg);
    if (seg !== log.segNo) {
      const s = this.seg(log.segNo);
      (s.refs ??= new Set()).add(seg);
    }
    log.schedule();
  }

  /** State of a segment (the current one is created on first use after a rollover). */
  private seg(n: number): SegState {
    let s = this.segs.get(n);
    if (s === undefined) this.segs.set(n, (s = new SegState()));
    return s;
  }

  /** One record of segment `seg` is no longer needed. */
  release(seg: number): void {
    const s = this.segs.get(seg);
    if (s === undefined) return;
    if (--s.live === 0) this.tryDelete(seg);
  }

  private tryDelete(seg: number): void {
    if (this.closed || seg === this.log.segNo) return;
    const s = this.segs.get(seg);
    if (s === undefined || s.live !== 0) return;
    if (s.refs !== null) {
      for (const r of s.refs) if (this.segs.has(r)) return;
    }
    this.segs.delete(seg);
    if (s.readFd >= 0) closeSync(s.readFd);
    try {
      unlinkSync(join(this.dir, segmentName(seg)));
    } catch (e) {
      this.logger.warn({ err: e, seg }, 'could not delete segment');
    }
    try {
      unlinkSync(join(this.dir, indexName(seg)));
    } catch {
      /* never written (recovered segment, or write failed) */
    }
    // younger segments kept only for this one's sake may go now
    for (const [n, o] of this.segs) if (o.live === 0 && o.refs !== null && o.refs.has(seg)) this.tryDelete(n);
  }

  /** Read and decode the records at the head of `tail` (up to `max`) into queued messages. */
  pageIn(tail: PagedTail, max: number, out: QueuedMessage[]): void {
    while (out.length < max && tail.length !== 0) {
      const seg = tail.peekSeg();
      const off0 = tail.peekOff();
      // plan one read over records of the same segment close together
      let k = 1;
      let end = off0 + tail.peekLen();
      const limit = Math.min(tail.length, max - out.length);
      while (k < limit && tail.segAt(k) === seg) {
        const o = tail.offAt(k);
        const e2 = o + tail.lenAt(k);
        if (o < end || o - end > READ_GAP || e2 - off0 > READ_SPAN) break;
        end = e2;
        k++;
      }
      const span = end - off0;
      const buf = Buffer.allocUnsafe(span);
      const s = this.segs.get(seg);
      try {
        if (s === undefined) throw new Error(`segment ${seg} is gone`);
        if (s.readFd < 0) s.readFd = openSync(join(this.dir, segmentName(seg)), 'r');
        this.log.read(seg, s.readFd, off0, span, buf);
      } catch (e) {
        this.logger.error({ err: e, seg }, 'could not read messages from disk; the queue stalls until it can');
        return;
      }
      for (let i = 0; i < k; i++) {
        const at = tail.peekOff() - off0;
        const len = tail.peekLen();
        const seq = tail.peekSeq();
        const flags = tail.peekFlags();
        tail.shift();
        if (frameAt(buf, at, at + len, true) !== len || recType(buf, at) !== REC_PUBLISH) {
          this.logger.error({ seg, off: off0 + at }, 'damaged message record on disk skipped');
          this.release(seg);
          continue;
        }
        const f = decodePublish(buf, at, this.fields);
        this.diskReads++;
        // every front end registers its format (core/formats.ts); the map from server.ts is the fallback
        const fmt = formatByName(f.format) ?? this.formats.get(f.format) ?? this.formats.values().next().value!;
        const msg = new Message(
          fmt,
          f.exchange,
          f.routingKey,
          f.props,
          f.body,
          f.persistent,
          f.priority,
          f.expiration,
          f.timestamp,
          0,
        );
        const e = new QueuedMessage(msg, seq);
        e.seg = seg;
        e.off = off0 + at;
        e.len = len;
        if ((flags & T_REDELIVERED) !== 0) e.redelivered = true;
        out.push(e);
      }
    }
  }

  // ---- group commit events ---------------------------------------------------------------------

  onSynced(ticket: number): void {
    for (const w of this.waiters) if (!w.synced(ticket)) this.waiters.delete(w);
  }

  sealed(seg: number): void {
    this.tryDelete(seg);
  }

  failure(err: Error | null): void {
    if (err) this.logger.error({ err }, 'message store write failed: publishers blocked until it works again');
    else this.logger.warn('message store writes work again');
    this.hooks.ioFailure(err);
  }

  beforeSync(): Promise<void> | null {
    const ids = this.ids.flush();
    const defs = this.hooks.beforeSync();
    if (ids === null) return defs;
    if (defs === null) return ids;
    return Promise.all([ids, defs]).then(() => {});
  }

  /** Bytes of segment files on disk (for tests and stats). */
  diskBytes(): number {
    let n = 0;
    for (const seg of this.segs.keys()) {
      try {
        n += statSync(join(this.dir, segmentName(seg))).size;
      } catch {
        /* deleted meanwhile */
      }
    }
    return n;
  }

  get segmentCount(): number {
    return this.segs.size;
  }

  async close(): Promise<void> {
    await this.log.drain();
    this.closed = true;
    this.log.closeSync();
    try {
      this.writeIds();
    } catch (e) {
      this.logger.error({ err: e }, 'could not write queues.json');
    }
    this.ids.close();
    for (const s of this.segs.values()) if (s.readFd >= 0) closeSync(s.readFd);
  }

  // ---- recovery --------------------------------------------------------------------------------

  /** A sealed segment through its index; false when there is none or it is damaged (then: scan). */
  private recoverFromIndex(seg: number, state: SegState, rec: Map<number, Recovering>): boolean {
    let raw: Buffer;
    try {
      raw = readFileSync(join(this.dir, indexName(seg)));
    } catch {
      return false;
    }
    const idx = readIndex(raw);
    if (idx === null) {
      this.logger.warn({ seg }, 'damaged segment index; scanning the segment');
      return false;
    }
    const b = idx.buf;
    for (let i = 0, p = 0; i < idx.count; i++, p += ENTRY) {
      const r = rec.get(b.readUInt32LE(p + 1));
      if (r === undefined) continue;
      const type = b[p]!;
      const seq = b.readDoubleLE(p + 5);
      if (type === REC_PUBLISH) {
        if (seq + 1 > r.nextSeq) r.nextSeq = seq + 1;
        if ((b[p + 21]! & 1) !== 0) r.pubs.push(seq, seg, b.readUInt32LE(p + 13), b.readUInt32LE(p + 17), T_PERSISTENT);
      } else {
        if (type === REC_REMOVE) r.removed.push(seq);
        else if (type === REC_DELIVERED) r.delivered.push(seq);
        const ref = b.readUInt32LE(p + 22);
        if (ref !== seg) (state.refs ??= new Set()).add(ref);
      }
    }
    return true;
  }

  /** Scan every segment, rebuild each durable queue's contents; returns the last segment number. */
  private recover(): number {
    const t0 = Date.now();
    const files = readdirSync(this.dir)
      .filter((f) => /^\d{8}\.seg$/.test(f))
      .sort();
    // the queues being recovered, by id
    const rec = new Map<number, Recovering>();
    const live = new Map<number, Queue>();
    for (const v of this.broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        if (!q.durable || q.exclusiveOwner !== null) continue;
        const id = this.ids.get(v.name, q.name);
        if (id !== undefined) {
          live.set(id, q);
          rec.set(id, new Recovering());
        }
      }
    }
    // ids of queues that no longer exist are dropped
    for (const [vhost, name, id] of [...this.ids.entries()]) if (!live.has(id)) this.ids.remove(vhost, name, id);
    let last = 0;
    let tornBytes = 0;
    for (let fi = 0; fi < files.length; fi++) {
      const f = files[fi]!;
      const seg = Number(f.slice(0, 8));
      last = Math.max(last, seg);
      const path = join(this.dir, f);
      const state = new SegState();
      this.segs.set(seg, state);
      if (fi < files.length - 1 && this.recoverFromIndex(seg, state, rec)) continue;
      const b = readFileSync(path);
      if (b.length < MAGIC.length || !b.subarray(0, MAGIC.length).equals(MAGIC)) {
        // a segment whose creation was cut short; it holds nothing
        if (b.length > MAGIC.length) throw new Error(`${path} is not a Warren message segment; refusing to start`);
        continue;
      }
      let at = MAGIC.length;
      const end = b.length;
      // the scanned segment gets an index, so the next recovery need not scan it again
      const index = new IndexBuffer();
      while (at < end) {
        const n = frameAt(b, at, end, true);
        if (n < 0) break;
        const id = recQueue(b, at);
        const r = rec.get(id);
        if (r !== undefined) {
          const type = recType(b, at);
          const seq = recSeq(b, at);
          if (type === REC_PUBLISH) {
            if (seq + 1 > r.nextSeq) r.nextSeq = seq + 1;
            const persistent = recPersistent(b, at);
            if (persistent) r.pubs.push(seq, seg, at, n, T_PERSISTENT);
            index.add(type, id, seq, at, n, persistent ? 1 : 0, 0);
          } else {
            if (type === REC_REMOVE) r.removed.push(seq);
            else if (type === REC_DELIVERED) r.delivered.push(seq);
            const ref = recSeg(b, at);
            if (ref !== seg) (state.refs ??= new Set()).add(ref);
            index.add(type, id, seq, 0, 0, 0, ref);
          }
        }
        at += n;
      }
      if (at < end) {
        // torn write: everything from here on is discarded; nothing before it is lost
        tornBytes += end - at;
        this.logger.warn({ segment: f, offset: at, bytes: end - at }, 'discarding torn tail of message segment');
        const fd = openSync(path, 'r+');
        try {
          ftruncateSync(fd, at);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
      try {
        writeFileSync(join(this.dir, indexName(seg)), index.take());
      } catch (e) {
        this.logger.warn({ err: e }, 'could not write segment index');
      }
    }
    let messages = 0;
    for (const [id, r] of rec) {
      const q = live.get(id)!;
      const tail = r.finish((seg) => this.segs.get(seg)!.live++);
      messages += tail.length;
      q.attachBacking(new FileQueueBacking(this, id, tail, q.vhost, q.name), r.nextSeq);
    }
    this.recovery = {
      segments: files.length,
      messages,
      queues: rec.size,
      tornBytes,
      ms: Date.now() - t0,
    };
    return last;
  }
}

function indexName(seg: number): string {
  return String(seg).padStart(8, '0') + '.idx';
}

/** A growable Float64Array (acks and deliveries seen during recovery). */
class F64List {
  a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  sorted(): Float64Array {
    return this.a.subarray(0, this.n).sort();
  }
}

/** One queue's records during recovery. */
class Recovering {
  readonly pubs = new PagedTail();
  readonly removed = new F64List();
  readonly delivered = new F64List();
  nextSeq = 0;

  /** The surviving messages in order: publishes minus removes, delivered ones marked redelivered. */
  finish(countLive: (seg: number) => void): PagedTail {
    const rm = this.removed.sorted();
    const dl = this.delivered.sorted();
    const out = new PagedTail();
    let ri = 0;
    let di = 0;
    const p = this.pubs;
    while (p.length !== 0) {
      const seq = p.peekSeq();
      while (ri < rm.length && rm[ri]! < seq) ri++;
      if (ri < rm.length && rm[ri] === seq) {
        p.shift();
        continue;
      }
      while (di < dl.length && dl[di]! < seq) di++;
      const redelivered = di < dl.length && dl[di] === seq;
      const seg = p.peekSeg();
      out.push(seq, seg, p.peekOff(), p.peekLen(), p.peekFlags() | (redelivered ? T_REDELIVERED : 0));
      countLive(seg);
      p.shift();
    }
    return out;
  }
}

/** The storage side of one durable queue. */
export class FileQueueBacking implements QueueBacking {
  private dead = false;
  private readonly scratch: QueuedMessage[] = [];

  constructor(
    private readonly store: FileMessageStore,
    readonly id: number,
    private readonly tail: PagedTail,
    private readonly vhost: string,
    private readonly name: string,
  ) {}

  get tailLength(): number {
    return this.tail.length;
  }

  get tailBytes(): number {
    return this.tail.bytes;
  }

  enqueued(e: QueuedMessage): void {
    if (e.msg.persistent) this.store.appendPublish(this, e, true);
  }

  delivered(e: QueuedMessage): void {
    if (e.seg >= 0 && !this.dead && e.msg.persistent) this.store.mark(REC_DELIVERED, this, e.seq, e.seg);
  }

  removed(e: QueuedMessage): void {
    const seg = e.seg;
    if (seg < 0) return;
    e.seg = -1;
    if (!this.dead && e.msg.persistent) this.store.mark(REC_REMOVE, this, e.seq, seg);
    this.store.release(seg);
  }

  pageOut(e: QueuedMessage): void {
    // a transient message is written too (not as persistent: it is dropped at restart), so that a
    // backlog of any kind lives on disk
    if (e.seg < 0) this.store.appendPublish(this, e, false);
    this.tail.push(
      e.seq,
      e.seg,
      e.off,
      e.len,
      (e.redelivered ? T_REDELIVERED : 0) | (e.msg.persistent ? T_PERSISTENT : 0),
    );
  }

  pageIn(max: number): QueuedMessage[] {
    const out = this.scratch;
    out.length = 0;
    this.store.pageIn(this.tail, max, out);
    return out;
  }

  clearTail(): number {
    const n = this.tail.length;
    const dead = this.dead;
    this.tail.forEach((seq, seg, flags) => {
      if (!dead && (flags & T_PERSISTENT) !== 0) this.store.mark(REC_REMOVE, this, seq, seg);
      this.store.release(seg);
    });
    this.tail.clear();
    return n;
  }

  queueDeleted(): void {
    this.dead = true;
    this.store.forget(this, this.vhost, this.name);
  }
}
