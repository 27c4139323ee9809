// Storage behind a narrow interface. `memory` keeps nothing across restarts (tests, embedding);
// `file` keeps durable definitions in the data directory, with a format version written from the start,
// and persistent messages of durable queues in the message store (message-store.ts: segment log, group
// commit, confirms after fsync, backlogs paged to disk), watched by the disk monitor (disk-monitor.ts).
import { readFile, rename, writeFile } from './io.js';
import { join } from 'node:path';
import { rmSync } from './io.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Broker } from '../core/broker.js';
import { BrokerError } from '../core/errors.js';
import type { ContentFormat } from '../core/message.js';
import type { ResolvedOptions } from '../options.js';
import type { Logger } from '../util/logger.js';
import { changeRecord, exportDefinitions, importDefinitions } from './definitions.js';
import { DefinitionsFile } from './definitions-file.js';
import { FileDedupStore } from './dedup-store.js';
import { FileDelayedStore } from './delayed-store.js';
import { FileMessageStore } from './message-store.js';
import { DiskMonitor } from './disk-monitor.js';
import { DataDirLock } from './data-dir-lock.js';
import type { DiskFreeLimit } from '../core/disk-free-limit.js';
import { StreamQueue } from '../core/queue/stream/stream-queue.js';
import { StreamStore } from './streams/stream-store.js';

export interface Storage {
  /** Recreate users, vhosts and durable definitions (or the defaults on an empty store). */
  restore(broker: Broker, o: ResolvedOptions, diskFreeLimit: DiskFreeLimit): Promise<void>;
  /** Flush and release. */
  close(): Promise<void>;
}

/**
 * Format of the data directory; a directory with another format is refused, never rewritten. 2 added the
 * journals (definitions.<gen>.log, messages/queues.log) that a Warren reading format 1 would not replay; 3
 * added REF records (a body stored once for several queues), which a Warren reading format 2 would lose.
 */
export const FORMAT_VERSION = 3;
/** Formats this Warren upgrades in place: 1 is 2 without journals, 2 is 3 without REFs (nothing to convert). */
const UPGRADES_FROM = ['1', '2'];

export async function openStorage(
  o: ResolvedOptions,
  log: Logger,
  formats: Map<string, ContentFormat>,
): Promise<Storage> {
  return o.storage === 'memory' ? new MemoryStorage(log) : FileStorage.open(o.dataDir, log, formats);
}

function createDefaults(broker: Broker, o: ResolvedOptions): void {
  broker.addVHost(o.defaultVhost);
  for (const u of o.defaultUsers) {
    broker.users.add(u.name, u.password, u.tags ?? []);
    broker.users.setPermissions(u.name, o.defaultVhost, { configure: '.*', write: '.*', read: '.*' });
  }
}

function both(a: Promise<void> | null, b: Promise<void> | null): Promise<void> | null {
  if (a === null) return b;
  if (b === null) return a;
  return Promise.all([a, b]).then(() => {});
}

/**
 * In-memory storage: stream queues still need a log (they are logs), kept in a temporary directory that
 * goes at close.
 */
class MemoryStorage implements Storage {
  private streams: StreamStore | null = null;
  private tmp: string | null = null;

  constructor(private readonly log: Logger) {}

  async restore(broker: Broker, o: ResolvedOptions): Promise<void> {
    createDefaults(broker, o);
    broker.onQueueCreated = (q) => {
      if (!(q instanceof StreamQueue)) return;
      if (this.streams === null) {
        this.tmp = mkdtempSync(join(tmpdir(), 'warren-streams-'));
        this.streams = new StreamStore(
          this.tmp,
          this.log,
          () => {},
          () => {},
          false, // nothing of a memory broker's stream outlives it: no fsync (and chunks cut at each turn's end)
        );
      }
      this.streams.attach(q);
    };
  }

  async close(): Promise<void> {
    this.streams?.close();
    if (this.tmp !== null) rmSync(this.tmp, { recursive: true, force: true });
  }
}

export class FileStorage implements Storage {
  private definitions: DefinitionsFile | null = null;
  private timer: NodeJS.Timeout | null = null;
  private delayed: FileDelayedStore | null = null;
  store: FileMessageStore | null = null;
  private monitor: DiskMonitor | null = null;
  private dedup: FileDedupStore | null = null;
  private streams: StreamStore | null = null;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
    private readonly formats: Map<string, ContentFormat>,
    private readonly lock: DataDirLock,
  ) {}

  static async open(dir: string, log: Logger, formats: Map<string, ContentFormat>): Promise<FileStorage> {
    // first: a second broker on this directory is refused before it reads or writes anything
    const lock = DataDirLock.acquire(dir);
    try {
      return await FileStorage.openLocked(dir, log, formats, lock);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  private static async openLocked(
    dir: string,
    log: Logger,
    formats: Map<string, ContentFormat>,
    lock: DataDirLock,
  ): Promise<FileStorage> {
    const versionFile = join(dir, 'format_version');
    let version: string | null = null;
    try {
      version = (await readFile(versionFile, 'utf8')).trim();
    } catch {
      await writeFile(versionFile, `${FORMAT_VERSION}\n`);
    }
    if (version !== null && UPGRADES_FROM.includes(version)) {
      await writeFile(versionFile + '.tmp', `${FORMAT_VERSION}\n`);
      await rename(versionFile + '.tmp', versionFile);
      log.info({ from: version, to: FORMAT_VERSION }, 'data directory format upgraded');
      version = String(FORMAT_VERSION);
    }
    if (version !== null && version !== String(FORMAT_VERSION)) {
      throw new Error(
        `data directory ${dir} has format version ${version}; this Warren reads versions ${[...UPGRADES_FROM, FORMAT_VERSION].join(', ')} only. ` +
          `Refusing to start rather than rewrite it.`,
      );
    }
    return new FileStorage(dir, log, formats, lock);
  }

  async restore(broker: Broker, o: ResolvedOptions, diskFreeLimit: DiskFreeLimit): Promise<void> {
    const { file, defs, replayed } = DefinitionsFile.load(this.dir, this.log, () => exportDefinitions(broker));
    this.definitions = file;
    if (defs) importDefinitions(broker, defs);
    else createDefaults(broker, o);
    this.delayed = FileDelayedStore.restore(this.dir, broker, this.log);
    this.dedup = FileDedupStore.restore(this.dir, broker, this.log);
    broker.definitionsStored = () => this.definitionsStored();
    // users, permissions, vhosts and every vhost's definitions report through the broker
    broker.onDefinitionsChanged = (vhost, change) => {
      if (vhost === undefined || change === undefined) return this.changed();
      try {
        file.append(changeRecord(vhost.name, change));
      } catch (err) {
        // the disk did not take it: the change is refused before it is applied (vhost.ts), and the client
        // gets what RabbitMQ's channel crash gives, connection.close 541 INTERNAL_ERROR
        throw new BrokerError('INTERNAL_ERROR', `cannot store the definition change: ${(err as Error).message}`);
      }
    };
    let ioFailed = false;
    const store = new FileMessageStore(
      join(this.dir, 'messages'),
      this.log,
      this.formats,
      {
        beforeSync: () => {
          // delayed messages whose confirms wait for this fsync (delayed-store.ts)
          this.delayed?.flush();
          return both(this.flushIfDirty(), this.streams?.beforeSync() ?? null);
        },
        ioFailure: (err) => {
          ioFailed = err !== null;
          broker.alarms.set('disk', ioFailed || (this.monitor?.low ?? false));
        },
      },
      o.segmentSize,
      broker,
    );
    this.store = store;
    broker.store = store;
    if (this.delayed) {
      this.delayed.touch = () => store.touch();
      this.delayed.afterDurable = (fn) => store.whenDurable(fn);
    }
    const streams = new StreamStore(
      join(this.dir, 'streams'),
      this.log,
      () => store.touch(),
      (err) => broker.alarms.set('disk', err !== null || (this.monitor?.low ?? false)),
      true,
      store.writeFailed,
    );
    this.streams = streams;
    streams.restore(broker);
    const r = store.recovery;
    this.log.info(
      { queues: r.queues, messages: r.messages, segments: r.segments, tornBytes: r.tornBytes, ms: r.ms },
      'messages recovered',
    );
    // durable queues declared from now on get message storage (every vhost reports through the broker)
    broker.onQueueCreated = (q) => {
      if (q instanceof StreamQueue) streams.attach(q);
      else if (q.durable && q.exclusiveOwner === null) store.attach(q);
    };
    // an empty directory gets its snapshot (the default user and vhost) before anything is journaled after
    // it; a replayed journal is folded into a fresh snapshot soon
    if (!defs) {
      file.requestSnapshot();
      await file.settle();
    } else if (replayed !== 0) this.changed();
    this.monitor = new DiskMonitor(
      this.dir,
      diskFreeLimit,
      this.log,
      (low) => broker.alarms.set('disk', low || ioFailed),
      broker.nodeName,
    );
  }

  /**
   * Before a message fsync: the journal on disk (a confirmed message's queue must survive too), and a
   * snapshot waiting in its 50 ms coalescing window written now (as before the journal: users, vhosts and
   * policies changed before a confirm survive it).
   */
  private flushIfDirty(): Promise<void> | null {
    const f = this.definitions!;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      f.requestSnapshot();
    }
    const snap = f.snapshotPending;
    const journal = f.flush();
    if (snap === null) return journal;
    return Promise.all([snap, journal]).then(() => {});
  }

  /**
   * Resolved once every user, vhost, permission, policy or parameter changed so far is in a written
   * definitions.json, rejected if the disk does not take it (the management API answers after it, as
   * RabbitMQ's after its mnesia transaction); null when it already is. Queue/exchange/binding changes are
   * journaled before their replies (DefinitionsFile.append) and not waited for here.
   */
  definitionsStored(): Promise<void> | null {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    return this.definitions!.snapshotAfter(this.lastChangeAfter);
  }

  /** DefinitionsFile.snapshotsBegun when the last non-journaled change was made: a later snapshot has it. */
  private lastChangeAfter = -1;

  /** Anything but a queue/exchange/binding changed: a new snapshot, bursts coalesced into one. */
  private changed(): void {
    this.lastChangeAfter = this.definitions!.snapshotsBegun;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.definitions!.requestSnapshot();
    }, 50);
  }

  async close(): Promise<void> {
    this.monitor?.stop();
    const snapshotDue = this.timer !== null;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // a clean stop leaves one complete definitions.json (RabbitMQ's format, importable as it is)
    const f = this.definitions;
    if (f !== null && (f.journaled !== 0 || snapshotDue || f.snapshotOwed)) f.requestSnapshot();
    await f?.close().catch(() => {});
    this.streams?.close();
    await this.store?.close();
    // after the store: its last fsync writes the remove records of delayed messages it stored
    this.delayed?.close();
    this.dedup?.close();
    this.lock.release();
  }
}
