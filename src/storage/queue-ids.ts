// The message store's queue ids (a number per durable queue, which its log records carry): a snapshot
// (queues.json) and a journal of the assignments and removals since (queues.log, one JSON array a line:
// [id, vhost, name] assigns, [-id, vhost, name] removes). A declare or delete appends a line, written and
// fdatasync'd with the next group commit; the snapshot is rewritten only once the journal outgrows it, so
// 100,000 declares cost O(n) in all instead of a full rewrite per group commit (O(n²)).
import {
  closeSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeString,
  writeSync,
} from './io.js';
import { openFile as open, rename } from './io.js';
import { join } from 'node:path';
import { fileEvents, fileChanged } from '../util/file-events.js';
import { syncDir } from './sync-dir.js';

/** Rewrite the snapshot when the journal has this many lines, or as many as there are ids if more. */
const COMPACT_MIN = 4096;

export class QueueIds {
  private readonly ids = new Map<string, number>();
  nextId = 1;
  private pending: string[] = [];
  /**
   * The pending lines were dropped for a snapshot: queues declared and deleted without a message never
   * reach a group commit, and their lines must not pile up meanwhile.
   */
  private snapshotDue = false;
  private journalLines = 0;
  private fd = -1;

  constructor(private readonly dir: string) {}

  private get snapshotFile(): string {
    return join(this.dir, 'queues.json');
  }

  private get journalFile(): string {
    return join(this.dir, 'queues.log');
  }

  /** Snapshot, then the journal over it (a torn last line, from a crash mid-write, is ignored). */
  load(): void {
    const raw = readIfExists(this.snapshotFile);
    if (raw !== null) {
      const j = JSON.parse(raw) as { next_id: number; queues: { vhost: string; name: string; id: number }[] };
      this.nextId = j.next_id;
      for (const q of j.queues) this.ids.set(key(q.vhost, q.name), q.id);
    }
    const log = readIfExists(this.journalFile);
    if (log === null) return;
    const lines = log.split('\n');
    for (const [i, line] of lines.entries()) {
      if (line === '') continue;
      let r: [number, string, string];
      try {
        r = JSON.parse(line) as [number, string, string];
      } catch (e) {
        if (i >= lines.length - 2) break;
        throw new Error(`queues.log: unreadable line ${i + 1}`, { cause: e });
      }
      const k = key(r[1], r[2]);
      if (r[0] > 0) {
        this.ids.set(k, r[0]);
        if (r[0] >= this.nextId) this.nextId = r[0] + 1;
      } else if (this.ids.get(k) === -r[0]) this.ids.delete(k);
      this.journalLines++;
    }
  }

  get(vhost: string, name: string): number | undefined {
    return this.ids.get(key(vhost, name));
  }

  has(vhost: string, name: string): boolean {
    return this.ids.has(key(vhost, name));
  }

  /** A fresh id for a queue (journaled). */
  assign(vhost: string, name: string): number {
    const id = this.nextId++;
    this.ids.set(key(vhost, name), id);
    this.pending.push(JSON.stringify([id, vhost, name]));
    this.bound();
    return id;
  }

  /** Forget the queue's id if it is still `id` (journaled). */
  remove(vhost: string, name: string, id: number): void {
    const k = key(vhost, name);
    if (this.ids.get(k) !== id) return;
    this.ids.delete(k);
    this.pending.push(JSON.stringify([-id, vhost, name]));
    this.bound();
  }

  private bound(): void {
    if (this.pending.length <= Math.max(COMPACT_MIN, this.ids.size)) return;
    this.pending = [];
    this.snapshotDue = true;
  }

  /** Every (vhost, name, id). */
  *entries(): IterableIterator<[string, string, number]> {
    for (const [k, id] of this.ids) {
      const i = k.indexOf('\u0000');
      yield [k.slice(0, i), k.slice(i + 1), id];
    }
  }

  get dirty(): boolean {
    return this.pending.length !== 0 || this.snapshotDue;
  }

  /**
   * Pending lines on disk, before the group commit's fsync (its records name these ids): one write and
   * fdatasync, or a compaction once the journal outgrows the snapshot. The segment log calls this once per
   * commit and waits, so calls never overlap. Null when nothing is pending.
   */
  flush(): Promise<void> | null {
    if (this.pending.length === 0 && !this.snapshotDue) return null;
    const lines = this.pending;
    this.pending = [];
    const snapshot = this.snapshotDue || this.journalLines + lines.length >= Math.max(COMPACT_MIN, this.ids.size);
    this.snapshotDue = false;
    const done = snapshot ? this.compact() : this.append(lines);
    return done.catch((e: unknown) => {
      if (snapshot) this.snapshotDue = true;
      else this.pending = lines.concat(this.pending);
      throw e;
    });
  }

  /** The same, synchronously (at close, once the log has stopped). */
  flushSync(): void {
    if (this.snapshotDue) {
      this.snapshotDue = false;
      this.pending = [];
      this.writeSnapshotSync();
      return;
    }
    if (this.pending.length === 0) return;
    const fd = this.journalFd();
    writeSync(fd, this.pending.join('\n') + '\n');
    if (fileEvents.active) fileChanged(this.journalFile);
    fsyncSync(fd);
    this.journalLines += this.pending.length;
    this.pending = [];
  }

  private journalFd(): number {
    if (this.fd < 0) {
      this.fd = openSync(this.journalFile, 'a');
      syncDir(this.dir);
    }
    return this.fd;
  }

  private async append(lines: string[]): Promise<void> {
    const fd = this.journalFd();
    await new Promise<void>((resolve, reject) =>
      writeString(fd, lines.join('\n') + '\n', (e) => {
        if (e) return reject(e);
        if (fileEvents.active) fileChanged(this.journalFile);
        fdatasync(fd, (e2) => (e2 ? reject(e2) : resolve()));
      }),
    );
    this.journalLines += lines.length;
  }

  private writeSnapshotSync(): void {
    const queues = [...this.entries()].map(([vhost, name, id]) => ({ vhost, name, id }));
    const tmp = this.snapshotFile + '.tmp';
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ next_id: this.nextId, queues }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.snapshotFile);
    if (fileEvents.active) fileChanged(this.snapshotFile);
    syncDir(this.dir);
    this.truncateJournal();
  }

  private truncateJournal(): void {
    // a crash before this truncation replays the old journal over the new snapshot: harmless, in order
    const fd = this.journalFd();
    ftruncateSync(fd, 0);
    if (fileEvents.active) fileChanged(this.journalFile);
    fsyncSync(fd);
    this.journalLines = 0;
  }

  /** queues.json from the ids now (temp + fsync + rename + directory fsync), then an empty journal. */
  private async compact(): Promise<void> {
    const queues = [...this.entries()].map(([vhost, name, id]) => ({ vhost, name, id }));
    const tmp = this.snapshotFile + '.tmp';
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ next_id: this.nextId, queues }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.snapshotFile);
    if (fileEvents.active) fileChanged(this.snapshotFile);
    syncDir(this.dir);
    this.truncateJournal();
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function key(vhost: string, name: string): string {
  return vhost + '\u0000' + name;
}

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
