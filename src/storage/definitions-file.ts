// Durable definitions on disk: a snapshot (definitions.json, RabbitMQ's definitions shape) and a journal of
// the queue/exchange/binding changes since (definitions.<gen>.log, one JSON record a line, fdatasync'd in
// groups). This is mnesia's disc_copies scheme (a transaction log dumped into a table file now and then): a
// declare costs one appended line, not a rewrite of every definition, so 100,000 queues declare in O(n)
// total rather than O(n²), and the event loop never stalls on a multi-megabyte JSON.stringify per change.
//
// Generations: the snapshot names the first journal it does not contain (`warren_journal`). Compaction
// switches appends to a new generation, exports the state at that instant, writes it a slice at a time
// (temp file, fsync, rename, directory fsync), then deletes the older journals. A crash at any point leaves
// either the old snapshot with every journal after it, or the new one with the journals it needs.
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from './io.js';
import { openFile as open, rename, unlink } from './io.js';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { applyJournal, type Definitions, type JournalRecord } from './definitions.js';
import { fileEvents, fileChanged, fileRemoved } from '../util/file-events.js';
import { syncDir } from './sync-dir.js';

/** Compact when the journal holds this many records, or as many as the snapshot has objects if more. */
const COMPACT_MIN = 10000;
/** A failed snapshot is tried again after this long (real time: the disk heals on its own clock). */
const SNAPSHOT_RETRY_MS = 250;
/** Entries of a large array serialised per event-loop turn while writing a snapshot. */
const SLICE = 2000;

export class DefinitionsFile {
  /** Generation appends go to. */
  private gen: number;
  private lines: string[] = [];
  /** Records appended, and of those the ones known to be on disk (counts). */
  private appended = 0;
  private durable = 0;
  private pumping: Promise<void> | null = null;
  private waiters: Waiter[] = [];
  /** The journal file being appended to, and its generation. */
  private fd = -1;
  private fdGen = -1;
  /** Journal records since the snapshot being (or last) written. */
  private sinceSnapshot: number;
  /** Queues + exchanges + bindings in that snapshot. */
  private snapshotObjects = 0;
  private snapshotting: Promise<void> | null = null;
  private snapshotAgain = false;
  /** The last snapshot failed (full, failing, read-only disk): retried every SNAPSHOT_RETRY_MS until written. */
  snapshotOwed = false;
  private snapshotRetry: NodeJS.Timeout | null = null;
  private closing = false;
  /** Snapshots begun (exported) so far, the highest written, and who waits for one (snapshotAfter). */
  snapshotsBegun = 0;
  private snapshotsWritten = 0;
  private snapshotWaiters: Waiter[] = [];

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    gen: number,
    replayed: number,
    private readonly exportNow: () => Definitions,
  ) {
    this.gen = gen;
    this.sinceSnapshot = replayed;
  }

  private get file(): string {
    return join(this.dir, 'definitions.json');
  }

  private journal(gen: number): string {
    return join(this.dir, `definitions.${gen}.log`);
  }

  /**
   * Read the snapshot and replay the journals after it; null when there is neither (an empty data
   * directory). `exportNow` gives the live definitions for later snapshots.
   */
  static load(
    dir: string,
    log: Logger,
    exportNow: () => Definitions,
  ): { file: DefinitionsFile; defs: Definitions | null; replayed: number } {
    let defs: Definitions | null = null;
    try {
      defs = JSON.parse(readFileSync(join(dir, 'definitions.json'), 'utf8')) as Definitions;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const first = typeof defs?.warren_journal === 'number' ? defs.warren_journal : 0;
    const gens: number[] = [];
    for (const f of readdirSync(dir)) {
      const m = /^definitions\.(\d+)\.log$/.exec(f);
      if (m === null) continue;
      const g = Number(m[1]);
      if (g >= first) gens.push(g);
      else unlinkSync(join(dir, f)); // left by a compaction that crashed after its rename
    }
    gens.sort((a, b) => a - b);
    const records: JournalRecord[] = [];
    for (const [i, g] of gens.entries()) {
      const text = readFileSync(join(dir, `definitions.${g}.log`), 'utf8');
      const lines = text.split('\n');
      for (const [j, line] of lines.entries()) {
        if (line === '') continue;
        try {
          records.push(JSON.parse(line) as JournalRecord);
        } catch {
          // only the very end of the newest journal can be torn by a crash; anything else is damage
          const last = i === gens.length - 1 && j >= lines.length - 2;
          if (!last) throw new Error(`definitions.${g}.log: unreadable record on line ${j + 1}`);
          log.warn({ journal: g }, 'definitions journal: torn last record ignored');
        }
      }
    }
    if (records.length !== 0) {
      defs ??= { users: [], vhosts: [], permissions: [], exchanges: [], queues: [], bindings: [] };
      applyJournal(defs, records);
    }
    const next = gens.length === 0 ? first + 1 : gens[gens.length - 1]! + 1;
    const file = new DefinitionsFile(dir, log, next, records.length, exportNow);
    if (defs !== null) file.snapshotObjects = defs.queues.length + defs.exchanges.length + defs.bindings.length;
    return { file, defs, replayed: records.length };
  }

  /**
   * Append one change. The first change of a socket read (one macrotask) is written at once, so that a disk
   * that cannot take it (full, failing, read-only) throws here and the caller refuses the change before
   * applying it; the rest of that read's changes are written with one write(2) in a microtask, before the
   * connection's replies go out (its flush runs in a later setImmediate): a declare-ok'd queue survives
   * kill -9, as one does in RabbitMQ (mnesia writes its log before the reply). While writes fail, every
   * change is tried at once (and refused). fdatasync follows asynchronously, one for whatever accumulated
   * (group commit), and is what flush() waits for.
   */
  append(r: JournalRecord): void {
    this.lines.push(JSON.stringify(r) + '\n');
    this.appended++;
    if (!this.writeQueued || this.writeError !== null) {
      this.writeOut();
      if (this.writeError !== null) {
        // refused: this line is never written (older pending ones stay, retried)
        this.lines.pop();
        this.appended--;
        throw this.writeError;
      }
      this.writeQueued = true;
      queueMicrotask(() => this.writeOut());
    }
    this.sinceSnapshot++;
    if (this.sinceSnapshot >= Math.max(COMPACT_MIN, this.snapshotObjects)) this.requestSnapshot();
  }

  /** Everything appended so far on disk (fdatasync); null when it already is. */
  flush(): Promise<void> | null {
    const target = this.appended;
    if (this.durable >= target) return null;
    this.writeOut();
    if (this.written < target) return Promise.reject(this.writeError ?? new Error('definitions journal not written'));
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ target, resolve, reject }));
    this.pumping ??= this.pump();
    return p;
  }

  private writeQueued = false;
  private writeError: Error | null = null;
  private retry: NodeJS.Timeout | null = null;
  /** Descriptors of older generations, closed when the syncer is idle. */
  private retired: number[] = [];
  /** Records written to the file (not necessarily synced). */
  private written = 0;

  /** Pending lines into the current generation's file, synchronously (page cache; no fsync here). */
  private writeOut(): void {
    this.writeQueued = false;
    if (this.lines.length === 0) return;
    const lines = this.lines;
    const upTo = this.appended;
    try {
      if (this.fd >= 0 && this.fdGen !== this.gen) {
        // a snapshot began a generation: the old file is synced now (rare), and closed once no
        // fdatasync of the syncer may still be using its descriptor
        fdatasyncSync(this.fd);
        if (this.pumping === null) closeSync(this.fd);
        else this.retired.push(this.fd);
        this.fd = -1;
      }
      if (this.fd < 0) {
        this.fd = openSync(this.journal(this.gen), 'a');
        this.fdGen = this.gen;
        syncDir(this.dir);
      }
      writeSync(this.fd, lines.join(''));
      if (fileEvents.active) fileChanged(this.journal(this.fdGen));
    } catch (e) {
      // the lines stay pending: the next append or flush tries again; waiters learn of it
      if (this.writeError === null) this.log.error({ err: e }, 'could not write the definitions journal');
      this.writeError = e as Error;
      for (const w of this.waiters.splice(0)) w.reject(e as Error);
      // what was accepted is written once the disk takes it, whether or not anything else comes
      this.retry ??= setTimeout(() => {
        this.retry = null;
        this.writeOut();
      }, 250);
      this.retry.unref();
      return;
    }
    if (this.writeError !== null) this.log.info('definitions journal writes work again');
    this.writeError = null;
    this.lines = [];
    this.written = upTo;
    this.pumping ??= this.pump();
  }

  /**
   * The one syncer: fdatasync for everything written so far, again if more was written meanwhile. A line
   * written before a snapshot's export may land in the generation after it, which is harmless: records are
   * idempotent, and replayed in order.
   */
  private async pump(): Promise<void> {
    await Promise.resolve(); // `pumping` is set by the caller before this runs on
    while (this.durable < this.written) {
      const upTo = this.written;
      const fd = this.fd;
      try {
        await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
      } catch (e) {
        this.log.error({ err: e }, 'could not sync the definitions journal');
        for (const w of this.waiters.splice(0)) w.reject(e as Error);
        break;
      }
      this.durable = Math.max(this.durable, upTo);
      if (this.waiters.length !== 0) {
        const still: Waiter[] = [];
        for (const w of this.waiters)
          if (w.target <= upTo) w.resolve();
          else still.push(w);
        this.waiters = still;
      }
    }
    this.pumping = null;
    for (const fd of this.retired.splice(0)) closeSync(fd);
  }

  /** Write a snapshot soon (anything but a journaled change: users, vhosts, policies, parameters). */
  requestSnapshot(): void {
    if (this.snapshotting !== null) {
      this.snapshotAgain = true;
      return;
    }
    const n = this.snapshotsBegun + 1; // snapshot() exports the state before its first await
    this.snapshotting = this.snapshot()
      .then(
        () => {
          if (this.snapshotOwed) this.log.info('definitions.json written again');
          this.snapshotOwed = false;
          this.snapshotsWritten = Math.max(this.snapshotsWritten, n);
          this.settleSnapshotWaiters(n, null);
        },
        (e: unknown) => {
          if (!this.snapshotOwed) this.log.error({ err: e }, 'could not write definitions.json');
          this.snapshotOwed = true;
          if (!this.closing) this.snapshotRetry ??= setTimeout(() => this.retrySnapshot(), SNAPSHOT_RETRY_MS).unref();
          this.settleSnapshotWaiters(n, e as Error);
          throw e;
        },
      )
      .finally(() => {
        this.snapshotting = null;
        if (this.snapshotAgain) {
          this.snapshotAgain = false;
          this.requestSnapshot();
        }
      });
    this.snapshotting.catch(() => {});
  }

  /**
   * Written once a snapshot begun after snapshot `n` (snapshotsBegun when a change was made) is on disk, one
   * requested if none has begun since; rejected if that one fails. Null: already written.
   */
  snapshotAfter(n: number): Promise<void> | null {
    if (this.snapshotsWritten > n) return null;
    if (this.snapshotsBegun <= n) this.requestSnapshot();
    return new Promise((resolve, reject) => this.snapshotWaiters.push({ target: n + 1, resolve, reject }));
  }

  private settleSnapshotWaiters(n: number, err: Error | null): void {
    const due = this.snapshotWaiters.filter((w) => w.target <= n);
    this.snapshotWaiters = this.snapshotWaiters.filter((w) => w.target > n);
    for (const w of due)
      if (err === null) w.resolve();
      else w.reject(err);
  }

  private retrySnapshot(): void {
    this.snapshotRetry = null;
    if (this.snapshotOwed && !this.closing) this.requestSnapshot();
  }

  /** The journal flushed and any snapshot being written (or asked for) done: for close, and the first one. */
  async settle(): Promise<void> {
    await this.flush();
    while (this.snapshotting !== null) await this.snapshotting.catch(() => {});
  }

  /** Stop appending: the journal file is closed (after settle). */
  async close(): Promise<void> {
    if (this.retry !== null) clearTimeout(this.retry);
    this.closing = true;
    if (this.snapshotRetry !== null) clearTimeout(this.snapshotRetry);
    await this.settle().catch((e: unknown) => this.log.error({ err: e }, 'definitions journal not flushed at close'));
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Records journaled since the snapshot. */
  get journaled(): number {
    return this.sinceSnapshot;
  }

  get snapshotPending(): Promise<void> | null {
    return this.snapshotting;
  }

  private async snapshot(): Promise<void> {
    // the state at this instant, and the journal generation that starts after it
    const d = this.exportNow();
    this.snapshotsBegun++;
    this.gen++;
    const objects = d.queues.length + d.exchanges.length + d.bindings.length;
    const records = this.sinceSnapshot;
    this.sinceSnapshot = 0;
    this.snapshotObjects = objects;
    try {
      await this.writeSnapshot(d, this.gen);
    } catch (e) {
      // the journals are all still there: nothing is lost, the next snapshot tries again
      this.sinceSnapshot += records;
      throw e;
    }
    // every older journal, also those replayed at start (not created by this process)
    for (const f of readdirSync(this.dir)) {
      const m = /^definitions\.(\d+)\.log$/.exec(f);
      if (m === null || Number(m[1]) >= this.gen) continue;
      await unlink(join(this.dir, f)).then(
        () => (fileEvents.active ? fileRemoved(join(this.dir, f)) : undefined),
        () => {},
      );
    }
  }

  /** definitions.json, large arrays a slice per turn (one entry a line), then fsync, rename, dir fsync. */
  private async writeSnapshot(d: Definitions, gen: number): Promise<void> {
    const tmp = this.file + '.tmp';
    const fh = await open(tmp, 'w');
    try {
      const entries = Object.entries({ ...d, warren_journal: gen });
      let out = '{';
      for (const [i, [key, value]] of entries.entries()) {
        out += `${i === 0 ? '' : ','}\n ${JSON.stringify(key)}: `;
        if (!Array.isArray(value) || value.length === 0) {
          out += JSON.stringify(value);
          continue;
        }
        out += '[';
        for (let j = 0; j < value.length; j += SLICE) {
          const end = Math.min(value.length, j + SLICE);
          for (let n = j; n < end; n++) out += `${n === 0 ? '' : ','}\n  ${JSON.stringify(value[n])}`;
          if (end < value.length) {
            await fh.write(out); // yields: other connections run between slices
            out = '';
          }
        }
        out += '\n ]';
      }
      await fh.write(out + '\n}\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
    if (fileEvents.active) fileChanged(this.file);
    syncDir(this.dir);
  }
}

interface Waiter {
  target: number;
  resolve(): void;
  reject(e: Error): void;
}
