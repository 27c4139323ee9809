// What the message store knows of one segment file: which of its PUBLISH records are still live (a bitmap
// by record offset, so compaction can tell live from dead without asking the queues), their bytes, the
// file's size, and which older segments its REMOVE/DELIVERED records refer to (with counts: compaction
// copies those records forward when it drops this segment while their target is still on disk).

import { closeSync } from '../io.js';

/** Records are at least this many bytes apart (a PUBLISH frame is >= 44 bytes): bit = offset >> SHIFT. */
const SHIFT = 5;

export class SegState {
  /** PUBLISH records still needed (ready, unacked or paged), and their bytes. */
  live = 0;
  liveBytes = 0;
  /** Bytes of the file (set when it is sealed, or at recovery), and of its index file. */
  size = 0;
  idxSize = 0;
  /** Sealed and fsynced: a candidate for compaction. */
  sealed = false;
  /**
   * Its index is being written on the thread pool: compaction waits for it rather than scan the segment
   * (64 MiB of small records took 1.7 s of the event loop, a stall every connection felt).
   */
  indexing = false;
  /**
   * REMOVE/DELIVERED records a compaction wrote here naming this very segment (for the in-memory messages it
   * moved here): moving these messages again writes them again, so they are not garbage while they live.
   */
  carried = 0;
  /** Target segment -> number of REMOVE/DELIVERED records here that name it. */
  refs: Map<number, number> | null = null;
  readFd = -1;
  /** Reads in flight through readFd: the fd is closed once they are done. */
  reads = 0;
  /** The file was deleted (close readFd when the last read is done). */
  gone = false;
  private bits: Uint8Array | null = null;
  /**
   * A PUBLISH held by more than its own queue (REF records, a body stored once): offset -> the ids of the
   * queues whose copy is live. A record not in here is held by its own queue alone.
   */
  private shared: Map<number, number[]> | null = null;

  /** Queue `queue` holds the record at `off`, whose PUBLISH belongs to queue `owner`. */
  hold(off: number, len: number, queue: number, owner: number): void {
    let list = this.shared === null ? undefined : this.shared.get(off);
    if (queue === owner && list === undefined) return this.setLive(off, len);
    if (list === undefined) {
      list = this.isLive(off) ? [owner] : [];
      (this.shared ??= new Map()).set(off, list);
    }
    list.push(queue);
    this.setLive(off, len);
  }

  /** Queue `queue` let go of the record at `off`; true when that was its last holder. */
  release(off: number, len: number, queue: number): boolean {
    const list = this.shared === null ? undefined : this.shared.get(off);
    if (list !== undefined) {
      const i = list.indexOf(queue);
      if (i < 0) return false;
      list.splice(i, 1);
      if (list.length !== 0) return false;
      this.shared!.delete(off);
    }
    return this.clearLive(off, len);
  }

  /** The queues holding the record at `off` (its PUBLISH belongs to `owner`). */
  holders(off: number, owner: number): number[] {
    const list = this.shared === null ? undefined : this.shared.get(off);
    if (list !== undefined) return list.slice();
    return this.isLive(off) ? [owner] : [];
  }

  /** A PUBLISH record at `off` is live. */
  setLive(off: number, len: number): void {
    const i = off >>> SHIFT;
    let b = this.bits;
    if (b === null || i >>> 3 >= b.length) {
      const nb = new Uint8Array(Math.max(1024, (i >>> 3) + 1, b === null ? 0 : b.length * 2));
      if (b !== null) nb.set(b);
      this.bits = b = nb;
    }
    const m = 1 << (i & 7);
    // a second holder of a shared record: the record is counted once
    if ((b[i >>> 3]! & m) !== 0) return;
    b[i >>> 3]! |= m;
    this.live++;
    this.liveBytes += len;
  }

  /** The record at `off` is dead; false if it was not live (released twice, or never counted). */
  private clearLive(off: number, len: number): boolean {
    const i = off >>> SHIFT;
    const b = this.bits;
    const m = 1 << (i & 7);
    if (b === null || i >>> 3 >= b.length || (b[i >>> 3]! & m) === 0) return false;
    b[i >>> 3]! &= ~m;
    this.live--;
    this.liveBytes -= len;
    return true;
  }

  isLive(off: number): boolean {
    const i = off >>> SHIFT;
    const b = this.bits;
    return b !== null && i >>> 3 < b.length && (b[i >>> 3]! & (1 << (i & 7))) !== 0;
  }

  /** Close the read fd unless a read still runs on it (then the last read closes it: `gone`). */
  closeIdle(): void {
    if (this.readFd < 0 || this.reads !== 0) return;
    closeSync(this.readFd);
    this.readFd = -1;
  }

  addRef(target: number): void {
    const r = (this.refs ??= new Map());
    r.set(target, (r.get(target) ?? 0) + 1);
  }
}
