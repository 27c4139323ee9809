// One broker per data directory. Two Warren processes on one directory would both append to the same
// segment log and definitions journal and corrupt them; RabbitMQ refuses a second node on the same node
// name (and so the same mnesia directory) with "node with name … already running". Node has no flock(),
// so the directory holds `warren.lock`: the owner's pid, host, boot id and process start time, created
// with O_EXCL and removed at a clean stop. A lock left by a kill -9 is taken over when its owner is gone:
// on this host, when the pid is not running (a zombie counts as gone) or is another process that reused
// the pid (its start time or the boot differs); from another host (two containers sharing a volume), when
// the owner stopped touching the file (it refreshes the file's mtime every few seconds while it runs).
// A lock held by this very process is taken over too: embedding code (tests) may drop a broker without
// closing it and open the directory again, as a restart after a crash.
import { readFileSync, statSync, utimes } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from './io.js';

export const LOCK_FILE = 'warren.lock';
/** How often the owner touches the lock file; another host treats it as stale after STALE_MS. */
const TOUCH_MS = 5000;
const STALE_MS = 20000;

interface Owner {
  pid: number;
  host: string;
  boot: string;
  start: string;
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot) and field 3 (state); '' off Linux. */
function procStat(pid: number): { start: string; state: string } {
  const s = readProc(`/proc/${pid}/stat`);
  // the command name (field 2) is in parentheses and may hold spaces: split after its closing one
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '', start: rest[19] ?? '' };
}

function me(): Owner {
  return {
    pid: process.pid,
    host: hostname(),
    boot: readProc('/proc/sys/kernel/random/boot_id'),
    start: procStat(process.pid).start,
  };
}

/** Whether the process that wrote `o` (on this host) still runs. */
function runsHere(o: Owner): boolean {
  const self = me();
  if (o.boot !== '' && self.boot !== '' && o.boot !== self.boot) return false; // a reboot since
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const st = procStat(o.pid);
  if (st.state === 'Z' || st.state === 'X') return false;
  // the pid now belongs to a process started at another time: a reused pid
  return !(o.start !== '' && st.start !== '' && o.start !== st.start);
}

export class DataDirLock {
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly path: string) {
    // the mtime is what tells another host that the owner is alive (see above)
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(this.path, now, now, () => {});
    }, TOUCH_MS);
    this.timer.unref();
  }

  /** Take the directory (creating it), or throw an error that says which broker holds it. */
  static acquire(dir: string): DataDirLock {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw dirError(dir, e);
    }
    const path = join(dir, LOCK_FILE);
    const self = me();
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw dirError(dir, e);
        const holder = heldBy(path);
        if (holder !== null) {
          throw new Error(
            `data directory ${dir} is in use by another Warren (pid ${Number.isInteger(holder.pid) ? holder.pid : '?'} on ${holder.host}); ` +
              `stop it, or give this one its own --data-dir. If no broker runs there, remove ${path}.`,
            { cause: e },
          );
        }
        // stale: its owner is gone; O_EXCL again, so that two brokers starting at once do not both win
        try {
          unlinkSync(path);
        } catch {
          // another starter took it away first
        }
        continue;
      }
      try {
        writeSync(fd, `${self.pid}\n${self.host}\n${self.boot}\n${self.start}\n`);
      } finally {
        closeSync(fd);
      }
      return new DataDirLock(path);
    }
    throw new Error(`data directory ${dir}: another Warren took ${path} while this one was starting`);
  }

  /** At a clean stop: the next broker starts without looking at a stale lock. */
  release(): void {
    clearInterval(this.timer);
    try {
      if (readProc(this.path).split('\n')[0] === String(process.pid)) unlinkSync(this.path);
    } catch {
      // a read-only or failed disk: the next start takes the stale lock over
    }
  }
}

/** The owner recorded in the lock file if it still holds the directory, else null (stale, or ours). */
function heldBy(path: string): Owner | null {
  const [pid, host, boot, start] = readProc(path).split('\n');
  const o: Owner = { pid: Number(pid), host: host ?? '', boot: boot ?? '', start: start ?? '' };
  // half-written by a starter killed between open and write: stale once it is old enough
  if (!Number.isInteger(o.pid) || o.pid <= 0) return fresh(path) ? { ...o, host: o.host || '?' } : null;
  if (o.host === hostname()) {
    if (o.pid === process.pid && (o.start === '' || o.start === me().start)) return null;
    return runsHere(o) ? o : null;
  }
  return fresh(path) ? o : null;
}

function fresh(path: string): boolean {
  const m = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
  return m !== undefined && Date.now() - m < STALE_MS;
}

/** A missing parent we cannot create, a file where the directory should be, a read-only file system. */
function dirError(dir: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st !== undefined && !st.isDirectory()) return new Error(`data directory ${dir} is not a directory`, { cause: e });
  const why =
    err.code === 'EROFS' || err.code === 'EACCES' || err.code === 'EPERM' ? 'is not writable' : 'cannot be used';
  return new Error(`data directory ${dir} ${why} (${err.message})`, { cause: e });
}
