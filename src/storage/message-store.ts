// Message durability for the file store: one append-only segment log for all durable queues (log/), a queue
// id per durable queue (queue-ids.ts: queues.json and its journal), and per queue a FileQueueBacking
// (messages/queue-backing.ts) that logs persistent messages, their first delivery and their removal, and holds
// the queue's tail on disk as compact positions (log/tail.ts), read back off the event loop (messages/page-reader.ts).
// Why a shared segment log with per-queue positions (RabbitMQ's message store + queue index, LavinMQ's
// segments): appends are sequential whatever the number of queues, one fsync covers every queue (group
// commit), and a queue's backlog costs ~21 bytes of memory a message. A segment is deleted once none of its
// messages is live and no older segment needs its REMOVE records; compaction (messages/compactor.ts) copies
// live records forward so that disk stays bounded by live data.
import { closeSync, mkdirSync, unlink } from './io.js';
import { removeSegmentFile } from './log/segment-removal.js';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import { QueuedMessage, type ContentFormat } from '../core/message.js';
import type { MessageStore, SyncWaiter } from '../core/queue/backing.js';
import type { Queue } from '../core/queue/queue.js';
import type { Logger } from '../util/logger.js';
import { REC_PUBLISH, REC_REF } from './log/record.js';
import { SegmentLog, segmentName, type LogEvents } from './log/segment-log.js';
import { writeIndex } from './log/segment-index.js';
import { SegmentIndexer } from './log/segment-indexer.js';
import { PagedTail, type Moved } from './log/tail.js';
import { Compactor, type CompactionHost } from './messages/compactor.js';
import { Forwarding } from './messages/forwarding.js';
import { PageReader, type ReaderHost } from './messages/page-reader.js';
import { FileQueueBacking, type BackingStore } from './messages/queue-backing.js';
import { indexName, recover, type RecoveryStats } from './messages/recovery.js';
import { SegState } from './messages/seg-state.js';
import { QueueIds } from './queue-ids.js';
import { fileEvents, fileChanged, reportRemoved } from '../util/file-events.js';
import { Confirms } from './confirm-gate.js';

export type { RecoveryStats } from './messages/recovery.js';
export { FileQueueBacking } from './messages/queue-backing.js';

export interface StoreHooks {
  /** Flush pending definitions before an fsync (a confirmed message's queue must survive too). */
  beforeSync(): Promise<void> | null;
  /** Disk alarm from write errors: true to block publishers, false to release. */
  ioFailure(err: Error | null): void;
}

export class FileMessageStore implements MessageStore, LogEvents, BackingStore, ReaderHost, CompactionHost {
  appended = 0;
  diskWrites = 0;
  diskReads = 0;
  readonly confirms = new Confirms();
  readonly segs = new Map<number, SegState>();
  readonly backings = new Map<number, FileQueueBacking>();
  private readonly ids: QueueIds;
  readonly log: SegmentLog;
  readonly reader: PageReader;
  readonly compactor: Compactor;
  /** Index entries of the current segment, written as its .idx when it is sealed (full, partial or none). */
  private readonly index: SegmentIndexer;
  /** Records compaction moved that memory may still name. */
  readonly fwd = new Forwarding();
  closed = false;
  /** The last persistent PUBLISH appended: a copy of the same message for another queue becomes a REF. */
  private last: object | null = null;
  private lastSeg = -1;
  private lastOff = 0;
  private lastLen = 0;
  private lastOwner = 0;
  recovery: RecoveryStats = { segments: 0, messages: 0, queues: 0, tornBytes: 0, ms: 0 };

  /** Open the message directory, recover every durable queue of `broker` from it. */
  constructor(
    readonly dir: string,
    readonly logger: Logger,
    readonly formats: Map<string, ContentFormat>,
    private readonly hooks: StoreHooks,
    readonly segmentSize: number,
    broker: Broker,
  ) {
    const t0 = Date.now();
    mkdirSync(dir, { recursive: true });
    this.ids = new QueueIds(dir);
    this.ids.load();
    this.index = new SegmentIndexer(segmentSize / 2);
    this.reader = new PageReader(this);
    this.compactor = new Compactor(this);
    // the durable queues to recover, by id; ids of queues that no longer exist are dropped
    const queues = new Map<number, Queue>();
    for (const v of broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        if (!q.durable || q.exclusiveOwner !== null || q.type === 'stream') continue;
        const id = this.ids.get(v.name, q.name);
        if (id !== undefined) queues.set(id, q);
      }
    }
    for (const [vhost, name, id] of [...this.ids.entries()]) if (!queues.has(id)) this.ids.remove(vhost, name, id);
    const r = recover(dir, queues.keys(), this.segs, logger);
    for (const [id, t] of r.tails) {
      const q = queues.get(id)!;
      const b = new FileQueueBacking(this, id, t.tail, q.vhost, q.name);
      this.backings.set(id, b);
      q.attachBacking(b, t.nextSeq);
    }
    this.recovery = r.stats;
    this.log = new SegmentLog(dir, r.last + 1, this, segmentSize);
    this.segs.set(this.log.segNo, new SegState());
    // durable queues restored from definitions that never had an id (never held a message) get one now
    for (const v of broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        if (!q.durable || q.exclusiveOwner !== null || q.type === 'stream') continue;
        if (!this.ids.has(v.name, q.name)) this.attach(q);
      }
    }
    // segments with nothing live go now; the rest may be worth compacting
    for (const n of [...this.segs.keys()]) this.tryDelete(n);
    this.compactor.kick();
    this.recovery.ms = Date.now() - t0;
  }

  /** Confirms may go out up to this ticket: fsynced here (and on followers: `confirms.gate`). */
  get synced(): number {
    return this.confirms.confirmed;
  }

  get headSeg(): number {
    return this.log.segNo;
  }

  addSyncWaiter(w: SyncWaiter): void {
    this.confirms.waiters.add(w);
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
    this.backings.set(id, b);
    q.attachBacking(b, 0);
    this.log.schedule();
  }

  forget(b: FileQueueBacking, vhost: string, name: string): void {
    this.backings.delete(b.id);
    if (this.ids.get(vhost, name) !== b.id) return;
    this.ids.remove(vhost, name, b.id);
    this.log.schedule();
  }

  // ---- appending -------------------------------------------------------------------------------

  /** Roll the log when the segment is full; the sealed segment's index is written. */
  private roll(): void {
    const log = this.log;
    const before = log.segNo;
    const size = log.nextOff;
    log.roll();
    if (log.segNo !== before) this.rolled(before, size);
  }

  private readonly onDisk = (seg: number): boolean => this.segs.has(seg);
  // (apart from roll, which every record calls: the closure below would cost it a context a call)
  private rolled(before: number, size: number): void {
    const state = this.seg(before);
    state.size = size;
    this.segs.set(this.log.segNo, new SegState());
    // the index is written on the thread pool (it can be tens of MB): until it is renamed into place,
    // compaction and recovery scan the segment instead, as they do for a missing index
    const idx = this.index.seal(before, size, this.onDisk);
    if (idx === null) return this.compactor.kick();
    state.idxSize = idx.bytes;
    state.indexing = true;
    const path = join(this.dir, indexName(before));
    writeIndex(path, idx.parts, (err) => {
      state.indexing = false;
      this.compactor.kick();
      if (err !== null) this.logger.warn({ err }, 'could not write segment index (recovery will scan the segment)');
      else if (state.gone)
        unlink(path, () => undefined); // the segment went while its index was being written
      else if (fileEvents.active) fileChanged(path);
    });
  }

  appendPublish(b: FileQueueBacking, e: QueuedMessage, persistent: boolean): void {
    const log = this.log;
    this.roll();
    const seg = log.segNo;
    const m = e.msg;
    // the same message routed to another durable queue: its body is stored once (RabbitMQ's shared
    // message store does this above 4 KiB; a REF is 34 bytes, cheaper than any PUBLISH)
    if (persistent && m === this.last && seg === this.lastSeg && this.seg(seg).isLive(this.lastOff)) {
      e.seg = seg;
      e.off = this.lastOff;
      e.len = this.lastLen;
      this.appendRef(b.id, e.seq, this.lastOff, this.lastLen, this.lastOwner);
      this.diskWrites++;
      return;
    }
    const off = log.nextOff;
    const len = log.buf.publish(
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
    e.len = len;
    e.seg = seg;
    e.off = off;
    this.index.add(REC_PUBLISH, b.id, e.seq, off, len, persistent ? 1 : 0, 0);
    this.diskWrites++;
    this.seg(seg).setLive(off, len);
    if (persistent) {
      log.bufTicket = ++this.appended;
      this.last = m;
      this.lastSeg = seg;
      this.lastOff = off;
      this.lastLen = len;
      this.lastOwner = b.id;
      log.scheduleSync();
    } else log.schedule();
  }

  /** A REF to the PUBLISH at bodyOff of the current segment (never rolls: a REF shares its PUBLISH's segment). */
  appendRef(queue: number, seq: number, bodyOff: number, bodyLen: number, owner: number): void {
    const log = this.log;
    log.buf.ref(queue, seq, true, bodyOff, bodyLen, owner);
    this.index.add(REC_REF, queue, seq, bodyOff, bodyLen, 1, owner);
    this.seg(log.segNo).hold(bodyOff, bodyLen, queue, owner);
    log.bufTicket = ++this.appended;
    log.scheduleSync();
  }

  /** A PUBLISH copied as it is (compaction); the caller says who holds it (`state(seg).hold`). */
  appendCopy(queue: number, seq: number, persistent: boolean, src: Buffer, at: number, len: number): Moved {
    const log = this.log;
    this.roll();
    const seg = log.segNo;
    const off = log.nextOff;
    log.buf.raw(src, at, len);
    this.index.add(REC_PUBLISH, queue, seq, off, len, persistent ? 1 : 0, 0);
    log.bufTicket = ++this.appended;
    log.schedule();
    return { seg, off };
  }

  mark(type: number, b: FileQueueBacking, seq: number, seg: number): void {
    this.appendMark(type, b.id, seq, seg);
  }

  appendMark(type: number, queue: number, seq: number, target: number): number {
    const log = this.log;
    this.roll();
    log.buf.mark(type, queue, seq, target);
    this.index.add(type, queue, seq, 0, 0, 0, target);
    if (target !== log.segNo) this.seg(log.segNo).addRef(target);
    log.schedule();
    return log.segNo;
  }

  /** State of a segment (the current one is created on first use after a rollover). */
  private seg(n: number): SegState {
    let s = this.segs.get(n);
    if (s === undefined) this.segs.set(n, (s = new SegState()));
    return s;
  }

  state(seg: number): SegState | undefined {
    return this.segs.get(seg);
  }

  // ---- moved records (compaction) ---------------------------------------------------------------

  forward(seg: number, moved: Map<number, Moved>): void {
    this.fwd.add(seg, moved);
  }

  resolve(e: QueuedMessage): void {
    if (!this.fwd.has(e.seg)) return;
    this.fwd.follow(e.seg, e.off);
    e.seg = this.fwd.seg;
    e.off = this.fwd.off;
  }

  /** Queue `queue` no longer needs a record; returns the segment it is in. */
  release(seg: number, off: number, len: number, queue: number): number {
    if (this.fwd.has(seg)) {
      this.fwd.follow(seg, off);
      seg = this.fwd.seg;
      off = this.fwd.off;
    }
    const s = this.segs.get(seg);
    if (s === undefined || !s.release(off, len, queue)) return seg;
    if (s.live === 0) this.tryDelete(seg);
    else if (s.sealed && s.liveBytes < s.size / 2) this.compactor.kick();
    return seg;
  }

  private tryDelete(seg: number): void {
    if (this.closed || seg === this.log.segNo || seg === this.compactor.busy) return;
    const s = this.segs.get(seg);
    if (s === undefined || s.live !== 0) return;
    if (s.refs !== null) {
      for (const r of s.refs.keys()) if (this.segs.has(r)) return this.compactor.kick();
    }
    this.deleteSegment(seg);
  }

  deleteSegment(seg: number): void {
    const s = this.segs.get(seg);
    if (s === undefined) return;
    this.segs.delete(seg);
    s.gone = true;
    s.closeIdle();
    this.index.forget(seg); // (its marks in the segment being written will never need copying)
    // on the thread pool, in steps (log/segment-removal.ts: one unlink stalls every fsync) unless a read still
    // runs on it. Segment numbers are never reused; a segment a crash leaves has no live record: recovery deletes it.
    const warn = (err: Error | null): void => void (err && this.logger.warn({ err, seg }, 'could not delete segment'));
    if (s.readFd < 0) removeSegmentFile(this.dir, segmentName(seg), warn);
    else unlink(join(this.dir, segmentName(seg)), warn);
    removeSegmentFile(this.dir, indexName(seg), () => undefined); // (an unlink of MBs stalled a fsync 26 ms)
    if (fileEvents.active) reportRemoved(join(this.dir, segmentName(seg)), join(this.dir, indexName(seg)));
    // younger segments kept only for this one's sake may go now
    for (const [n, o] of this.segs) if (o.live === 0 && o.refs !== null && o.refs.has(seg)) this.tryDelete(n);
  }

  /** A record that cannot be read back is skipped (logged) and no longer counted. */
  damaged(seg: number, off: number, len: number, queue: number): void {
    this.logger.error({ seg, off }, 'damaged or missing message record on disk skipped');
    this.release(seg, off, len, queue);
  }

  readFailed(err: Error): void {
    this.logger.error({ err }, 'could not read messages from disk; the queue serves what is in memory and retries');
  }

  /** A stream append must be durable before the next confirm (beforeSync waits for it): a new ticket. */
  touch(): void {
    this.log.bufTicket = ++this.appended;
    this.log.schedule();
  }

  whenDurable(fn: () => void): void {
    const t = (this.log.bufTicket = ++this.appended);
    this.log.schedule();
    this.confirms.after(t, fn);
  }

  // ---- group commit events ---------------------------------------------------------------------

  readonly onSyncStart = (): void => this.confirms.starting();
  readonly onSynced = (ticket: number): void => this.confirms.synced(ticket);

  sealed(seg: number): void {
    const s = this.segs.get(seg);
    if (s !== undefined) s.sealed = true;
    this.tryDelete(seg);
    this.compactor.kick();
  }

  failure(err: Error | null): void {
    if (err) this.logger.error({ err }, 'message store write failed: publishers blocked until it works again');
    else this.logger.warn('message store writes work again');
    this.hooks.ioFailure(err);
  }

  /** A write or fsync of this log or of a stream's failed: the confirms waiting now are refused (LogEvents). */
  readonly writeFailed = (): void => this.confirms.failed();

  beforeSync(): Promise<void> | null {
    const ids = this.ids.flush();
    const defs = this.hooks.beforeSync();
    if (ids === null) return defs;
    if (defs === null) return ids;
    return Promise.all([ids, defs]).then(() => {});
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
}
