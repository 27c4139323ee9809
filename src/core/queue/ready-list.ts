// A queue's ready messages in order: an in-memory window (a ring buffer of QueuedMessage) and, for a durable
// queue on a file store, the rest on disk behind its QueueBacking. The window is the head; the disk tail is
// always the newer suffix, so requeues (which go back by seq, and were once in the window) land in memory.
// Used only for FIFO durable queues on a file store; in-memory queues keep FifoReady (ready.ts), untouched.
// The window is refilled ahead of need off the event loop (a consumer draining a backlog from disk never
// blocks other connections); only a caller that needs a message now from an empty window (basic.get) reads
// synchronously.
import { Deque } from '../../util/deque.js';
import type { QueuedMessage } from '../message.js';
import type { QueueBacking } from './backing.js';
import type { ReadyList } from './ready.js';

/** The window: messages beyond this count or these bytes go to the disk tail. */
const WINDOW_COUNT = 4096;
const WINDOW_BYTES = 16 * 1024 * 1024;
/**
 * All disk-backed queues' windows together: past this, new messages go to disk even in queues under their
 * own window (1,000 queues x a full window would otherwise be gigabytes).
 */
const GLOBAL_BYTES = 256 * 1024 * 1024;
let backedBytes = 0;
/** What one in-memory message costs besides its body (objects, props), for the global budget. */
const OVERHEAD = 256;
/**
 * Refill from disk when the window falls under this, up to REFILL messages at a time. A batch is decoded
 * (CRC-checked and copied) in one callback on the loop, so it is kept small enough to take about a
 * millisecond; the thread pool reads the next one meanwhile. A short read-ahead also keeps the messages
 * young: read a few milliseconds before they are delivered, most die before V8's scavenger has to copy
 * them, and do not fill the old generation (whose collections pause every connection).
 */
const REFILL_LOW = 256;
const REFILL = 256;

export class PagedReady implements ReadyList {
  private readonly mem = new Deque<QueuedMessage>();
  /** Body bytes of the in-memory window. */
  memBytes = 0;

  /** Called for each message read back from disk (the queue sets its expiry again). */
  onPageIn: ((e: QueuedMessage) => void) | null = null;
  /** Messages read in the background arrived in the window (the queue dispatches). */
  onRefilled: (() => void) | null = null;
  private readonly arrived = (es: QueuedMessage[]): void => {
    this.take(es);
    if (es.length !== 0 && this.onRefilled !== null) this.onRefilled();
  };

  constructor(readonly backing: QueueBacking) {}

  /** Ready messages, in memory and on disk. */
  get length(): number {
    return this.mem.length + this.backing.tailLength;
  }

  /** Body bytes of the window plus the records on disk (x-max-length-bytes counts bodies: close enough). */
  get bytes(): number {
    return this.memBytes + this.backing.tailBytes;
  }

  insertBySeq(e: QueuedMessage): void {
    const d = this.mem;
    const n = d.length;
    let i = 0;
    if (n === 0 || d.at(n - 1)!.seq < e.seq) i = n;
    else while (i < n && d.at(i)!.seq < e.seq) i++;
    this.insert(i, e);
  }

  headExpiry(): number {
    const h = this.peek();
    return h === undefined ? 0 : h.expiresAt;
  }

  shiftExpired(now: number): QueuedMessage | undefined {
    const h = this.peek();
    if (h === undefined || h.expiresAt === 0 || h.expiresAt > now) return undefined;
    return this.shift();
  }

  /** Ready messages in the in-memory window (the only ones `at`/`insert`/`removeAt` address). */
  get memLength(): number {
    return this.mem.length;
  }

  push(e: QueuedMessage): void {
    const b = this.backing;
    if (
      b.tailLength !== 0 ||
      this.mem.length >= WINDOW_COUNT ||
      this.memBytes >= WINDOW_BYTES ||
      backedBytes >= GLOBAL_BYTES
    ) {
      b.pageOut(e);
      return;
    }
    this.mem.push(e);
    this.add(e);
  }

  private add(e: QueuedMessage): void {
    const n = e.msg.bodySize;
    this.memBytes += n;
    backedBytes += n + OVERHEAD;
  }

  private sub(e: QueuedMessage): void {
    const n = e.msg.bodySize;
    this.memBytes -= n;
    backedBytes -= n + OVERHEAD;
  }

  shift(): QueuedMessage | undefined {
    if (this.mem.length === 0) this.refillNow();
    const e = this.mem.shift();
    if (e !== undefined) this.sub(e);
    if (this.mem.length <= REFILL_LOW) this.prefetch();
    return e;
  }

  /** The head, or undefined while it is being read from disk (onRefilled follows). */
  peek(): QueuedMessage | undefined {
    if (this.mem.length <= REFILL_LOW) this.prefetch();
    return this.mem.peek();
  }

  at(i: number): QueuedMessage | undefined {
    return this.mem.at(i);
  }

  /** Insert into the window at i (requeue by seq). */
  insert(i: number, e: QueuedMessage): void {
    this.mem.insert(i, e);
    this.add(e);
  }

  removeAt(i: number): QueuedMessage | undefined {
    const e = this.mem.removeAt(i);
    if (e !== undefined) this.sub(e);
    return e;
  }

  /** Drop everything; each in-memory message is passed to `each` (for the backing's removal records). */
  clear(): void {
    this.clearWith();
  }

  clearWith(each?: (e: QueuedMessage) => void): number {
    let n = this.mem.length;
    if (each) for (const e of this.mem) each(e);
    backedBytes -= this.memBytes + n * OVERHEAD;
    this.mem.clear();
    this.memBytes = 0;
    n += this.backing.clearTail();
    return n;
  }

  [Symbol.iterator](): Iterator<QueuedMessage> {
    return this.mem[Symbol.iterator]();
  }

  /** Over the global budget, a queue still gets a few so it never starves. */
  private get batch(): number {
    return backedBytes >= GLOBAL_BYTES ? 64 : REFILL;
  }

  /** Start reading the next batch in the background (nothing if one is in flight). */
  private prefetch(): void {
    if (this.backing.tailLength !== 0) this.backing.pageInAsync(this.batch, this.arrived);
  }

  /** Read the next batch now (the one in flight included). */
  private refillNow(): void {
    if (this.backing.tailLength !== 0) this.take(this.backing.pageIn(this.batch));
  }

  private take(es: QueuedMessage[]): void {
    const f = this.onPageIn;
    for (const e of es) {
      if (f !== null) f(e);
      this.mem.push(e);
      this.add(e);
    }
  }
}
