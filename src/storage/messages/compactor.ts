// Compaction: disk bounded by live data. A segment can be deleted once none of its PUBLISH records is live
// and no older segment still on disk needs its REMOVE/DELIVERED records; without help, one old message
// pins its segment, the next segment is kept for the REMOVEs of that one's dead messages, and so on up to
// the present (issue 12). Compaction breaks such chains and reclaims half-dead segments:
//
//  1. pick a sealed segment P whose deletion frees the most for the least copying (live bytes plus the
//     REMOVE/DELIVERED records that name a segment still on disk), when the sealed segments hold more than
//     two segments' worth of garbage;
//  2. read P's index and its live records on the thread pool;
//  3. in one event-loop turn: append every still-live record to the head of the log as it is (same
//     queue, same seq, same bytes and CRC), the needed REMOVE/DELIVERED records too, point the queues'
//     on-disk tails at the new places, and leave a forwarding entry for messages held in memory (they
//     follow it the next time storage sees them);
//  4. once the copies are fsynced, delete P; younger segments kept only for P's sake follow.
//
// A kill -9 at any point leaves P, or P and its copies (recovery keeps one copy of a message: the newer),
// or the copies alone: no confirmed message is lost and no acked one returns (its REMOVE names the same
// queue and seq as every copy). A DELIVERED record is written for a moved message held in memory, which
// may have been delivered: after a crash it comes back redelivered, as the spec allows.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../util/logger.js';
import { MARK_LEN, REC_DELIVERED, REC_PUBLISH, frameAt, recType } from '../log/record.js';
import { ENTRY, readIndex } from '../log/segment-index.js';
import { MAGIC, segmentName } from '../log/segment-log.js';
import type { Moved } from '../log/tail.js';
import type { FileQueueBacking } from './queue-backing.js';
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
  appendMark(type: number, queue: number, seq: number, target: number): void;
  /** Remember `moved` (old offset -> new place) of segment `seg` for messages held in memory. */
  forward(seg: number, moved: Map<number, Moved>): void;
  /** Call `fn` once everything appended so far is fsynced. */
  whenDurable(fn: () => void): void;
  deleteSegment(seg: number): void;
  readonly closed: boolean;
}

interface Entry {
  type: number;
  queue: number;
  seq: number;
  off: number;
  len: number;
  persistent: boolean;
  ref: number;
}

/** Compact when the sealed segments hold more than this many segments' worth of dead bytes. */
const GARBAGE_SEGMENTS = 2;
const READ_SPAN = 1024 * 1024;
const READ_GAP = 64 * 1024;

export class Compactor {
  /** The segment being compacted, or -1. */
  busy = -1;
  private kicked = false;
  /** Compactions finished (for tests and stats). */
  done = 0;
  bytesCopied = 0;

  constructor(private readonly h: CompactionHost) {}

  /** Look for work soon (after a segment is sealed, or a release left one mostly dead). */
  kick(): void {
    if (this.kicked || this.busy >= 0 || this.h.closed) return;
    this.kicked = true;
    setTimeout(() => {
      this.kicked = false;
      this.step();
    }, 10).unref();
  }

  /** Bytes of the records a segment holds for older segments still on disk. */
  private needed(seg: number, s: SegState): number {
    if (s.refs === null) return 0;
    let n = 0;
    for (const [t, c] of s.refs) if (t !== seg && this.h.segs.has(t)) n += c * MARK_LEN;
    return n;
  }

  /** The segment to compact now, or -1. */
  pick(): number {
    const h = this.h;
    let garbage = 0;
    let best = -1;
    let bestScore = 0;
    for (const [n, s] of h.segs) {
      if (!s.sealed || n === h.headSeg) continue;
      garbage += s.size - s.liveBytes;
      const need = this.needed(n, s);
      const reclaim = s.size - s.liveBytes - need;
      if (reclaim <= 0) continue;
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
        this.h.logger.warn({ err: e, seg }, 'segment compaction failed; retrying later');
        setTimeout(() => this.kick(), 5000).unref();
      },
    );
  }

  private async entries(seg: number): Promise<Entry[]> {
    const h = this.h;
    const out: Entry[] = [];
    let idx: ReturnType<typeof readIndex> = null;
    try {
      idx = readIndex(await readFile(join(h.dir, indexName(seg))));
    } catch {
      /* no index: scan */
    }
    if (idx !== null) {
      const b = idx.buf;
      for (let i = 0, p = 0; i < idx.count; i++, p += ENTRY) {
        out.push({
          type: b[p]!,
          queue: b.readUInt32LE(p + 1),
          seq: b.readDoubleLE(p + 5),
          off: b.readUInt32LE(p + 13),
          len: b.readUInt32LE(p + 17),
          persistent: (b[p + 21]! & 1) !== 0,
          ref: b.readUInt32LE(p + 22),
        });
      }
      return out;
    }
    const b = await readFile(join(h.dir, segmentName(seg)));
    for (let at = MAGIC.length; at < b.length;) {
      const n = frameAt(b, at, b.length, true);
      if (n < 0) break;
      const type = recType(b, at);
      const p = at + 8;
      out.push({
        type,
        queue: b.readUInt32LE(p + 1),
        seq: b.readDoubleLE(p + 5),
        off: at,
        len: n,
        persistent: type === REC_PUBLISH && (b[p + 13]! & 1) !== 0,
        ref: type === REC_PUBLISH ? seg : b.readUInt32LE(p + 13),
      });
      at += n;
    }
    return out;
  }

  private async compact(seg: number): Promise<void> {
    const h = this.h;
    const s = h.segs.get(seg)!;
    h.logger.info({ seg, liveBytes: s.liveBytes, size: s.size }, 'compacting segment');
    const copied0 = this.bytesCopied;
    const all = await this.entries(seg);
    const live = all.filter((e) => e.type === REC_PUBLISH && s.isLive(e.off) && h.backings.has(e.queue));
    // the live records' bytes, read on the thread pool: records close together in one read
    const bufs = new Map<Entry, [Buffer, number]>();
    if (live.length !== 0) {
      const fh = await open(join(h.dir, segmentName(seg)), 'r');
      try {
        for (let i = 0; i < live.length;) {
          const start = live[i]!.off;
          let j = i + 1;
          let end = start + live[i]!.len;
          while (
            j < live.length &&
            live[j]!.off - end <= READ_GAP &&
            live[j]!.off + live[j]!.len - start <= READ_SPAN
          ) {
            end = live[j]!.off + live[j]!.len;
            j++;
          }
          const b = Buffer.allocUnsafe(end - start);
          const { bytesRead } = await fh.read(b, 0, b.length, start);
          if (bytesRead !== b.length) throw new Error(`segment ${seg}: short read at ${start}`);
          for (; i < j; i++) bufs.set(live[i]!, [b, live[i]!.off - start]);
        }
      } finally {
        await fh.close();
      }
    }
    if (h.closed || !h.segs.has(seg)) return;
    // one turn: copies, tails re-pointed, forwarding for the rest
    const moved = new Map<number, Moved & { queue: number; seq: number; persistent: boolean }>();
    for (const e of live) {
      if (!s.isLive(e.off) || !h.backings.has(e.queue)) continue;
      const [b, at] = bufs.get(e)!;
      const to = h.appendCopy(e.queue, e.seq, e.persistent, b, at, e.len);
      s.clearLive(e.off, e.len);
      this.bytesCopied += e.len;
      moved.set(e.off, { seg: to.seg, off: to.off, queue: e.queue, seq: e.seq, persistent: e.persistent });
    }
    for (const e of all) {
      if (e.type === REC_PUBLISH || e.ref === seg || !h.segs.has(e.ref) || !h.backings.has(e.queue)) continue;
      h.appendMark(e.type, e.queue, e.seq, e.ref);
      this.bytesCopied += MARK_LEN;
    }
    if (moved.size !== 0) {
      for (const b of h.backings.values()) b.tail.remap(seg, moved);
      // what no tail holds is in memory (ready window, unacked, being read): it may have been delivered
      for (const m of moved.values()) if (m.persistent) h.appendMark(REC_DELIVERED, m.queue, m.seq, m.seg);
      if (moved.size !== 0) h.forward(seg, moved);
    }
    await new Promise<void>((r) => h.whenDurable(r));
    if (h.closed || !h.segs.has(seg)) return;
    if (s.live !== 0) {
      h.logger.warn({ seg, live: s.live }, 'segment still has live records after compaction; kept');
      return;
    }
    h.deleteSegment(seg);
    h.logger.info({ seg, moved: live.length, copiedBytes: this.bytesCopied - copied0 }, 'segment compacted');
  }
}
