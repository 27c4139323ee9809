// The leader's side of "what changed on disk": storage reports each change to a file of the data directory
// (util/file-events.ts) and this turns it into a numbered action, at once and in the order of the changes,
// so that an action's seq orders it after everything written before it (the confirm gate relies on that:
// a confirm waits for followers to acknowledge the seq current at the local fsync).
//
// Segment-log writes come with their bytes (one copy into the frame); other files are reported as changed
// and read here: a file this process has seen grow is sent from where it was (a journal append), one cut
// shorter as a truncation, one replaced (a new inode: temp file renamed over it) or never seen whole.
import { fstatSync } from 'node:fs';
import { relative, sep } from 'node:path';
// reads go through storage's seam, so that a failing disk (broker.faults.failDisk) fails them too
import { closeSync, openSync, readSync } from '../../storage/io.js';
import type { FileObserver } from '../../util/file-events.js';
import { T_REMOVE, T_REPLACE, T_TRUNCATE, T_WRITE, encodeAction } from './protocol.js';

interface Known {
  ino: number;
  size: number;
}

export class LeaderFiles implements FileObserver {
  /** Seq of the last action. */
  seq = 0;
  /** Bytes of all actions so far (followers' lag is measured against it). */
  bytes = 0;
  private readonly known = new Map<string, Known>();
  /**
   * Paths reported removed, with when: storage unlinks on the thread pool after reporting, so for a moment
   * a removed file is still listed; an initial sync must not send it back (a deleted segment brought back
   * on a follower could bring back acked messages).
   */
  private readonly gone = new Map<string, number>();

  /** Reported removed (its unlink may still be running). */
  isGone(path: string): boolean {
    return this.gone.has(path);
  }

  constructor(
    private readonly dir: string,
    /** Each action, encoded, with its seq; `wanted()` false skips the encoding (no follower attached). */
    private readonly emit: (frame: Buffer, seq: number) => void,
    private readonly wanted: () => boolean,
    /** The confirm gate's wait for the actions so far (FileObserver.replicated). */
    readonly replicated: () => Promise<void> | null,
    /** A changed file could not be read (EIO): it goes whole with its next change. */
    private readonly readFailed: (path: string, e: unknown) => void = () => {},
  ) {}

  private rel(path: string): string {
    return relative(this.dir, path).split(sep).join('/');
  }

  private send(type: number, path: string, off: number, data: Buffer | null, start = 0, end = 0): void {
    const seq = ++this.seq;
    if (!this.wanted()) return;
    const frame = encodeAction(type, seq, off, this.rel(path), data, start, end);
    this.bytes += frame.length;
    this.emit(frame, seq);
  }

  written(path: string, off: number, data: Buffer, start: number, end: number): void {
    if (this.gone.size !== 0) this.gone.delete(path);
    const k = this.known.get(path);
    if (k === undefined) this.known.set(path, { ino: -1, size: off + end - start });
    else if (off + end - start > k.size) k.size = off + end - start;
    this.send(T_WRITE, path, off, data, start, end);
  }

  changed(path: string): void {
    if (this.gone.size !== 0) this.gone.delete(path);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return this.removed(path);
    }
    try {
      this.diff(path, fd);
    } catch (e) {
      // unreadable now: the next change sends it whole
      this.known.delete(path);
      this.readFailed(path, e);
    } finally {
      closeSync(fd);
    }
  }

  private diff(path: string, fd: number): void {
    const st = fstatSync(fd);
    const k = this.known.get(path);
    this.known.set(path, { ino: st.ino, size: st.size });
    if (k !== undefined && (k.ino === st.ino || k.ino === -1)) {
      if (st.size < k.size) this.send(T_TRUNCATE, path, st.size, null);
      if (st.size <= k.size) return;
      const b = Buffer.allocUnsafe(st.size - k.size);
      readAll(fd, b, k.size);
      this.send(T_WRITE, path, k.size, b, 0, b.length);
      return;
    }
    const b = Buffer.allocUnsafe(st.size);
    readAll(fd, b, 0);
    this.send(T_REPLACE, path, 0, b, 0, b.length);
  }

  removed(path: string): void {
    const prefix = path + sep;
    for (const p of this.known.keys()) if (p === path || p.startsWith(prefix)) this.known.delete(p);
    const now = Date.now();
    if (this.gone.size > 1000) for (const [p, t] of this.gone) if (now - t > 60_000) this.gone.delete(p);
    this.gone.set(path, now);
    this.send(T_REMOVE, path, 0, null);
  }
}

function readAll(fd: number, b: Buffer, pos: number): void {
  let got = 0;
  while (got < b.length) {
    const n = readSync(fd, b, got, b.length - got, pos + got);
    if (n === 0) throw new Error('file shorter than its size');
    got += n;
  }
}
