// Storage behind a narrow interface. `memory` keeps nothing across restarts (tests, embedding);
// `file` keeps durable definitions in the data directory, with a format version written from the start,
// and persistent messages of durable queues in the message store (message-store.ts: segment log, group
// commit, confirms after fsync, backlogs paged to disk), watched by the disk monitor (disk-monitor.ts).
import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import type { ContentFormat } from '../core/message.js';
import type { ResolvedOptions } from '../options.js';
import type { Logger } from '../util/logger.js';
import { exportDefinitions, importDefinitions, type Definitions } from './definitions.js';
import { FileDedupStore } from './dedup-store.js';
import { FileDelayedStore } from './delayed-store.js';
import { FileMessageStore } from './message-store.js';
import { DiskMonitor } from './disk-monitor.js';

export interface Storage {
  /** Recreate users, vhosts and durable definitions (or the defaults on an empty store). */
  restore(broker: Broker, o: ResolvedOptions): Promise<void>;
  /** Flush and release. */
  close(): Promise<void>;
}

/** Format of the data directory; a directory with another format is refused, never rewritten. */
export const FORMAT_VERSION = 1;

export async function openStorage(
  o: ResolvedOptions,
  log: Logger,
  formats: Map<string, ContentFormat>,
): Promise<Storage> {
  return o.storage === 'memory' ? new MemoryStorage() : FileStorage.open(o.dataDir, log, formats);
}

function createDefaults(broker: Broker, o: ResolvedOptions): void {
  broker.addVHost(o.defaultVhost);
  for (const u of o.defaultUsers) {
    broker.users.add(u.name, u.password, u.tags ?? []);
    broker.users.setPermissions(u.name, o.defaultVhost, { configure: '.*', write: '.*', read: '.*' });
  }
}

class MemoryStorage implements Storage {
  async restore(broker: Broker, o: ResolvedOptions): Promise<void> {
    createDefaults(broker, o);
  }
  async close(): Promise<void> {}
}

export class FileStorage implements Storage {
  private broker: Broker | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private delayed: FileDelayedStore | null = null;
  store: FileMessageStore | null = null;
  private monitor: DiskMonitor | null = null;
  private dedup: FileDedupStore | null = null;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly formats: Map<string, ContentFormat>,
  ) {}

  static async open(dir: string, log: Logger, formats: Map<string, ContentFormat>): Promise<FileStorage> {
    await mkdir(dir, { recursive: true });
    const versionFile = join(dir, 'format_version');
    let version: string | null = null;
    try {
      version = (await readFile(versionFile, 'utf8')).trim();
    } catch {
      await writeFile(versionFile, `${FORMAT_VERSION}\n`);
    }
    if (version !== null && version !== String(FORMAT_VERSION)) {
      throw new Error(
        `data directory ${dir} has format version ${version}; this Warren reads version ${FORMAT_VERSION} only. ` +
          `Refusing to start rather than rewrite it.`,
      );
    }
    return new FileStorage(dir, log, formats);
  }

  private get file(): string {
    return join(this.dir, 'definitions.json');
  }

  async restore(broker: Broker, o: ResolvedOptions): Promise<void> {
    this.broker = broker;
    let defs: Definitions | null = null;
    try {
      defs = JSON.parse(await readFile(this.file, 'utf8')) as Definitions;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (defs) importDefinitions(broker, defs);
    else createDefaults(broker, o);
    this.delayed = FileDelayedStore.restore(this.dir, broker, this.log);
    this.dedup = FileDedupStore.restore(this.dir, broker, this.log);
    // users, permissions, vhosts and every vhost's definitions report through the broker
    broker.onDefinitionsChanged = () => this.changed();
    let ioFailed = false;
    const store = FileMessageStore.open(
      join(this.dir, 'messages'),
      broker,
      this.log,
      this.formats,
      {
        beforeSync: () => this.flushIfDirty(),
        ioFailure: (err) => {
          ioFailed = err !== null;
          broker.alarms.set('disk', ioFailed || (this.monitor?.low ?? false));
        },
      },
      o.segmentSize,
    );
    this.store = store;
    broker.store = store;
    const r = store.recovery;
    this.log.info(
      { queues: r.queues, messages: r.messages, segments: r.segments, tornBytes: r.tornBytes, ms: r.ms },
      'messages recovered',
    );
    // durable queues declared from now on get message storage (every vhost reports through the broker)
    broker.onQueueCreated = (q) => {
      if (q.durable && q.exclusiveOwner === null) store.attach(q);
    };
    if (!defs) this.changed();
    this.monitor = new DiskMonitor(this.dir, o.diskFreeLimit, this.log, (low) =>
      broker.alarms.set('disk', low || ioFailed),
    );
  }

  /** Definitions waiting in the 50 ms coalescing window are written now (before a message fsync). */
  private flushIfDirty(): Promise<void> | null {
    if (!this.dirty) return null;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const w = this.writing.then(() => this.write());
    this.writing = w.catch(() => {});
    return w;
  }

  private changed(): void {
    this.dirty = true;
    // coalesce bursts of declares into one write
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.writing = this.writing.then(() => this.write()).catch(() => {});
    }, 50);
  }

  private async write(): Promise<void> {
    if (!this.dirty || !this.broker) return;
    this.dirty = false;
    const tmp = this.file + '.tmp';
    try {
      const fh = await open(tmp, 'w');
      await fh.writeFile(JSON.stringify(exportDefinitions(this.broker), null, 1));
      await fh.sync();
      await fh.close();
      await rename(tmp, this.file);
    } catch (e) {
      // stays dirty: the next write (or the next message fsync, which waits for it) tries again
      this.dirty = true;
      this.log.error({ err: e }, 'could not write definitions');
      throw e;
    }
  }

  async close(): Promise<void> {
    this.monitor?.stop();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.writing = this.writing.then(() => this.write()).catch(() => {});
    }
    await this.writing;
    this.delayed?.close();
    await this.store?.close();
    this.dedup?.close();
  }
}
