// The on-disk part of a queue, in order, as compact positions: per message its seq, segment, record offset,
// record length and flags, in chunks of typed arrays (about 21 bytes a message instead of two JS objects
// with their buffers). 5,000,000 paged messages cost ~100 MiB here; bodies stay in the segment files.
const CHUNK = 8192;

/** Where compaction moved a record. */
export interface Moved {
  seg: number;
  off: number;
  /** Holders still to follow (a body stored once has several); the entry goes when none is left. */
  left?: number;
}

export const T_REDELIVERED = 1;
export const T_PERSISTENT = 2;
/**
 * The upper six bits of the flags: deliveries so far (x-delivery-limit and a quorum queue's x-delivery-count
 * count them across a restart or a cluster failover), capped at 63.
 */
export const T_COUNT_SHIFT = 2;
export const T_COUNT_MAX = 63;

/** Flags of an entry: redelivered, persistent, `deliveries` (capped). */
export function tailFlags(redelivered: boolean, persistent: boolean, deliveries: number): number {
  return (
    (redelivered ? T_REDELIVERED : 0) |
    (persistent ? T_PERSISTENT : 0) |
    (Math.min(deliveries, T_COUNT_MAX) << T_COUNT_SHIFT)
  );
}

class Chunk {
  readonly seq = new Float64Array(CHUNK);
  readonly seg = new Uint32Array(CHUNK);
  readonly off = new Uint32Array(CHUNK);
  readonly len = new Uint32Array(CHUNK);
  readonly flags = new Uint8Array(CHUNK);
  /** first used index (entries before it were taken) and end (next free index) */
  head = 0;
  end = 0;
  /**
   * The lowest and highest segment any entry names (entries are pushed in log order, so a chunk spans a few
   * segments): remap skips the chunks that cannot hold `seg`. A remap only raises an entry's segment, so
   * `segMin` may be lower than what is left: a chunk is then scanned for nothing, never skipped wrongly.
   */
  segMin = 0xffffffff;
  segMax = 0;
}

export class PagedTail {
  private chunks: Chunk[] = [];
  private first = 0;
  length = 0;
  /** Sum of record lengths (for stats). */
  bytes = 0;

  push(seq: number, seg: number, off: number, len: number, flags: number): void {
    let c = this.chunks.length === 0 ? undefined : this.chunks[this.chunks.length - 1];
    if (c === undefined || c.end === CHUNK) this.chunks.push((c = new Chunk()));
    const i = c.end++;
    c.seq[i] = seq;
    c.seg[i] = seg;
    if (seg < c.segMin) c.segMin = seg;
    if (seg > c.segMax) c.segMax = seg;
    c.off[i] = off;
    c.len[i] = len;
    c.flags[i] = flags;
    this.length++;
    this.bytes += len;
  }

  /** The head chunk and index, for reading without taking. */
  private headChunk(): Chunk | undefined {
    return this.chunks[this.first];
  }

  peekSeg(): number {
    const c = this.headChunk()!;
    return c.seg[c.head]!;
  }
  peekOff(): number {
    const c = this.headChunk()!;
    return c.off[c.head]!;
  }
  peekLen(): number {
    const c = this.headChunk()!;
    return c.len[c.head]!;
  }
  peekSeq(): number {
    const c = this.headChunk()!;
    return c.seq[c.head]!;
  }
  peekFlags(): number {
    const c = this.headChunk()!;
    return c.flags[c.head]!;
  }
  /** Position `k` ahead of the head (k < length), for planning one read covering several records. */
  offAt(k: number): number {
    const [c, i] = this.locate(k);
    return c.off[i]!;
  }
  segAt(k: number): number {
    const [c, i] = this.locate(k);
    return c.seg[i]!;
  }
  lenAt(k: number): number {
    const [c, i] = this.locate(k);
    return c.len[i]!;
  }

  private locate(k: number): [Chunk, number] {
    let ci = this.first;
    let c = this.chunks[ci]!;
    let i = c.head + k;
    while (i >= c.end) {
      i -= c.end;
      c = this.chunks[++ci]!;
    }
    return [c, i];
  }

  shift(): void {
    const c = this.headChunk()!;
    this.bytes -= c.len[c.head]!;
    c.head++;
    this.length--;
    if (c.head === c.end) {
      this.chunks[this.first] = undefined as unknown as Chunk;
      this.first++;
      if (this.first > 64) {
        this.chunks = this.chunks.slice(this.first);
        this.first = 0;
      }
    }
  }

  /** Visit every entry (seg, flags), e.g. to release segment references. */
  forEach(fn: (seq: number, seg: number, flags: number) => void): void {
    for (let ci = this.first; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci]!;
      for (let i = c.head; i < c.end; i++) fn(c.seq[i]!, c.seg[i]!, c.flags[i]!);
    }
  }

  /** Visit every entry with all its fields. */
  forEachFull(fn: (seq: number, seg: number, off: number, len: number, flags: number) => void): void {
    for (let ci = this.first; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci]!;
      for (let i = c.head; i < c.end; i++) fn(c.seq[i]!, c.seg[i]!, c.off[i]!, c.len[i]!, c.flags[i]!);
    }
  }

  /**
   * Compaction moved the records of segment `seg` listed in `moved` (old offset -> new place): entries of
   * the tail follow them, and their `moved` entries are deleted (what remains is held in memory elsewhere).
   */
  remap(seg: number, moved: Map<number, Moved>, found?: (m: Moved) => void): void {
    for (let ci = this.first; ci < this.chunks.length; ci++) {
      const c = this.chunks[ci]!;
      // a 5,000,000-message tail is 610 chunks: compaction's one turn (compactor.ts) scans only those that
      // can name `seg`, not every entry (~15 ms of a drain's event loop)
      if (seg < c.segMin || seg > c.segMax) continue;
      for (let i = c.head; i < c.end; i++) {
        if (c.seg[i] !== seg) continue;
        const m = moved.get(c.off[i]!);
        if (m === undefined) continue;
        if (m.left === undefined || --m.left === 0) moved.delete(c.off[i]!);
        found?.(m);
        c.seg[i] = m.seg;
        c.off[i] = m.off;
        if (m.seg > c.segMax) c.segMax = m.seg;
      }
    }
  }

  clear(): void {
    this.chunks = [];
    this.first = 0;
    this.length = 0;
    this.bytes = 0;
  }
}
