// Priority queues (x-max-priority 1..255): one ready list per priority level, highest served first, FIFO
// within a level (rabbit_priority_queue). A message's priority property above the maximum counts as the
// maximum; no priority property counts as 0. Requeue returns a message to its place in its own level.
import type { QueuedMessage } from '../message.js';
import { FifoReady, type ReadyList } from './ready.js';

export class PriorityReady implements ReadyList {
  /** levels[p] holds priority p. */
  private readonly levels: FifoReady[] = [];
  private len = 0;
  bytes = 0;

  constructor(readonly maxPriority: number) {
    for (let p = 0; p <= maxPriority; p++) this.levels.push(new FifoReady());
  }

  get length(): number {
    return this.len;
  }

  private level(e: QueuedMessage): FifoReady {
    const p = e.msg.priority;
    return this.levels[p > this.maxPriority ? this.maxPriority : p]!;
  }

  push(e: QueuedMessage): void {
    this.level(e).push(e);
    this.len++;
    this.bytes += e.msg.bodySize;
  }

  private top(): FifoReady | undefined {
    if (this.len === 0) return undefined;
    for (let p = this.maxPriority; p >= 0; p--) if (this.levels[p]!.length !== 0) return this.levels[p];
    return undefined;
  }

  private taken(e: QueuedMessage | undefined): QueuedMessage | undefined {
    if (e !== undefined) {
      this.len--;
      this.bytes -= e.msg.bodySize;
    }
    return e;
  }

  shift(): QueuedMessage | undefined {
    return this.taken(this.top()?.shift());
  }

  peek(): QueuedMessage | undefined {
    return this.top()?.peek();
  }

  at(i: number): QueuedMessage | undefined {
    for (let p = this.maxPriority; p >= 0; p--) {
      const l = this.levels[p]!;
      if (i < l.length) return l.at(i);
      i -= l.length;
    }
    return undefined;
  }

  removeAt(i: number): QueuedMessage | undefined {
    for (let p = this.maxPriority; p >= 0; p--) {
      const l = this.levels[p]!;
      if (i < l.length) return this.taken(l.removeAt(i));
      i -= l.length;
    }
    return undefined;
  }

  insertBySeq(e: QueuedMessage): void {
    this.level(e).insertBySeq(e);
    this.len++;
    this.bytes += e.msg.bodySize;
  }

  headExpiry(): number {
    let min = 0;
    for (const l of this.levels) {
      const x = l.headExpiry();
      if (x !== 0 && (min === 0 || x < min)) min = x;
    }
    return min;
  }

  shiftExpired(now: number): QueuedMessage | undefined {
    if (this.len === 0) return undefined;
    for (const l of this.levels) {
      const e = l.shiftExpired(now);
      if (e !== undefined) return this.taken(e);
    }
    return undefined;
  }

  clear(): void {
    for (const l of this.levels) l.clear();
    this.len = 0;
    this.bytes = 0;
  }

  *[Symbol.iterator](): Iterator<QueuedMessage> {
    for (let p = this.maxPriority; p >= 0; p--) yield* this.levels[p]!;
  }
}
