// The follower's copy of the leader's data directory: applies the actions (positional writes, truncations,
// whole-file replacements, removals) and makes them durable with group commit: while one round of
// fdatasync (every file written since the last round, and the directories whose entries changed) runs,
// the next actions gather; when it ends, everything applied before it began is acknowledged at once.
// Every file call goes through storage/io.ts, so a test can fail a follower's disk (failDisk on its data
// directory): a failed write or fsync gives up the connection (nothing of it acknowledged) and the follower
// resumes from what its disk holds when it reconnects.
import {
  closeSync,
  fdatasync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  open,
  close,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from '../../storage/io.js';
import { dirname } from 'node:path';
import { localPath } from './manifest.js';
import { T_REMOVE, T_REPLACE, T_RESET, T_TRUNCATE, T_WRITE, type Action } from './protocol.js';

/** Bytes a follower drops: records past the leader's (a former leader's unconfirmed tail). */
export interface Divergence {
  path: string;
  had: number;
  leader: number;
}

const MAX_OPEN = 64;

export class FollowerFiles {
  /** The last seq applied (written, maybe not fsynced yet). */
  applied = 0;
  /** Every action up to this seq is fsynced. */
  durable = 0;
  /** Actions applied (initial-sync ones, seq 0, included), and how many the last finished round covers. */
  private ops = 0;
  private durableOps = 0;
  private reachedOps = -1;
  private readonly fds = new Map<string, number>();
  private dirty = new Set<string>();
  private dirtyDirs = new Set<string>();
  private syncing = false;
  private readonly knownDirs = new Set<string>();
  /**
   * Files and directories changed since the last round of fsyncs that covered them (a failed round keeps
   * them here). Handed to the next connection's FollowerFiles (`carried`), which fsyncs them before it
   * acknowledges anything: the bytes are in the files, so the manifest tells the leader they are there, but
   * they were never made durable (found by test/cluster/replication/follower-disk.test.ts: after an EIO on
   * fsync the reconnected follower acknowledged them unsynced).
   */
  readonly unsynced = { files: new Set<string>(), dirs: new Set<string>() };

  constructor(
    readonly dir: string,
    /** After each round of fsyncs, with the seq now durable. */
    private readonly onDurable: (seq: number) => void,
    private readonly onDiverged: (d: Divergence) => void,
    private readonly onError: (e: Error) => void,
    carried: { files: Iterable<string>; dirs: Iterable<string> } = { files: [], dirs: [] },
  ) {
    mkdirSync(dir, { recursive: true });
    for (const d of carried.dirs) this.dirtyDirs.add(d);
    for (const p of carried.files) {
      try {
        this.fds.set(p, openSync(p, 'r+'));
        this.dirty.add(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }

  apply(a: Action): void {
    if (this.stopped) return;
    this.ops++;
    const path = localPath(this.dir, a.path);
    switch (a.type) {
      case T_WRITE: {
        const fd = this.fd(path);
        let done = 0;
        while (done < a.data.length) done += writeSync(fd, a.data, done, a.data.length - done, a.off + done);
        this.dirty.add(path);
        break;
      }
      case T_TRUNCATE:
      case T_RESET: {
        const fd = this.fd(path);
        const had = fstatSync(fd).size;
        const keep = a.type === T_RESET ? 0 : a.off;
        // re-sent whole and the leader's copy is shorter: the bytes past it were never confirmed (a former
        // leader's tail); a live truncation (a journal folded into its snapshot) is normal
        if (a.type === T_RESET && had > a.off && isLog(a.path)) this.onDiverged({ path: a.path, had, leader: a.off });
        if (had !== keep) ftruncateSync(fd, keep);
        this.dirty.add(path);
        break;
      }
      case T_REPLACE: {
        this.forget(path);
        this.mkdirs(dirname(path));
        const tmp = path + '.tmp';
        const fd = openSync(tmp, 'w');
        try {
          writeSync(fd, a.data);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, path);
        this.dirtyDirs.add(dirname(path));
        break;
      }
      case T_REMOVE:
        this.forget(path);
        rmSync(path, { recursive: true, force: true });
        this.dirtyDirs.add(dirname(path));
        break;
      default:
        throw new Error(`unknown replication action ${a.type}`);
    }
    if (a.seq > this.applied) this.applied = a.seq;
  }

  /** The leader says everything up to `seq` has been sent (end of the initial sync). */
  reached(seq: number): void {
    if (seq > this.applied) this.applied = seq;
    this.reachedOps = ++this.ops;
  }

  /** Everything of the initial sync is fsynced (what an acknowledgement of its seq must mean). */
  get syncDurable(): boolean {
    return this.reachedOps >= 0 && this.durableOps >= this.reachedOps;
  }

  /** After a batch of actions: fsync them (group commit), then report the seq durable. */
  sync(): void {
    if (this.syncing || this.stopped) return;
    if (this.dirty.size === 0 && this.dirtyDirs.size === 0) {
      const more = this.ops > this.durableOps;
      this.durableOps = this.ops;
      if (this.applied > this.durable || more) {
        this.durable = this.applied;
        this.onDurable(this.durable);
      }
      return;
    }
    this.syncing = true;
    const target = this.applied;
    const ops = this.ops;
    const fds: number[] = [];
    const paths = [...this.dirty];
    for (const p of paths) fds.push(this.fds.get(p)!);
    const dirs = [...this.dirtyDirs];
    for (const p of paths) this.unsynced.files.add(p);
    for (const d of dirs) this.unsynced.dirs.add(d);
    this.dirty = new Set();
    this.dirtyDirs = new Set();
    let pending = fds.length + dirs.length;
    let error: Error | null = null;
    const done = (e: NodeJS.ErrnoException | null): void => {
      if (e && e.code !== 'ENOENT') error = e;
      if (--pending !== 0) return;
      this.syncing = false;
      if (this.stopped) return this.trim();
      if (error !== null) return this.onError(error);
      for (const p of paths) if (!this.dirty.has(p)) this.unsynced.files.delete(p);
      for (const d of dirs) if (!this.dirtyDirs.has(d)) this.unsynced.dirs.delete(d);
      if (target > this.durable) this.durable = target;
      this.durableOps = ops;
      this.onDurable(this.durable);
      this.trim();
      this.sync();
    };
    for (const fd of fds) fdatasync(fd, done);
    for (const d of dirs) {
      open(d, 'r', (e, dfd) => {
        if (e) return done(e);
        fsync(dfd, (e2) => close(dfd, () => done(e2)));
      });
    }
  }

  /** What the next connection must fsync before it acknowledges: `unsynced` and what is dirty now. */
  carry(): { files: string[]; dirs: string[] } {
    return { files: [...this.unsynced.files, ...this.dirty], dirs: [...this.unsynced.dirs, ...this.dirtyDirs] };
  }

  /** Close every descriptor (after the round of fsyncs in flight, if any: it still uses them). */
  close(): void {
    this.closing.push(...this.fds.values());
    this.fds.clear();
    this.stopped = true;
    if (!this.syncing) this.trim();
  }

  private stopped = false;

  private fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd !== undefined) return fd;
    const d = dirname(path);
    this.mkdirs(d);
    try {
      fd = openSync(path, 'r+');
    } catch {
      fd = openSync(path, 'w+');
      this.dirtyDirs.add(d);
    }
    this.fds.set(path, fd);
    return fd;
  }

  private mkdirs(d: string): void {
    if (this.knownDirs.has(d)) return;
    mkdirSync(d, { recursive: true });
    this.knownDirs.add(d);
    this.dirtyDirs.add(dirname(d));
  }

  /** Close the descriptor of `path` (and of files under it): fsynced first if it has unsynced writes. */
  private forget(path: string): void {
    for (const [p, fd] of this.fds) {
      if (p !== path && !p.startsWith(path + '/')) continue;
      if (this.dirty.delete(p)) fsyncSync(fd);
      // a round of fsyncs in flight may use it: close it after that round
      if (this.syncing) this.closing.push(fd);
      else closeSync(fd);
      this.fds.delete(p);
    }
    for (const d of this.knownDirs) if (d === path || d.startsWith(path + '/')) this.knownDirs.delete(d);
  }

  private closing: number[] = [];

  /** Closes descriptors retired during the last round, and clean ones beyond MAX_OPEN. */
  private trim(): void {
    for (const fd of this.closing) closeSync(fd);
    this.closing = [];
    if (this.fds.size <= MAX_OPEN) return;
    for (const [p, fd] of this.fds) {
      if (this.fds.size <= MAX_OPEN / 2) break;
      if (this.dirty.has(p)) continue;
      closeSync(fd);
      this.fds.delete(p);
    }
  }
}

/** Append-only files whose bytes past the leader's mean a former leader's unconfirmed records. */
function isLog(rel: string): boolean {
  return rel.endsWith('.seg') || rel.endsWith('.log');
}
