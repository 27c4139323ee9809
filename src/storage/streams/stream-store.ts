// The stream queues' storage: one directory per stream under streams/ (named by a hash of vhost and name;
// the names are written in it), each a FileStreamLog. Publisher confirms: a stream append bumps the message
// store's ticket (so a 0-9-1 confirm waits for the next group commit as for a persistent message), and the
// message store's fsync first waits for every stream with unsynced appends (beforeSync): a confirmed stream
// message is on disk.
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  removeTreeInBackground,
  renameSync,
  rmSync,
  writeFileInBackground,
  writeFileSync,
} from '../io.js';
import { join } from 'node:path';
import type { Broker } from '../../core/broker.js';
import { StreamQueue } from '../../core/queue/stream/stream-queue.js';
import type { Logger } from '../../util/logger.js';
import { syncDir } from '../sync-dir.js';
import { fileEvents, fileChanged, fileRemoved } from '../../util/file-events.js';
import { FileStreamLog } from './stream-log.js';

/** A deleted stream's directory, renamed aside while it is removed: `<dir>.deleted-<n>`. */
export const DELETED = '.deleted-';

export class StreamStore {
  private readonly logs = new Set<FileStreamLog>();
  private deletions = 0;
  /** Streams appended to since the last fsync of the message store. */
  private readonly dirty = new Set<FileStreamLog>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    /** Called on each append: the broker store's next fsync must cover it (confirms wait for that). */
    private readonly appended: () => void,
    private readonly ioFailure: (err: Error | null) => void,
    /** false: the streams are never fsynced (memory storage: they go with the process). */
    private readonly fsync = true,
    /** Each failed write or fsync of a stream: the confirms waiting now are refused (message-store.ts). */
    private readonly writeFailed: () => void = () => {},
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private dirFor(vhost: string, name: string): string {
    return join(this.dir, createHash('sha256').update(vhost).update('\u0000').update(name).digest('hex').slice(0, 32));
  }

  /** Give `q` its log (a new stream, or one recovered at boot); removes directories of streams gone. */
  attach(q: StreamQueue): void {
    const dir = this.dirFor(q.vhost, q.name);
    const fresh = mkdirSync(dir, { recursive: true }) !== undefined;
    // only read to name a directory left without its stream (restore): written off the event loop, unless
    // replication watches the data directory (it copies the file when told, so the file must be there)
    const nameFile = join(dir, 'name');
    const named = JSON.stringify({ vhost: q.vhost, name: q.name });
    if (fileEvents.active) {
      writeFileSync(nameFile, named);
      fileChanged(nameFile);
    } else writeFileInBackground(nameFile, named);
    const fs = q.args['x-stream-filter-size-bytes'];
    const log: FileStreamLog = new FileStreamLog(
      dir,
      q.settings.streamMaxSegmentSize,
      {
        appended: () => {
          this.dirty.add(log);
          this.appended();
        },
        failure: (err) => {
          if (err) this.logger.error({ err, queue: q.name }, 'stream write failed');
          this.ioFailure(err);
        },
        writeFailed: () => this.writeFailed(),
        deleted: () => {
          this.logs.delete(log);
          this.dirty.delete(log);
          // renamed aside at once (a stream of the same name may be created in the same turn and gets a fresh
          // directory), removed on the janitor's thread (janitor.ts: rimraf's calls on the event loop were ~6%
          // of the stream fuzzer's busy turns); a crash in between leaves a DELETED directory: restore() removes it
          const aside = `${dir}${DELETED}${++this.deletions}`;
          try {
            renameSync(dir, aside);
            removeTreeInBackground(aside);
          } catch {
            rmSync(dir, { recursive: true, force: true });
          }
          if (fileEvents.active) fileRemoved(dir);
        },
      },
      typeof fs === 'number' ? fs : undefined,
      this.fsync,
      fresh,
    );
    this.logs.add(log);
    q.attachStream(log);
  }

  /** At boot: every stream queue restored from the definitions gets its log; orphan directories go. */
  restore(broker: Broker): void {
    const keep = new Set<string>();
    for (const v of broker.vhosts.values()) {
      for (const q of v.queues.values()) {
        if (!(q instanceof StreamQueue)) continue;
        this.attach(q);
        keep.add(this.dirFor(q.vhost, q.name));
      }
    }
    for (const n of readdirSync(this.dir)) {
      const d = join(this.dir, n);
      if (keep.has(d)) continue;
      if (n.includes(DELETED)) {
        rmSync(d, { recursive: true, force: true }); // a deletion the process did not finish
        continue;
      }
      let what = '';
      try {
        what = readFileSync(join(d, 'name'), 'utf8');
      } catch {
        /* no name file */
      }
      this.logger.warn({ dir: d, stream: what }, 'stream directory without a stream queue removed');
      rmSync(d, { recursive: true, force: true });
    }
    syncDir(this.dir);
  }

  /** Before the message store's fsync: every stream appended to since the last one is on disk. */
  beforeSync(): Promise<void> | null {
    if (this.dirty.size === 0) return null;
    const ps: Promise<void>[] = [];
    for (const l of this.dirty) {
      const p = l.durable();
      if (p !== null) ps.push(p);
    }
    this.dirty.clear();
    return ps.length === 0 ? null : Promise.all(ps).then(() => {});
  }

  close(): void {
    for (const l of this.logs) l.close();
    this.logs.clear();
    this.dirty.clear();
  }
}
