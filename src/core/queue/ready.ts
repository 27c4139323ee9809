// A queue's ready messages. Two shapes behind one small interface, so the queue (and the durability work,
// which swaps the in-memory list for a segment log) only ever needs these operations: push, shift, peek,
// length, insert by seq (requeue), clear, bounded look-ahead, and byte accounting for x-max-length-bytes.
import { Deque } from '../../util/deque.js';
import type { QueuedMessage } from '../message.js';

export interface ReadyList extends Iterable<QueuedMessage> {
  readonly length: number;
  /** Sum of body sizes of the ready messages (RabbitMQ's message_bytes_ready). */
  readonly bytes: number;
  push(e: QueuedMessage): void;
  shift(): QueuedMessage | undefined;
  peek(): QueuedMessage | undefined;
  /** The i-th message in delivery order (bounded look-ahead past a head no consumer takes). */
  at(i: number): QueuedMessage | undefined;
  removeAt(i: number): QueuedMessage | undefined;
  /** Back to its place by seq (requeue). */
  insertBySeq(e: QueuedMessage): void;
  /** Earliest expiry among the heads (priority queues expire at each level's head), 0 when none. */
  headExpiry(): number;
  /** Remove and return a head that has expired by `now`, or undefined. */
  shiftExpired(now: number): QueuedMessage | undefined;
  clear(): void;
}

/** Ready messages of an ordinary queue: one ring buffer in publish order. */
export class FifoReady implements ReadyList {
  private readonly d = new Deque<QueuedMessage>();
  bytes = 0;

  get length(): number {
    return this.d.length;
  }

  push(e: QueuedMessage): void {
    this.d.push(e);
    this.bytes += e.msg.bodySize;
  }

  shift(): QueuedMessage | undefined {
    const e = this.d.shift();
    if (e !== undefined) this.bytes -= e.msg.bodySize;
    return e;
  }

  peek(): QueuedMessage | undefined {
    return this.d.peek();
  }

  at(i: number): QueuedMessage | undefined {
    return this.d.at(i);
  }

  removeAt(i: number): QueuedMessage | undefined {
    const e = this.d.removeAt(i);
    if (e !== undefined) this.bytes -= e.msg.bodySize;
    return e;
  }

  insertBySeq(e: QueuedMessage): void {
    this.bytes += e.msg.bodySize;
    // requeued messages are usually near the head: scan from there
    const d = this.d;
    const n = d.length;
    if (n === 0 || d.at(n - 1)!.seq < e.seq) return d.push(e);
    let i = 0;
    while (i < n && d.at(i)!.seq < e.seq) i++;
    d.insert(i, e);
  }

  headExpiry(): number {
    const h = this.d.peek();
    return h === undefined ? 0 : h.expiresAt;
  }

  shiftExpired(now: number): QueuedMessage | undefined {
    const h = this.d.peek();
    if (h === undefined || h.expiresAt === 0 || h.expiresAt > now) return undefined;
    return this.shift();
  }

  clear(): void {
    this.d.clear();
    this.bytes = 0;
  }

  [Symbol.iterator](): Iterator<QueuedMessage> {
    return this.d[Symbol.iterator]();
  }
}
