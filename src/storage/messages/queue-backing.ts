// The storage side of one durable queue (core/queue/backing.ts): persistent messages are logged at enqueue,
// marked at first delivery and at removal; the queue's backlog beyond its in-memory window is held as
// positions (log/tail.ts) and read back in batches, on the thread pool while the window still has
// messages (prefetch), synchronously only when a caller needs a message now and the window is empty.
import type { QueuedMessage } from '../../core/message.js';
import type { QueueBacking } from '../../core/queue/backing.js';
import { REC_DELIVERED, REC_REMOVE } from '../log/record.js';
import { PagedTail, T_PERSISTENT, tailFlags } from '../log/tail.js';
import type { PageBatch, PageReader } from './page-reader.js';

/** What a backing needs of the store (message-store.ts implements it). */
export interface BackingStore {
  readonly reader: PageReader;
  appendPublish(b: FileQueueBacking, e: QueuedMessage, persistent: boolean): void;
  mark(type: number, b: FileQueueBacking, seq: number, seg: number): void;
  /** Follow compaction's moves for `e` (its seg/off are updated). */
  resolve(e: QueuedMessage): void;
  /** Queue `queue` no longer needs a record: `seg`/`off` as it knows them (moves are followed). Returns the real segment. */
  release(seg: number, off: number, len: number, queue: number): number;
  forget(b: FileQueueBacking, vhost: string, name: string): void;
  /** A read of the backlog failed (logged). */
  readFailed(err: Error): void;
}

/** After a failed read of the backlog, the next try (and the batch it reads). */
const READ_RETRY_MS = 250;
const READ_RETRY_BATCH = 2048;

export class FileQueueBacking implements QueueBacking {
  private dead = false;
  private readonly scratch: QueuedMessage[] = [];
  /** The batch being read on the thread pool, taken from the head of the tail. */
  private batch: PageBatch | null = null;
  /** Where background reads deliver (the ready list's refill), and the retry after a failed read. */
  private arrived: ((es: QueuedMessage[]) => void) | null = null;
  private retry: NodeJS.Timeout | null = null;
  private failing = false;

  constructor(
    private readonly store: BackingStore,
    readonly id: number,
    readonly tail: PagedTail,
    private readonly vhost: string,
    private readonly name: string,
  ) {}

  get tailLength(): number {
    return this.tail.length + (this.batch === null ? 0 : this.batch.count);
  }

  get tailBytes(): number {
    return this.tail.bytes + (this.batch === null ? 0 : this.batch.bytes);
  }

  get reading(): boolean {
    return this.batch !== null;
  }

  enqueued(e: QueuedMessage): void {
    if (e.msg.persistent) this.store.appendPublish(this, e, true);
  }

  delivered(e: QueuedMessage): void {
    if (e.seg < 0 || this.dead || !e.msg.persistent) return;
    this.store.resolve(e);
    this.store.mark(REC_DELIVERED, this, e.seq, e.seg);
  }

  removed(e: QueuedMessage): void {
    if (e.seg < 0) return;
    this.store.resolve(e);
    const seg = e.seg;
    e.seg = -1;
    if (!this.dead && e.msg.persistent) this.store.mark(REC_REMOVE, this, e.seq, seg);
    this.store.release(seg, e.off, e.len, this.id);
  }

  pageOut(e: QueuedMessage): void {
    // a transient message is written too (not as persistent: it is dropped at restart), so that a
    // backlog of any kind lives on disk
    if (e.seg < 0) this.store.appendPublish(this, e, false);
    else this.store.resolve(e);
    this.tail.push(e.seq, e.seg, e.off, e.len, tailFlags(e.redelivered, e.msg.persistent, e.deliveryCount));
  }

  /** Synchronously: the batch in flight first (it is older), then more from the tail. */
  pageIn(max: number): QueuedMessage[] {
    const out = this.scratch;
    out.length = 0;
    const r = this.store.reader;
    try {
      const b = this.batch;
      if (b !== null) {
        this.batch = null;
        r.readSync(b, out);
      }
      if (out.length < max && this.tail.length !== 0) {
        const b2 = r.plan(this.tail, max - out.length, this.id);
        try {
          r.readSync(b2, out);
        } catch (e) {
          this.unshiftBatch(b2);
          throw e;
        }
      }
    } catch (e) {
      this.failed(e as Error);
    }
    return out;
  }

  /**
   * A read of the backlog failed (EIO): the positions are back at the head of the tail, nothing is lost or
   * skipped; the queue serves what it holds in memory and tries the disk again every READ_RETRY_MS, and
   * the messages arrive (in order) once a read works. RabbitMQ's classic queue crashes on a read error
   * instead (its consumers get basic.cancel, the queue restarts from disk and fails again while the disk
   * does); keeping the queue and its consumers is what a consumer can live with.
   */
  private failed(err: Error): void {
    // logged once per outage: the retries every READ_RETRY_MS would flood the log
    if (!this.failing) this.store.readFailed(err);
    this.failing = true;
    if (this.retry !== null || this.dead) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      const done = this.arrived;
      if (done !== null && !this.dead) this.pageInAsync(READ_RETRY_BATCH, done);
    }, READ_RETRY_MS);
    this.retry.unref();
  }

  /**
   * Read up to `max` from the head of the tail on the thread pool; `done` gets them (in order) unless a
   * synchronous pageIn or clearTail took the batch meanwhile. False when a read is already in flight.
   */
  pageInAsync(max: number, done: (es: QueuedMessage[]) => void): boolean {
    if (this.batch !== null || this.tail.length === 0) return false;
    this.readAsync(max, done);
    return true;
  }

  // (apart from pageInAsync, which the dispatch of every message calls: a closure written in a method costs a
  // context allocated on every call, taken branch or not; segment-log.ts schedule)
  private readAsync(max: number, done: (es: QueuedMessage[]) => void): void {
    this.arrived = done;
    const b = this.store.reader.plan(this.tail, max, this.id);
    this.batch = b;
    this.store.reader.readAsync(b, (err, es) => {
      if (this.batch !== b) return;
      this.batch = null;
      if (err !== null) {
        // put the positions back at the head: nothing is lost, the queue retries later
        this.unshiftBatch(b);
        this.failed(err);
        return done([]);
      }
      this.failing = false;
      done(es);
    });
  }

  private unshiftBatch(b: PageBatch): void {
    const t = new PagedTail();
    for (let i = 0; i < b.count; i++) t.push(b.seq[i]!, b.seg[i]!, b.off[i]!, b.len[i]!, b.flags[i]!);
    this.tail.forEachFull((seq, seg, off, len, flags) => t.push(seq, seg, off, len, flags));
    this.tail.clear();
    t.forEachFull((seq, seg, off, len, flags) => this.tail.push(seq, seg, off, len, flags));
  }

  clearTail(): number {
    let n = this.tail.length;
    const drop = (seq: number, seg: number, off: number, len: number, flags: number): void => {
      const real = this.store.release(seg, off, len, this.id);
      if (!this.dead && (flags & T_PERSISTENT) !== 0) this.store.mark(REC_REMOVE, this, seq, real);
    };
    const b = this.batch;
    if (b !== null) {
      this.batch = null;
      b.superseded = true;
      b.release();
      n += b.count;
      for (let i = 0; i < b.count; i++) drop(b.seq[i]!, b.seg[i]!, b.off[i]!, b.len[i]!, b.flags[i]!);
    }
    this.tail.forEachFull(drop);
    this.tail.clear();
    return n;
  }

  queueDeleted(): void {
    this.dead = true;
    if (this.retry !== null) clearTimeout(this.retry);
    this.store.forget(this, this.vhost, this.name);
  }
}
