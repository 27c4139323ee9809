// What a segment's index will hold, gathered as its records are appended (message-store.ts, and recovery.ts's
// scan): every entry in order, for the full index; and for the partial one (segment-index.ts, PIDX_MAGIC) the
// PUBLISH and REF entries, and the REMOVE/DELIVERED entries in buckets by the segment they name, so that sealing
// keeps the marks naming a segment still on disk (those compaction may have to copy) without walking the
// millions of entries of a segment of acks. A bucket goes as soon as its segment is deleted (`forget`): a
// drain's segment of acks names ~45 segments of the backlog, each gone seconds after its last ack.
import { REC_PUBLISH, REC_REF } from './record.js';
import {
  ENTRY,
  IDX_HEADER,
  IndexBuffer,
  indexFile,
  PIDX_MAGIC,
  worthIndexing,
  type IndexFile,
} from './segment-index.js';

/** Entries held for a partial index at most (~6.8 MB): past it the segment gets none, and is scanned instead. */
export const PARTIAL_CAP = 1 << 18;
/** A partial index's buffers start small: a segment of acks can name hundreds of segments, most a few times. */
const FIRST = 64;

export class SegmentIndexer {
  private readonly all = new IndexBuffer();
  /** `all` grew past maxAll and was dropped: the full index would not be worth writing. */
  private allOver = false;
  private pubs = new IndexBuffer(PIDX_MAGIC, FIRST);
  private marks = new Map<number, IndexBuffer>();
  /** Entries held for the partial index; past PARTIAL_CAP they are dropped and there will be none. */
  private held = 0;
  private partialOver = false;

  /** `maxAll`: bytes past which a full index is never worth writing (half the segment size). */
  constructor(private readonly maxAll = Infinity) {}

  add(type: number, queue: number, seq: number, off: number, len: number, flags: number, ref: number): void {
    if (!this.allOver) {
      if (this.all.bytes + ENTRY < this.maxAll) this.all.add(type, queue, seq, off, len, flags, ref);
      else {
        this.allOver = true;
        this.all.clear();
      }
    }
    if (this.partialOver) return;
    if (++this.held > PARTIAL_CAP) {
      this.partialOver = true;
      this.pubs = new IndexBuffer(PIDX_MAGIC, FIRST);
      this.marks = new Map();
      return;
    }
    if (type === REC_PUBLISH || type === REC_REF) return this.pubs.add(type, queue, seq, off, len, flags, ref);
    let b = this.marks.get(ref);
    if (b === undefined) this.marks.set(ref, (b = new IndexBuffer(PIDX_MAGIC, FIRST)));
    b.add(type, queue, seq, off, len, flags, ref);
  }

  /** Segment `seg` was deleted: no mark naming it will ever need copying. */
  forget(seg: number): void {
    const b = this.marks.get(seg);
    if (b === undefined) return;
    this.held -= b.count;
    this.marks.delete(seg);
  }

  /**
   * The index file of segment `seg`, just sealed at `segmentBytes`: the full index when it is worth writing, else
   * the partial one (its marks naming the segments `onDisk` now: needed ones only ever go), else null. Starts over.
   */
  seal(seg: number, segmentBytes: number, onDisk: (seg: number) => boolean): IndexFile | null {
    let file: IndexFile | null = null;
    if (!this.allOver && worthIndexing(this.all.bytes, segmentBytes)) file = this.all.take();
    else if (!this.partialOver) {
      const body = this.pubs.count !== 0 ? this.pubs.entries() : [];
      let count = this.pubs.count;
      for (const [target, b] of this.marks) {
        if (target === seg || !onDisk(target)) continue;
        body.push(...b.entries());
        count += b.count;
      }
      if (count !== 0 && worthIndexing(IDX_HEADER + count * ENTRY, segmentBytes))
        file = indexFile(PIDX_MAGIC, body, count);
    }
    // new buffers for the next segment: the file's parts are views of these until written
    this.all.clear();
    this.allOver = false;
    this.pubs = new IndexBuffer(PIDX_MAGIC, FIRST);
    this.marks = new Map();
    this.held = 0;
    this.partialOver = false;
    return file;
  }
}
