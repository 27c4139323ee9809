// What etcd holds about the cluster, mirrored in memory: one range read of the prefix, then one watch from
// the next revision, so every node sees the same sequence of changes (etcd's revisions order them).
import type { IKeyValue, Watcher } from 'etcd3';
import type { ClusterKeys } from './config.js';
import type { EtcdLink } from './etcd-link.js';

/** A node's `members/<node>` record: how to reach it, while its lease lives. */
export interface MemberRecord {
  name: string;
  host: string;
  /** Client listeners by protocol (amqp, amqps, management, prometheus, mqtt, …). */
  ports: Record<string, number>;
  clusterPort: number;
  version: string;
  startedAt: number;
}

export interface LeaderRecord {
  name: string;
  /** The leader key's create_revision: grows with every new leadership (the leader's epoch). */
  epoch: number;
}

export class ClusterState {
  readonly members = new Map<string, MemberRecord>();
  /** Every node that joined and was not forgotten. */
  readonly nodes = new Set<string>();
  leader: LeaderRecord | null = null;
  /** null while the key does not exist (a new cluster: anyone may lead). */
  isr: string[] | null = null;
  /** The definitions JSON text the leader last wrote. */
  definitions: string | null = null;
  private watcher: Watcher | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly etcd: EtcdLink,
    private readonly keys: ClusterKeys,
  ) {}

  /** Read the prefix and watch it from the next revision (again: after a new client, everything re-read). */
  async start(): Promise<void> {
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
    const client = this.etcd.client;
    const res = await client.getAll().prefix(this.keys.prefix).exec();
    this.members.clear();
    this.nodes.clear();
    this.leader = null;
    this.isr = null;
    this.definitions = null;
    for (const kv of res.kvs) this.apply(kv, false);
    const rev = BigInt(res.header.revision) + 1n;
    const watcher = await client.watch().prefix(this.keys.prefix).startRevision(rev.toString()).create();
    this.watcher = watcher;
    this.changed();
    watcher.on('put', (kv) => {
      this.apply(kv, false);
      this.changed();
    });
    watcher.on('delete', (kv) => {
      this.apply(kv, true);
      this.changed();
    });
  }

  /** Called after every change (and on the same turn: read the fields). Returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Wait until `test()` holds (checked now and after each change), or `ms` pass (rejects). */
  until(test: () => boolean, ms = Infinity): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = Number.isFinite(ms)
        ? setTimeout(() => {
            off();
            reject(new Error('cluster state: timed out'));
          }, ms)
        : null;
      const off = this.onChange(() => {
        if (!test()) return;
        if (t !== null) clearTimeout(t);
        off();
        resolve();
      });
    });
  }

  /** Re-check every waiter (something they test besides etcd changed, e.g. this node's role). */
  poke(): void {
    this.changed();
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = null;
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }

  private apply(kv: IKeyValue, deleted: boolean): void {
    const key = kv.key.toString();
    const k = this.keys;
    if (key.startsWith(k.members)) {
      const name = key.slice(k.members.length);
      if (deleted) this.members.delete(name);
      else this.members.set(name, parse<MemberRecord>(kv.value) ?? blankMember(name));
    } else if (key.startsWith(k.nodes)) {
      const name = key.slice(k.nodes.length);
      if (deleted) this.nodes.delete(name);
      else this.nodes.add(name);
    } else if (key === k.leader) {
      this.leader = deleted ? null : { name: kv.value.toString(), epoch: Number(kv.create_revision) };
    } else if (key === k.isr) {
      this.isr = deleted ? null : (parse<string[]>(kv.value) ?? []);
    } else if (key === k.definitions) {
      this.definitions = deleted ? null : kv.value.toString();
    }
  }
}

function parse<T>(b: Buffer): T | null {
  try {
    return JSON.parse(b.toString()) as T;
  } catch {
    return null;
  }
}

function blankMember(name: string): MemberRecord {
  return { name, host: '', ports: {}, clusterPort: 0, version: '', startedAt: 0 };
}
