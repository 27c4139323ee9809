// Where compaction moved records that memory may still name: a message held in memory (ready window,
// unacked, being read) keeps the segment and offset it had; the first time storage sees it again
// (delivery, removal, paging out) it follows the entry here, which is then dropped. Moves of moves chain.
import type { Moved } from '../log/tail.js';

export class Forwarding {
  /** segment -> old offset -> new place */
  private readonly moved = new Map<number, Map<number, Moved>>();
  /** Result of `follow`. */
  seg = 0;
  off = 0;

  /** Records of `seg` moved (compaction moves a segment's records in batches: each adds its own). */
  add(seg: number, moved: Map<number, Moved>): void {
    const had = this.moved.get(seg);
    if (had === undefined) this.moved.set(seg, moved);
    else for (const [off, m] of moved) had.set(off, m);
  }

  /** True when records of `seg` were moved and may still be named from memory. */
  has(seg: number): boolean {
    return this.moved.size !== 0 && this.moved.has(seg);
  }

  /** Follow the moves of the record at seg/off; the result is in `seg`/`off`. */
  follow(seg: number, off: number): void {
    let m: Map<number, Moved> | undefined;
    while ((m = this.moved.get(seg)) !== undefined) {
      const to = m.get(off);
      if (to === undefined) break;
      if (to.left === undefined || --to.left === 0) m.delete(off);
      if (m.size === 0) this.moved.delete(seg);
      seg = to.seg;
      off = to.off;
    }
    this.seg = seg;
    this.off = off;
  }

  /** Entries still waiting to be followed (for tests and stats). */
  get size(): number {
    let n = 0;
    for (const m of this.moved.values()) n += m.size;
    return n;
  }
}
