// A channel's unacked deliveries by delivery tag, in tag order: what a Map<number, V> gave, without its
// hash table. Tags are handed out in increasing order and mostly settled in that order (multiple acks), so
// a ring (util/deque.ts) of slots from the oldest unacked tag to the newest holds them with no allocation per
// delivery: a Map rebuilt its table every few hundred set/delete pairs as it filled with deleted entries, and
// at 100k+ deliveries a second those tables lived long enough to be promoted and collected by mark-compacts
// (the off-loop drain, BENCHMARKS.md). A ring that would span far more tags than it holds (one delivery kept
// unacked while millions pass) turns into a Map until it is empty again, so memory stays bounded by what is
// unacked, as with the Map.
import { Deque } from './deque.js';

/** A ring spanning more than this many tags, and SPARSE_FACTOR times what it holds, becomes a Map. */
const SPARSE_SPAN = 65536;
const SPARSE_FACTOR = 8;

export class TagMap<V> {
  /** Slot i holds tag base + i (undefined: settled, or never tracked); slot 0 is always held when not empty. */
  private readonly ring = new Deque<V | undefined>();
  private base = 0;
  private sparse: Map<number, V> | null = null;
  size = 0;

  /** Add `v` under `tag`, which is greater than every tag added before. */
  set(tag: number, v: V): void {
    if (this.sparse === null) {
      if (this.size === 0) this.base = tag;
      const i = tag - this.base;
      if (i < SPARSE_SPAN || i < SPARSE_FACTOR * (this.size + 1)) {
        while (this.ring.length < i) this.ring.push(undefined);
        this.ring.push(v);
        this.size++;
        return;
      }
      this.toSparse();
    }
    this.sparse!.set(tag, v);
    this.size++;
  }

  get(tag: number): V | undefined {
    return this.sparse !== null ? this.sparse.get(tag) : this.ring.at(tag - this.base);
  }

  has(tag: number): boolean {
    return this.get(tag) !== undefined;
  }

  delete(tag: number): boolean {
    if (this.sparse !== null) {
      if (!this.sparse.delete(tag)) return false;
      if (--this.size === 0) this.sparse = null;
      return true;
    }
    const i = tag - this.base;
    if (this.ring.at(i) === undefined) return false;
    this.ring.set(i, undefined);
    this.size--;
    // the oldest went: the ring starts at the next tag still held (empty once none is)
    while (this.ring.length !== 0 && this.ring.peek() === undefined) {
      this.ring.shift();
      this.base++;
    }
    return true;
  }

  /** The oldest value (lowest tag), or undefined. */
  first(): V | undefined {
    if (this.sparse !== null) {
      for (const v of this.sparse.values()) return v;
      return undefined;
    }
    return this.ring.peek();
  }

  /**
   * The values of tags up to `tag` (every one when `tag` is 0), in tag order: a multiple ack's. A loop over the
   * ring's slots; the generator below allocated an iterator result a delivery (~80 bytes a message acked).
   */
  upTo(tag: number): V[] {
    const out: V[] = [];
    if (this.sparse !== null) {
      for (const [t, v] of this.sparse) {
        if (tag !== 0 && t > tag) break;
        out.push(v);
      }
      return out;
    }
    const ring = this.ring;
    const n = tag === 0 ? ring.length : Math.min(ring.length, tag - this.base + 1);
    for (let i = 0; i < n; i++) {
      const v = ring.at(i);
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /** Values in tag order. Not to be changed while iterated (collect first, as Map users here do). */
  *values(): IterableIterator<V> {
    if (this.sparse !== null) {
      yield* this.sparse.values();
      return;
    }
    for (const v of this.ring) if (v !== undefined) yield v;
  }

  clear(): void {
    this.ring.clear();
    this.sparse = null;
    this.size = 0;
  }

  private toSparse(): void {
    const m = new Map<number, V>();
    let tag = this.base;
    for (const v of this.ring) {
      if (v !== undefined) m.set(tag, v);
      tag++;
    }
    this.sparse = m;
    this.ring.clear();
  }
}
