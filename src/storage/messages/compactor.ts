// Compaction: disk bounded by live data. A segment can be deleted once none of its PUBLISH records is live
// and no older segment still on disk needs its REMOVE/DELIVERED records; without help, one old message
// pins its segment, the next segment is kept for the REMOVEs of that one's dead messages, and so on up to
// the present (issue 12). Compaction breaks such chains and reclaims half-dead segments:
//
//  1. pick a sealed segment P whose deletion frees the most for the least copying (live bytes plus the
//     REMOVE/DELIVERED records that name a segment still on disk), when the sealed segments hold more than
//     two segments' worth of garbage;
//  2. read P's index on the thread pool (kept as bytes: a segment of acks holds millions of records; for such
//     a segment a partial index of its messages and of the marks naming a segment on disk when it was sealed),
//     and copy the REMOVE/DELIVERED records that name a segment still on disk to the head of the log, a few
//     thousand a turn;
//  3. read P's live records on the thread pool, MOVE_BATCH at a time, each batch moved in one turn:
//     append every still-live record to the head of the log as it is (same queue, same seq, same bytes and
//     CRC), point the queues' on-disk tails at the new places, and leave a forwarding entry for messages
//     held in memory (they follow it the next time storage sees them);
//  4. once the copies are fsynced, delete P; younger segments kept only for P's sake follow.
//
// A kill -9 at any point leaves P, or P and its copies (recovery keeps one copy of a message: the newer),
// or the copies alone: no confirmed message is lost and no acked one returns (its REMOVE names the same
// queue and seq as every copy). A DELIVERED record is written for a moved message held in memory, which
// may have been delivered: after a crash it comes back redelivered, as the spec allows.
import { crc32 } from 'node:zlib';
import { openFile as open, readFile } from '../io.js';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.js';
import {
  MARK_LEN,
  MIN_FRAME,
  REC_DELIVERED,
  REC_PUBLISH,
  REC_REF,
  REC_REMOVE,
  frameAt,
  recType,
} from '../log/record.js';
import { refLen, refOff, refOwner } from '../log/record.js';
import { E_FLAGS, E_LEN, E_OFF, E_QUEUE, E_REF, E_SEQ, ENTRY, putEntry, indexEntries } from '../log/segment-index.js';
import { MAGIC, segmentName } from '../log/segment-log.js';
import type { Moved } from '../log/tail.js';
import type { FileQueueBacking } from './queue-backing.js';
import { readRecords, type Group } from './live-records.js';
import { indexName } from './recovery.js';
import type { SegState } from './seg-state.js';

export interface CompactionHost {
  readonly dir: string;
  readonly logger: Logger;
  readonly segmentSize: number;
  readonly segs: Map<number, SegState>;
  readonly backings: Map<number, FileQueueBacking>;
  readonly headSeg: number;
  /** Append a frame copied from elsewhere; returns its new place (live in the head segment). */
  appendCopy(queue: number, seq: number, persistent: boolean, src: Buffer, at: number, len: number): Moved;
  /** Append a REMOVE/DELIVERED record naming segment `target`; returns the segment it went into. */
  appendMark(type: number, queue: number, seq: number, target: number): number;
  /** A REF in the current segment to the PUBLISH at bodyOff there. */
  appendRef(queue: number, seq: number, bodyOff: number, bodyLen: number, owner: number): void;
  state(seg: number): SegState | undefined;
  /** Remember `moved` (old offset -> new place) of segment `seg` for messages held in memory. */
  forward(seg: number, moved: Map<number, Moved>): void;
  /** Call `fn` once everything appended so far is fsynced. */
  whenDurable(fn: () => void): void;
  deleteSegment(seg: number): void;
  readonly closed: boolean;
}

interface MovedGroup extends Moved {
  left: number;
  holders: number[];
  g: Group;
  inTail: number[];
}

/** A segment's records as index entries: `count` of ENTRY bytes in `buf` (segment-index.ts). */
interface Records {
  buf: Buffer;
  count: number;
}

/** Let the event loop serve others for a turn (long loops over a segment's records); stop if the store closed. */
async function yieldTurn(h: CompactionHost): Promise<void> {
  await new Promise((r) => setImmediate(r));
  if (h.closed) throw new Error('store closed during a compaction');
}

/**
 * Compact when the sealed segments hold more than this many segments' worth of dead bytes. Not 2: with the
 * segment being written that made the directory exactly live + 3 segments at rest, and what the estimate
 * does not see (the head's own garbage, rounding) left it a few KB over the bound now and then
 * (test/storage/disk-bound.test.ts "mostly live" settled 1.8 KB over it); half a segment is the margin.
 */
const GARBAGE_SEGMENTS = 1.5;
/** A record compaction writes for a moved message held in memory (DELIVERED, or REMOVE for its owner). */
const CARRIED = MARK_LEN + ENTRY;
/** Bytes of a segment's index checked per turn. */
const CRC_SLICE = 256 * 1024;
/** Live records moved per turn (compact: a drain's event loop waits for at most one batch, ~1 ms). */
export const MOVE_BATCH = 256;

export class Compactor {
  /** The segment being compacted, or -1. */
  busy = -1;
  private kicked = false;
  /** Compactions finished, and segments read whole for them (no usable index): for tests and stats. */
  done = 0;
  scans = 0;
  bytesCopied = 0;

  constructor(private readonly h: CompactionHost) {}

  /** Look for work soon (after a segment is sealed, or a release left one mostly dead). */
  kick(): void {
    if (this.kicked || this.busy >= 0 || this.h.closed) return;
    this.kicked = true;
    setTimeout(this.kicked10, 10).unref();
  }
  // made once: every ack kicks, and a closure written in kick cost a context allocated on each call
  // (segment-log.ts schedule)
  private readonly kicked10 = (): void => {
    this.kicked = false;
    this.step();
  };

  /** Bytes of the records a segment holds for older segments still on disk (copied with their index entries). */
  private needed(seg: number, s: SegState): number {
    if (s.refs === null) return 0;
    let n = 0;
    for (const [t, c] of s.refs) if (t !== seg && this.h.segs.has(t)) n += c * (MARK_LEN + ENTRY);
    return n;
  }

  /**
   * What compacting a segment would free: its bytes and its index's, less the live records (copied as they
   * are, each with a new index entry), the records younger segments need (copied too) and the records an
   * earlier compaction wrote for in-memory messages it moved here (written again if they move again: counting
   * them as garbage made a segment of such messages look worth moving for ever).
   */
  private dead(s: SegState, need: number): number {
    const carried = Math.min(s.carried, s.live) * CARRIED;
    return s.size + s.idxSize - s.liveBytes - s.live * ENTRY - carried - need;
  }

  /**
   * The segment to compact now, or -1: none until the sealed segments hold more than GARBAGE_SEGMENTS
   * segments of garbage; then the one that frees the most per byte copied. Garbage spread thinly (every
   * segment mostly live) adds up all the same, so any segment a 256th dead is a candidate: the directory
   * stays within live bytes + 3 segments. The estimate (dead()) counts what a move writes again, so a
   * segment is never moved for ever to free nothing.
   */
  pick(): number {
    const h = this.h;
    let garbage = 0;
    let best = -1;
    let bestScore = 0;
    for (const [n, s] of h.segs) {
      if (!s.sealed || s.indexing || n === h.headSeg) continue;
      const need = this.needed(n, s);
      const reclaim = this.dead(s, need);
      garbage += reclaim + need;
      if (reclaim < s.size / 256) continue;
      const score = reclaim / (s.liveBytes + need + 4096);
      if (score > bestScore) {
        bestScore = score;
        best = n;
      }
    }
    return garbage > GARBAGE_SEGMENTS * h.segmentSize ? best : -1;
  }

  private step(): void {
    if (this.busy >= 0 || this.h.closed) return;
    const seg = this.pick();
    if (seg < 0) return;
    this.busy = seg;
    this.compact(seg).then(
      () => {
        this.busy = -1;
        this.done++;
        this.kick();
      },
      (e: unknown) => {
        this.busy = -1;
        if (this.h.closed) return;
        this.h.logger.warn({ err: e, seg }, 'segment compaction failed; retrying later');
        setTimeout(() => this.kick(), 5000).unref();
      },
    );
  }

  /**
   * The segment's records as index entries (segment-index.ts's layout): its index file (full, or partial: the
   * messages and the marks that could still be needed), or a scan of it. Kept as bytes: a segment of acks holds
   * millions of records, and an object per record was ~250 MB of heap, promoted and marked (a drain's GC pauses).
   */
  private async records(seg: number): Promise<Records> {
    const h = this.h;
    let idx: ReturnType<typeof indexEntries> = null;
    try {
      idx = indexEntries(await readFile(join(h.dir, indexName(seg))));
    } catch {
      /* no index: scan */
    }
    if (idx !== null) {
      // checked 256 KiB a turn: an ack segment's index is tens of MB, ~50 ms of CRC in one turn (a MiB a turn
      // took up to 4 ms in a drain)
      let crc = 0;
      for (let o = 0; o < idx.buf.length; o += CRC_SLICE) {
        if (o !== 0) await yieldTurn(h);
        crc = crc32(idx.buf.subarray(o, o + CRC_SLICE), crc);
      }
      if (crc === idx.crc) return idx;
    }
    this.scans++;
    const b = await readFile(join(h.dir, segmentName(seg)));
    // entries written in place into one buffer sized for the most records the segment can hold: chunks
    // concatenated at the end were a 70 MB copy of 150-230 ms in one turn (a drain's segment of acks)
    const out = Buffer.allocUnsafe(Math.ceil(b.length / MIN_FRAME) * ENTRY);
    let count = 0;
    for (let at = MAGIC.length, k = 0; at < b.length; k++) {
      // no index (it failed to write, or recovery found none): the scan yields to other connections
      if ((k & 4095) === 4095) await yieldTurn(h);
      const n = frameAt(b, at, b.length, true);
      if (n < 0) break;
      const type = recType(b, at);
      const p = at + 8;
      const ref = type === REC_REF;
      const flags = (type === REC_PUBLISH || ref) && (b[p + 13]! & 1) !== 0 ? 1 : 0;
      const off = ref ? refOff(b, at) : at;
      const len = ref ? refLen(b, at) : n;
      const target = type === REC_PUBLISH ? seg : ref ? refOwner(b, at) : b.readUInt32LE(p + 13);
      putEntry(out, count++ * ENTRY, type, b.readUInt32LE(p + 1), b.readDoubleLE(p + 5), off, len, flags, target);
      at += n;
    }
    return { buf: out.subarray(0, count * ENTRY), count };
  }

  /**
   * Copy the REMOVE/DELIVERED records of `seg` that name a segment still on disk (whose messages they end) to
   * the head of the log, 4,096 at a time with a turn for other connections between: a segment of acks can
   * need hundreds of thousands, which in one turn stalled every connection for ~100 ms. Copies made before a
   * crash are harmless: the same record twice says the same thing, and `seg` is only deleted once all are
   * fsynced.
   */
  private async copyMarks(seg: number, r: Records): Promise<void> {
    const h = this.h;
    const b = r.buf;
    for (let i = 0, p = 0; i < r.count; i++, p += ENTRY) {
      if ((i & 4095) === 4095) await yieldTurn(h);
      const type = b[p]!;
      if (type === REC_PUBLISH || type === REC_REF) continue;
      const target = b.readUInt32LE(p + E_REF);
      const queue = b.readUInt32LE(p + E_QUEUE);
      if (target === seg || !h.segs.has(target) || !h.backings.has(queue)) continue;
      h.appendMark(type, queue, b.readDoubleLE(p + E_SEQ), target);
      this.bytesCopied += MARK_LEN;
    }
  }

  /** A mark that landed in the segment it names is one the moved message needs for as long as it lives. */
  private carry(landed: number, target: number): void {
    if (landed === target) this.h.state(landed)!.carried++;
  }

  private async compact(seg: number): Promise<void> {
    const h = this.h;
    const s = h.segs.get(seg)!;
    h.logger.info({ seg, liveBytes: s.liveBytes, size: s.size }, 'compacting segment');
    const copied0 = this.bytesCopied;
    if (s.live === 0 && this.needed(seg, s) === 0) {
      // nothing live and no record another segment needs (a segment of acks whose messages' segments are
      // gone): nothing to copy, so no reason to read its millions of records
      h.deleteSegment(seg);
      h.logger.info({ seg }, 'segment deleted (nothing live, nothing needed)');
      return;
    }
    const recs = await this.records(seg);
    // the marks younger segments need first, over several turns (copyMarks); then the live records
    if (this.needed(seg, s) !== 0) await this.copyMarks(seg, recs);
    if (h.closed || !h.segs.has(seg)) return;
    // the PUBLISH records by offset, with every queue that names them (its own, and REFs: a body stored once)
    const groups = new Map<number, Group>();
    const rb = recs.buf;
    for (let i = 0, p = 0; i < recs.count; i++, p += ENTRY) {
      // millions of records in a segment of acks: a turn for other connections every 8,192 (65,536 a turn
      // held a drain's event loop up to 7 ms when the segment also held live messages)
      if ((i & 8191) === 8191) await yieldTurn(h);
      const type = rb[p]!;
      if (type !== REC_PUBLISH && type !== REC_REF) continue;
      const off = rb.readUInt32LE(p + E_OFF);
      let g = groups.get(off);
      if (g === undefined)
        groups.set(off, (g = { off, len: rb.readUInt32LE(p + E_LEN), owner: 0, persistent: true, seqOf: new Map() }));
      const queue = rb.readUInt32LE(p + E_QUEUE);
      if (type === REC_PUBLISH) {
        g.owner = queue;
        g.persistent = (rb[p + E_FLAGS]! & 1) !== 0;
      } else g.owner = rb.readUInt32LE(p + E_REF);
      g.seqOf.set(queue, rb.readDoubleLE(p + E_SEQ));
    }
    const live = [...groups.values()].filter((g) => s.isLive(g.off)).sort((a, b) => a.off - b.off);
    // the copies a batch at a time: each batch's records read on the thread pool (so a segment's live bytes
    // are never all in memory at once), then its copies, re-pointed tails and forwarding entries in one turn:
    // between batches, an ack or a page-in meets a record either not moved yet (still in `seg`, which stays
    // until the end) or moved (its tail entry re-pointed, or a forwarding entry for the copy held in
    // memory). A crash between batches leaves some copies and `seg`, as a crash during a write-out always
    // could (recovery keeps the newer copy). Thousands of records in one turn held a drain's loop ~17 ms.
    let movedCount = 0;
    if (live.length !== 0) {
      const fh = await open(join(h.dir, segmentName(seg)), 'r');
      try {
        for (let i = 0; i < live.length; i += MOVE_BATCH) {
          const batch = live.slice(i, i + MOVE_BATCH);
          const bufs = await readRecords(fh, seg, batch);
          if (h.closed || !h.segs.has(seg)) return;
          movedCount += this.moveBatch(seg, s, batch, bufs);
        }
      } finally {
        await fh.close();
      }
    }
    await new Promise<void>((r) => h.whenDurable(r));
    if (h.closed || !h.segs.has(seg)) return;
    if (s.live !== 0) {
      h.logger.warn({ seg, live: s.live }, 'segment still has live records after compaction; kept');
      return;
    }
    h.deleteSegment(seg);
    h.logger.info({ seg, moved: movedCount, copiedBytes: this.bytesCopied - copied0 }, 'segment compacted');
  }

  /** Copy one batch of `seg`'s live records to the head of the log and point their holders at the copies. */
  private moveBatch(seg: number, s: SegState, live: Group[], bufs: Map<Group, Buffer>): number {
    const h = this.h;
    const moved = new Map<number, MovedGroup>();
    for (const g of live) {
      if (!s.isLive(g.off)) continue;
      const holders = s.holders(g.off, g.owner).filter((q) => h.backings.has(q) && g.seqOf.has(q));
      if (holders.length === 0) continue;
      const b = bufs.get(g)!;
      const ownerSeq = g.seqOf.get(g.owner) ?? -1;
      const to = h.appendCopy(g.owner, ownerSeq, g.persistent, b, 0, g.len);
      this.bytesCopied += g.len;
      // the other holders' REFs go in the same segment as the copy (appendRef never rolls)
      if (holders.includes(g.owner)) h.state(to.seg)!.hold(to.off, g.len, g.owner, g.owner);
      for (const q of holders) if (q !== g.owner) h.appendRef(q, g.seqOf.get(q)!, to.off, g.len, g.owner);
      // the copy names its own queue: when that one's message is gone, the copy must say so again
      if (!holders.includes(g.owner) && ownerSeq >= 0 && h.backings.has(g.owner)) {
        this.carry(h.appendMark(REC_REMOVE, g.owner, ownerSeq, to.seg), to.seg);
      }
      for (const q of holders) s.release(g.off, g.len, q);
      moved.set(g.off, { seg: to.seg, off: to.off, left: holders.length, holders, g, inTail: [] });
    }
    const count = moved.size;
    if (moved.size !== 0) {
      for (const b of h.backings.values()) b.tail.remap(seg, moved, (m) => (m as MovedGroup).inTail.push(b.id));
      // what no tail holds is in memory (ready window, unacked, being read): it may have been delivered
      for (const m of moved.values()) {
        if (!m.g.persistent) continue;
        for (const q of m.holders) {
          if (!m.inTail.includes(q)) this.carry(h.appendMark(REC_DELIVERED, q, m.g.seqOf.get(q)!, m.seg), m.seg);
        }
      }
      for (const [off, m] of moved) if (m.left === 0) moved.delete(off);
      if (moved.size !== 0) h.forward(seg, moved);
    }
    return count;
  }
}
