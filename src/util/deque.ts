// A growable ring buffer: O(1) push/shift/unshift/peek, used for queue contents and unacked lists.
// Arrays' shift() is O(n) once V8 leaves fast mode; this stays O(1) and keeps one backing array.
export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  private mask: number;

  constructor(capacity = 16) {
    let c = 16;
    while (c < capacity) c <<= 1;
    this.buf = new Array<T | undefined>(c);
    this.mask = c - 1;
  }

  get length(): number {
    return this.len;
  }

  push(v: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & this.mask] = v;
    this.len++;
  }

  unshift(v: T): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = v;
    this.len++;
  }

  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    return v;
  }

  pop(): T | undefined {
    if (this.len === 0) return undefined;
    const i = (this.head + this.len - 1) & this.mask;
    const v = this.buf[i];
    this.buf[i] = undefined;
    this.len--;
    return v;
  }

  peek(): T | undefined {
    return this.len === 0 ? undefined : this.buf[this.head];
  }

  at(i: number): T | undefined {
    return i < 0 || i >= this.len ? undefined : this.buf[(this.head + i) & this.mask];
  }

  /** Replace the element at position i (0 = head), if there is one. */
  set(i: number, v: T): void {
    if (i >= 0 && i < this.len) this.buf[(this.head + i) & this.mask] = v;
  }

  /** Insert at position i (0 = head). O(min(i, n-i)) element moves; used only for requeue. */
  insert(i: number, v: T): void {
    if (i <= 0) return this.unshift(v);
    if (i >= this.len) return this.push(v);
    this.unshift(v);
    // shift [1..i] one step left, then place v at i
    for (let k = 0; k < i; k++) {
      this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k + 1) & this.mask];
    }
    this.buf[(this.head + i) & this.mask] = v;
  }

  /** Remove and return the element at position i. O(i); used only off the hot path. */
  removeAt(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    if (i === 0) return this.shift();
    const v = this.buf[(this.head + i) & this.mask];
    for (let k = i; k > 0; k--) this.buf[(this.head + k) & this.mask] = this.buf[(this.head + k - 1) & this.mask];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    return v;
  }

  clear(): void {
    this.buf = new Array<T | undefined>(16);
    this.mask = 15;
    this.head = 0;
    this.len = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & this.mask] as T;
  }

  private grow(): void {
    const n = this.buf.length * 2;
    const nb = new Array<T | undefined>(n);
    for (let i = 0; i < this.len; i++) nb[i] = this.buf[(this.head + i) & this.mask];
    this.buf = nb;
    this.head = 0;
    this.mask = n - 1;
  }
}
