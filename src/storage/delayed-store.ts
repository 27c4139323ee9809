// The delayed-message store of the file storage: pending messages of durable delayed exchanges, so they
// survive a restart, in an AppendLog (delayed.log: add and remove records), replayed and compacted at
// start. Small on purpose: the durability work's segment log can take these records over later behind
// the same DelayedStore interface.
import { join } from 'node:path';
import type { Broker } from '../core/broker.js';
import { DelayedExchange, type DelayedRecord, type DelayedStore } from '../core/exchange/delayed.js';
import { formatByName } from '../core/formats.js';
import { Message } from '../core/message.js';
import type { Logger } from '../util/logger.js';
import { AppendLog } from './append-log.js';

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
  cc?: readonly string[] | null;
  bcc?: readonly string[] | null;
}

type AddLine = { op: 'add'; id: string; vhost: string; exchange: string; due: number; m: StoredMessage };
type LogLine = AddLine | { op: 'del'; id: string };

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
    cc: m.cc,
    bcc: m.bcc,
  };
}

export class FileDelayedStore implements DelayedStore {
  private constructor(private readonly log: AppendLog) {}

  /** Replay the log into the broker's durable delayed exchanges, compact it, and open it for appends. */
  static restore(dir: string, broker: Broker, log: Logger): FileDelayedStore {
    const file = join(dir, 'delayed.log');
    const live = new Map<string, AddLine>();
    for (const r of AppendLog.read<LogLine>(file, log)) {
      if (r.op === 'add') live.set(r.id, r);
      else live.delete(r.id);
    }
    const kept: AddLine[] = [];
    const store = new FileDelayedStore(AppendLog.rewrite(file, [], log));
    for (const v of broker.vhosts.values()) v.delayedStore = store;
    for (const r of live.values()) {
      const x = broker.vhosts.get(r.vhost)?.exchanges.get(r.exchange);
      const format = formatByName(r.m.format);
      if (!(x instanceof DelayedExchange) || !x.durable || format === undefined) continue;
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
      msg.cc = m.cc ?? null;
      msg.bcc = m.bcc ?? null;
      kept.push(r);
      x.hold(msg, r.due, r.id);
    }
    for (const r of kept) store.log.append(r);
    store.log.flush();
    return store;
  }

  add(r: DelayedRecord): void {
    this.log.append({ op: 'add', id: r.id, vhost: r.vhost, exchange: r.exchange, due: r.due, m: toStored(r.message) });
  }

  remove(id: string): void {
    this.log.append({ op: 'del', id });
  }

  close(): void {
    this.log.close();
  }
}
