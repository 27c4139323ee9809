// A stream's chunks between being written to its segment log and being fsynced: the publishers' confirms
// waiting for them (a wait with no position yet is for the chunk being built, and takes the position of its
// end when that chunk goes to the log), and the offset up to which everything is durable, which is what the
// stream's message count counts (RabbitMQ counts the committed offset: a client that sees its message counted
// has had its confirm).
import { positionBefore as before, type LogPosition } from '../log/segment-log.js';

export class ChunkSyncs {
  /** Confirms waiting for an fsync, in position order; `at` null: the chunk being built. */
  private readonly waits: { at: LogPosition | null; resolve: () => void }[] = [];
  /** Chunks written and not yet fsynced, oldest first: where each ends in the log, and the offset after it. */
  private readonly unsynced: { seg: number; off: number; end: number }[] = [];
  /** The offset after the last chunk known fsynced (meaningful while `unsynced` is not empty). */
  private syncedEnd = 0;

  /** A chunk ending at log position `at` and before offset `end` went to the log. */
  written(at: LogPosition, end: number): void {
    this.unsynced.push({ seg: at.seg, off: at.off, end });
    // the confirms waiting for the chunk being built wait for its end now
    const w = this.waits;
    for (let i = w.length - 1; i >= 0 && w[i]!.at === null; i--) w[i]!.at = at;
  }

  /** Resolved once the log is fsynced past `at`, or (null) past the end of the chunk being built. */
  wait(at: LogPosition | null): Promise<void> {
    return new Promise<void>((resolve) => this.waits.push({ at, resolve }));
  }

  /** The log is durable up to `p`. */
  synced(p: LogPosition): void {
    const u = this.unsynced;
    let k = 0;
    while (k < u.length && !before(p, u[k]!)) this.syncedEnd = u[k++]!.end;
    if (k > 0) u.splice(0, k);
    const w = this.waits;
    let i = 0;
    while (i < w.length && w[i]!.at !== null && !before(p, w[i]!.at!)) w[i++]!.resolve();
    if (i > 0) w.splice(0, i);
  }

  /** Offsets before this are durable, given that everything written ends before `writtenEnd`. */
  durableEnd(writtenEnd: number): number {
    return this.unsynced.length === 0 ? writtenEnd : this.syncedEnd;
  }

  /** The stream is closed or deleted: nobody waits any longer. */
  releaseAll(): void {
    for (const w of this.waits.splice(0)) w.resolve();
  }
}
