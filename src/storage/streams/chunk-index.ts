// A stream's in-memory chunk index, kept sparse so that it stays small whatever the stream's size: an entry
// (first offset, segment, position, timestamp; 24 bytes in typed arrays) for the first chunk of each segment
// and then for the first chunk at least SPACING bytes after the previous entry. A reader starts at the entry
// at or before its offset and skips the whole chunks before it (reading at most SPACING bytes more); exact
// answers (the chunk holding an offset, the first chunk at a timestamp) scan the chunk headers of one span
// (stream-log.ts). Osiris keeps an index file per segment instead; this keeps Warren's log one file per
// segment. A 10 GiB stream indexes in ~160,000 entries (~4 MB) at 64 KiB spacing, against one entry per
// chunk (a chunk per event-loop turn: millions for a slow publisher) before.

/** Bytes of log between two index entries of one segment (at least). */
export const SPACING = 64 * 1024;

export class ChunkIndex {
  private ids = new Float64Array(256);
  private segs = new Uint32Array(256);
  private offs = new Float64Array(256);
  private tss = new Float64Array(256);
  /** Entries are [head, end): retention drops from the front without copying each time. */
  private head = 0;
  private end = 0;

  get length(): number {
    return this.end - this.head;
  }

  /** Bytes the index holds (its arrays' capacity). */
  get bytes(): number {
    return this.ids.byteLength + this.segs.byteLength + this.offs.byteLength + this.tss.byteLength;
  }

  id(i: number): number {
    return this.ids[this.head + i]!;
  }
  seg(i: number): number {
    return this.segs[this.head + i]!;
  }
  off(i: number): number {
    return this.offs[this.head + i]!;
  }
  ts(i: number): number {
    return this.tss[this.head + i]!;
  }

  /** A chunk was written at (seg, off): indexed when it starts a segment or is SPACING past the last entry. */
  add(id: number, seg: number, off: number, ts: number): void {
    const e = this.end;
    if (e > this.head && this.segs[e - 1] === seg && off - this.offs[e - 1]! < SPACING) return;
    if (e === this.ids.length) this.grow();
    const k = this.end++;
    this.ids[k] = id;
    this.segs[k] = seg;
    this.offs[k] = off;
    this.tss[k] = ts;
  }

  private grow(): void {
    const live = this.end - this.head;
    const cap = Math.max(256, live * 2);
    const move = <T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(this.head, this.end));
      return b;
    };
    this.ids = move(this.ids, (n) => new Float64Array(n));
    this.segs = move(this.segs, (n) => new Uint32Array(n));
    this.offs = move(this.offs, (n) => new Float64Array(n));
    this.tss = move(this.tss, (n) => new Float64Array(n));
    this.head = 0;
    this.end = live;
  }

  /** The last entry whose first offset is <= offset, or -1. */
  find(offset: number): number {
    let lo = 0;
    let hi = this.length - 1;
    let r = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.id(mid) <= offset) {
        r = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return r;
  }

  /** The first entry with a timestamp >= ms, or length. */
  findTs(ms: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ts(mid) >= ms) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Retention deleted the segments before `seg`: their entries go. */
  dropBefore(seg: number): void {
    while (this.head < this.end && this.segs[this.head]! < seg) this.head++;
    if (this.head === this.end) this.head = this.end = 0;
  }
}
