// The deduplication store of the file storage: the keys seen by durable exchanges with deduplication
// (queues' keys live only while their messages do, in memory, as the plugin's), in an AppendLog (dedup.log: [owner, key, expiry] records and drops), replayed
// at start (expired keys and deleted owners left out) and compacted.
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import type { DedupCache, DedupStore } from '../core/dedup.js';
import type { Logger } from '../util/logger.js';
import { AppendLog } from './append-log.js';

type Line = ['s', string, string, number] | ['d', string];

export class FileDedupStore implements DedupStore {
  private constructor(private readonly log: AppendLog) {}

  static restore(dir: string, broker: Broker, log: Logger): FileDedupStore {
    const file = join(dir, 'dedup.log');
    const owners = new Map<string, Map<string, number>>();
    for (const r of AppendLog.read<Line>(file, log)) {
      if (r[0] === 's') {
        let m = owners.get(r[1]);
        if (!m) owners.set(r[1], (m = new Map()));
        m.delete(r[2]);
        m.set(r[2], r[3]);
      } else owners.delete(r[1]);
    }
    const caches = new Map<string, DedupCache>();
    for (const v of broker.vhosts.values()) {
      for (const x of v.exchanges.values()) if (x.dedup !== null && x.durable) caches.set(x.dedup.owner, x.dedup);
    }
    const now = Date.now();
    const kept: Line[] = [];
    for (const [owner, keys] of owners) {
      const c = caches.get(owner);
      if (c === undefined) continue;
      for (const [k, exp] of keys) {
        if (exp !== 0 && exp <= now) continue;
        c.remember(k, exp, now);
      }
      // what the bounded cache kept is what the log keeps
      for (const [k, exp] of keys) if (c.has(k)) kept.push(['s', owner, k, exp]);
    }
    const store = new FileDedupStore(AppendLog.rewrite(file, kept, log));
    for (const v of broker.vhosts.values()) v.dedupStore = store;
    for (const c of caches.values()) c.store = store;
    return store;
  }

  seen(owner: string, key: string, exp: number): void {
    this.log.append(['s', owner, key, exp]);
  }

  drop(owner: string): void {
    this.log.append(['d', owner]);
  }

  close(): void {
    this.log.close();
  }
}
