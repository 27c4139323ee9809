// The delayed-message store of the file storage: pending messages of durable delayed exchanges, so they
// survive a restart. An append-only log (delayed.log, one JSON record per line: add or remove), written
// once per event-loop turn with one fsync, replayed and compacted at start. Small on purpose: the
// durability work's segment log can take these records over later behind the same DelayedStore interface.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import { DelayedExchange, type DelayedRecord, type DelayedStore } from '../core/exchange/delayed.js';
import { formatByName } from '../core/formats.js';
import { Message } from '../core/message.js';
import type { Logger } from '../util/logger.js';

interface StoredMessage {
  format: string;
  exchange: string;
  routingKey: string;
  props: string;
  body: string;
  persistent: boolean;
  priority: number;
  expiration: string | null;
  timestamp: number;
}

type LogLine =
  { op: 'add'; id: string; vhost: string; exchange: string; due: number; m: StoredMessage } | { op: 'del'; id: string };

function toStored(m: Message): StoredMessage {
  return {
    format: m.format.name,
    exchange: m.exchange,
    routingKey: m.routingKey,
    props: m.props.toString('base64'),
    body: m.body.toString('base64'),
    persistent: m.persistent,
    priority: m.priority,
    expiration: m.expiration,
    timestamp: m.timestamp,
  };
}

export class FileDelayedStore implements DelayedStore {
  private fd: number;
  private pending: string[] = [];
  private scheduled = false;

  private constructor(
    file: string,
    private readonly log: Logger,
  ) {
    this.fd = openSync(file, 'a');
  }

  /** Replay the log into the broker's durable delayed exchanges, compact it, and open it for appends. */
  static restore(dir: string, broker: Broker, log: Logger): FileDelayedStore {
    const file = join(dir, 'delayed.log');
    const live = new Map<string, Extract<LogLine, { op: 'add' }>>();
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line === '') continue;
        let r: LogLine;
        try {
          r = JSON.parse(line) as LogLine;
        } catch {
          log.warn({ file }, 'skipping a torn record at the end of the delayed-message log');
          continue;
        }
        if (r.op === 'add') live.set(r.id, r);
        else live.delete(r.id);
      }
    }
    // compact: write the live records to a new file, then swap it in
    const tmp = file + '.tmp';
    const fd = openSync(tmp, 'w');
    for (const r of live.values()) writeSync(fd, JSON.stringify(r) + '\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, file);
    const store = new FileDelayedStore(file, log);
    for (const v of broker.vhosts.values()) v.delayedStore = store;
    for (const r of live.values()) {
      const x = broker.vhosts.get(r.vhost)?.exchanges.get(r.exchange);
      const format = formatByName(r.m.format);
      if (!(x instanceof DelayedExchange) || !x.durable || format === undefined) {
        store.remove(r.id);
        continue;
      }
      const m = r.m;
      const msg = new Message(
        format,
        m.exchange,
        m.routingKey,
        Buffer.from(m.props, 'base64'),
        Buffer.from(m.body, 'base64'),
        m.persistent,
        m.priority,
        m.expiration,
        m.timestamp,
        0,
      );
      x.hold(msg, r.due, r.id);
    }
    return store;
  }

  add(r: DelayedRecord): void {
    this.append({ op: 'add', id: r.id, vhost: r.vhost, exchange: r.exchange, due: r.due, m: toStored(r.message) });
  }

  remove(id: string): void {
    this.append({ op: 'del', id });
  }

  private append(l: LogLine): void {
    this.pending.push(JSON.stringify(l));
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** One write and one fsync for everything added this turn. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.fd < 0) return;
    const data = this.pending.join('\n') + '\n';
    this.pending = [];
    try {
      writeSync(this.fd, data);
      fsyncSync(this.fd);
    } catch (e) {
      this.log.error({ err: e }, 'could not write the delayed-message log');
    }
  }

  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
