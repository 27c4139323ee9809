// A queue's ready messages in order: an in-memory window (a ring buffer of QueuedMessage) and, for a durable
// queue on a file store, the rest on disk behind its QueueBacking. The window is the head; the disk tail is
// always the newer suffix, so requeues (which go back by seq, and were once in the window) land in memory.
// Without a backing this is a plain Deque and costs one null check per operation (the in-memory hot path).
import { Deque } from '../../util/deque.js';
import type { QueuedMessage } from '../message.js';
import type { QueueBacking } from './backing.js';

/** The window: messages beyond this count or these bytes go to the disk tail. */
const WINDOW_COUNT = 4096;
const WINDOW_BYTES = 16 * 1024 * 1024;
/** Refill from disk when the window falls under this, up to REFILL messages at a time. */
const REFILL_LOW = 1024;
const REFILL = 2048;

export class ReadyList {
  private readonly mem = new Deque<QueuedMessage>();
  /** Body bytes of the in-memory window. */
  memBytes = 0;
  backing: QueueBacking | null = null;

  /** Ready messages, in memory and on disk. */
  get length(): number {
    return this.backing === null ? this.mem.length : this.mem.length + this.backing.tailLength;
  }

  /** Ready messages in the in-memory window (the only ones `at`/`insert`/`removeAt` address). */
  get memLength(): number {
    return this.mem.length;
  }

  push(e: QueuedMessage): void {
    const b = this.backing;
    if (b !== null && (b.tailLength !== 0 || this.mem.length >= WINDOW_COUNT || this.memBytes >= WINDOW_BYTES)) {
      b.pageOut(e);
      return;
    }
    this.mem.push(e);
    this.memBytes += e.msg.body.length;
  }

  shift(): QueuedMessage | undefined {
    if (this.backing !== null && this.mem.length <= REFILL_LOW) this.refill();
    const e = this.mem.shift();
    if (e !== undefined) this.memBytes -= e.msg.body.length;
    return e;
  }

  peek(): QueuedMessage | undefined {
    if (this.mem.length === 0 && this.backing !== null) this.refill();
    return this.mem.peek();
  }

  at(i: number): QueuedMessage | undefined {
    return this.mem.at(i);
  }

  /** Insert into the window at i (requeue by seq). */
  insert(i: number, e: QueuedMessage): void {
    this.mem.insert(i, e);
    this.memBytes += e.msg.body.length;
  }

  removeAt(i: number): QueuedMessage | undefined {
    const e = this.mem.removeAt(i);
    if (e !== undefined) this.memBytes -= e.msg.body.length;
    return e;
  }

  /** Drop everything; each in-memory message is passed to `each` (for the backing's removal records). */
  clear(each?: (e: QueuedMessage) => void): number {
    let n = this.mem.length;
    if (each) for (const e of this.mem) each(e);
    this.mem.clear();
    this.memBytes = 0;
    if (this.backing !== null) n += this.backing.clearTail();
    return n;
  }

  [Symbol.iterator](): IterableIterator<QueuedMessage> {
    return this.mem[Symbol.iterator]();
  }

  private refill(): void {
    const b = this.backing!;
    if (b.tailLength === 0) return;
    const es = b.pageIn(REFILL);
    for (const e of es) {
      this.mem.push(e);
      this.memBytes += e.msg.body.length;
    }
  }
}
