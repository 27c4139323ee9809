// A channel's unacked deliveries by delivery tag, in tag order: what a Map<number, V> gave, without its
// hash table. Tags are handed out in increasing order and mostly settled in that order (multiple acks), so
// a ring of slots from the oldest unacked tag to the newest holds them with no allocation per delivery: a
// Map rebuilt its table every few hundred set/delete pairs as it filled with deleted entries, and at 100k+
// deliveries a second those tables lived long enough to be promoted and collected by mark-compacts (the
// off-loop drain, BENCHMARKS.md). A ring that would span far more tags than it holds (one delivery kept
// unacked while millions pass) turns into a Map until it is empty again, so memory stays bounded by what is
// unacked, as with the Map.

/** A ring spanning more than this many tags, and SPARSE_FACTOR times what it holds, becomes a Map. */
const SPARSE_SPAN = 65536;
const SPARSE_FACTOR = 8;

export class TagMap<V> {
  private slots: (V | undefined)[] = new Array<V | undefined>(16);
  private mask = 15;
  /** Ring index of `base`, the oldest tag held (when size > 0). */
  private head = 0;
  private base = 0;
  /** Tags from base on that the ring covers (the newest held is base + span - 1). */
  private span = 0;
  private sparse: Map<number, V> | null = null;
  size = 0;

  /** Add `v` under `tag`, which is greater than every tag added before. */
  set(tag: number, v: V): void {
    if (this.sparse !== null) {
      this.sparse.set(tag, v);
      this.size++;
      return;
    }
    if (this.size === 0) {
      this.base = tag;
      this.span = 0;
      this.head = 0;
    }
    const i = tag - this.base;
    if (i >= this.slots.length) {
      if (i >= SPARSE_SPAN && i >= SPARSE_FACTOR * (this.size + 1)) {
        this.toSparse();
        this.sparse!.set(tag, v);
        this.size++;
        return;
      }
      this.grow(i + 1);
    }
    this.slots[(this.head + i) & this.mask] = v;
    this.span = i + 1;
    this.size++;
  }

  get(tag: number): V | undefined {
    if (this.sparse !== null) return this.sparse.get(tag);
    const i = tag - this.base;
    if (i < 0 || i >= this.span) return undefined;
    return this.slots[(this.head + i) & this.mask];
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
    if (i < 0 || i >= this.span) return false;
    const at = (this.head + i) & this.mask;
    if (this.slots[at] === undefined) return false;
    this.slots[at] = undefined;
    if (--this.size === 0) {
      this.span = 0;
      return true;
    }
    if (i === 0) {
      // the oldest went: the ring starts at the next tag still held
      let k = 0;
      do k++;
      while (this.slots[(this.head + k) & this.mask] === undefined);
      this.head = (this.head + k) & this.mask;
      this.base += k;
      this.span -= k;
    }
    return true;
  }

  /** The oldest value (lowest tag), or undefined. */
  first(): V | undefined {
    if (this.sparse !== null) {
      for (const v of this.sparse.values()) return v;
      return undefined;
    }
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  /** Values in tag order. Not to be changed while iterated (collect first, as Map users here do). */
  *values(): IterableIterator<V> {
    if (this.sparse !== null) {
      yield* this.sparse.values();
      return;
    }
    for (let i = 0; i < this.span; i++) {
      const v = this.slots[(this.head + i) & this.mask];
      if (v !== undefined) yield v;
    }
  }

  clear(): void {
    this.slots.fill(undefined);
    this.sparse = null;
    this.size = 0;
    this.span = 0;
    this.head = 0;
  }

  private grow(need: number): void {
    let cap = this.slots.length;
    while (cap < need) cap *= 2;
    const next = new Array<V | undefined>(cap);
    for (let i = 0; i < this.span; i++) next[i] = this.slots[(this.head + i) & this.mask];
    this.slots = next;
    this.mask = cap - 1;
    this.head = 0;
  }

  private toSparse(): void {
    const m = new Map<number, V>();
    for (let i = 0; i < this.span; i++) {
      const v = this.slots[(this.head + i) & this.mask];
      if (v !== undefined) m.set(this.base + i, v);
    }
    this.sparse = m;
    this.slots = new Array<V | undefined>(16);
    this.mask = 15;
    this.head = 0;
    this.span = 0;
  }
}
