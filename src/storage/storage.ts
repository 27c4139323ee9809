// Storage behind a narrow interface. `memory` keeps nothing across restarts (tests, embedding);
// `file` keeps durable definitions in the data directory, with a format version written from the start.
// Message durability (segment log, group commit, confirms after fsync) plugs in here with the durability
// work; until then persistent messages live in memory like transient ones.
import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import type { ResolvedOptions } from '../options.js';
import type { Logger } from '../util/logger.js';
import { exportDefinitions, importDefinitions, type Definitions } from './definitions.js';
import { FileDedupStore } from './dedup-store.js';
import { FileDelayedStore } from './delayed-store.js';

export interface Storage {
  /** Recreate users, vhosts and durable definitions (or the defaults on an empty store). */
  restore(broker: Broker, o: ResolvedOptions): Promise<void>;
  /** Flush and release. */
  close(): Promise<void>;
}

/** Format of the data directory; a directory with another format is refused, never rewritten. */
export const FORMAT_VERSION = 1;

export async function openStorage(o: ResolvedOptions, log: Logger): Promise<Storage> {
  return o.storage === 'memory' ? new MemoryStorage() : FileStorage.open(o.dataDir, log);
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

class FileStorage implements Storage {
  private broker: Broker | null = null;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private delayed: FileDelayedStore | null = null;
  private dedup: FileDedupStore | null = null;

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  static async open(dir: string, log: Logger): Promise<FileStorage> {
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
    return new FileStorage(dir, log);
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
    if (!defs) this.changed();
  }

  private changed(): void {
    this.dirty = true;
    // coalesce bursts of declares into one write
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
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
      this.log.error({ err: e }, 'could not write definitions');
    }
  }

  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.writing = this.writing.then(() => this.write());
    }
    await this.writing;
    this.delayed?.close();
    this.dedup?.close();
  }
}
